"""The WebSocket of a session; the gateway serves it (``gateway/session_socket.py``)."""

from __future__ import annotations

from fastapi import APIRouter, WebSocket

from ..gateway.session_socket import serve

router = APIRouter()


@router.websocket("/ws/sessions/{session_id}")
async def session_socket(ws: WebSocket, session_id: str):
    await serve(ws, session_id)
