"""uvicorn's sans-I/O WebSocket protocol, handing itself to the app through the ASGI
scope so that the gateway can write pre-framed bytes straight to the transport.

A frame encoded once per audience variant then costs each recipient one
``transport.write`` instead of Starlette's ``send_text`` and uvicorn's per-client
encode and framing (about 2.6 us against 0.14 us a send)."""

from __future__ import annotations

import logging
import weakref
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENSION = "convene.transport"
# the websockets library's own lines ("connection open", "connection closed") repeat
# uvicorn's "[accepted]" line and the close: at INFO, two more records a socket (in a
# connect storm, a few % of the loop); their errors still show (server/logs.py)
PROTOCOL_LOG = logging.getLogger("uvicorn.error.websockets")


class FastWebSocketProtocol(WebSocketsSansIOProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn.logger = PROTOCOL_LOG
        self.conn.debug = PROTOCOL_LOG.isEnabledFor(logging.DEBUG)

    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # absent when the upgrade was refused
        if scope is not None and self.handshake_initiated:
            # a weak reference: the scope must not keep its protocol alive (no cycle)
            scope["extensions"][EXTENSION] = weakref.ref(self)

    def writes_now(self) -> bool:
        """Whether bytes written now go out in order with the ASGI path: handshake
        done, not closing, transport not paused."""
        return (
            self.handshake_complete
            and not self.close_sent
            and not self.disconnected
            and self.writable.is_set()
            and not self.transport.is_closing()
        )


def protocol_of(ws: Any) -> FastWebSocketProtocol | None:
    """The connection's protocol if it runs under ``FastWebSocketProtocol``."""
    scope = getattr(ws, "scope", None) or {}
    ref = (scope.get("extensions") or {}).get(EXTENSION)
    return ref() if ref is not None else None
