"""Convene's transport and storage: the FastAPI app, routers, auth, the WebSocket
gateway, settings, persistence, the event log and the broker. Domain rules live in
``breakouts``, ``interpretation`` and ``scheduler``."""
