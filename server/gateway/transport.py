"""uvicorn's sans-I/O WebSocket protocol, handing itself to the app through the ASGI
scope so that the gateway can write pre-framed bytes straight to the transport.

A frame encoded once per audience variant then costs each recipient one
``transport.write`` instead of Starlette's ``send_text`` and uvicorn's per-client
encode and framing (about 2.6 us against 0.14 us a send)."""

from __future__ import annotations

import weakref
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

EXTENSION = "convene.transport"


class FastWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        # the parsed request (about 1.5 KB of header objects) is not read again: the
        # scope holds what the app reads
        self.request = None
        scope = getattr(self, "scope", None)  # absent when the upgrade was refused
        if scope is not None and self.handshake_initiated:
            # a weak reference: the scope must not keep its protocol alive (no cycle)
            scope["extensions"][EXTENSION] = weakref.ref(self)

    async def send(self, message: Any) -> None:
        await super().send(message)
        if self.handshake_complete:
            self.response = None  # the handshake's response went out: not read again

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
