"""Breakout rounds, rooms, assignment strategies and moves as pure domain code.

No FastAPI, no database, no ``server`` imports: functions take state and return
new state plus events; the server does all I/O.
"""
