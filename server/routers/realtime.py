"""The WebSocket of a session; the gateway serves it (``gateway/session_socket.py``).

A plain Starlette route that ``server/socket_lane.py`` serves (``Wiring.sockets``),
not a FastAPI route in an included router: each idle socket holds its whole ASGI
call stack, and the included router's dispatch and FastAPI's dependency solving (two
exit stacks, a second ``WebSocket``) were about 4 KB of frames per connection. The
route takes no dependencies, and its one parameter is a string."""

from __future__ import annotations

from starlette.routing import WebSocketRoute

from ..gateway.session_socket import serve

route = WebSocketRoute("/ws/sessions/{session_id}", serve)
