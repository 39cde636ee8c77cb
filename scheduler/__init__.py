"""Time-zone arithmetic, schedules, calendars (ICS), durable timers and webhooks.

``scheduler`` never imports ``server``: the server hands it callbacks.
"""
