"""WebSocket routes served straight from the middleware stack (``Wiring.sockets``).

Each idle socket holds its whole ASGI call stack for as long as it is open: behind
Starlette's exception middleware, FastAPI's exit-stack middleware, the router and
the route's own wrappers, that was eleven coroutine frames, a second ``WebSocket``
and an ``AsyncExitStack`` per connection. The gateway uses none of them (it accepts
first and closes with its own codes; an exception it does not handle ends the socket
in uvicorn either way), so a matching socket goes to its endpoint from here. Added
inside ``RefuseNul`` and ``BodyLimit``, which pass sockets through without a frame.
The match is the route's own (``WebSocketRoute.matches``)."""

from __future__ import annotations

from starlette.routing import Match, WebSocketRoute
from starlette.websockets import WebSocket


class SocketLane:
    def __init__(self, app, routes: list[WebSocketRoute]):
        self.app = app
        self.routes = routes

    def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            for route in self.routes:
                match, child = route.matches(scope)
                if match == Match.FULL:
                    scope.update(child)
                    return route.endpoint(WebSocket(scope, receive, send))
        return self.app(scope, receive, send)
