"""Interpretation channels, booths, on-air, handover and relay/retour routing.

Pure domain code: no FastAPI, no database, no ``server`` imports.
"""
