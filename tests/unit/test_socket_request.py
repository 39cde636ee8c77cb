"""A socket's handshake reads its token, ``Origin``, ``Host`` and ``resume_from`` from
the ASGI scope in one pass (``Asked``), exactly as it read them through Starlette's
``ws.headers`` and ``ws.query_params`` before (the reference below is that code)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.websockets import WebSocket

from server.gateway.session_socket import Asked


def _reference(scope: dict) -> tuple:
    """What the handshake read before, through Starlette."""

    async def nothing():  # pragma: no cover - never called
        return {}

    ws = WebSocket(scope, nothing, nothing)
    header = ws.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        token = value.strip()
    else:
        token = ws.query_params.get("token") or None
    origin, host = ws.headers.get("origin"), ws.headers.get("host")
    return token, origin, host, ws.query_params.get("resume_from")


def _asked(scope: dict) -> tuple:
    a = Asked(scope)
    return a.token(), a.origin, a.host, a.query.get("resume_from")


NAMES = st.sampled_from(
    [b"authorization", b"origin", b"host", b"upgrade", b"sec-websocket-key", b"Authorization"]
)
VALUES = st.one_of(
    st.sampled_from(
        [b"Bearer abc", b"bearer  x.y ", b"Basic Zm9v", b"Bearer ", b"", b"http://127.0.0.1:8000"]
    ),
    st.binary(max_size=12).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"")),
)
KEYS = st.sampled_from(["token", "resume_from", "tok%65n", "token+", "resume_from%20", "x", ""])
VALS = st.sampled_from(["Zk9_s3", "", "12", "a+b", "%41%2", "=", "7%00", "é"])


@st.composite
def queries(draw) -> bytes:
    pairs = draw(st.lists(st.tuples(KEYS, st.one_of(st.none(), VALS)), max_size=5))
    parts = [k if v is None else f"{k}={v}" for k, v in pairs]
    sep = draw(st.sampled_from(["&", "&&", "&;"]))
    return sep.join(parts).encode("utf-8")


@settings(max_examples=400, deadline=None)
@given(headers=st.lists(st.tuples(NAMES, VALUES), max_size=6), query=queries())
def test_asked_reads_what_starlette_read(headers, query):
    scope = {"type": "websocket", "path": "/ws/sessions/s", "headers": headers}
    scope["query_string"] = query
    assert _asked(dict(scope, headers=list(headers))) == _reference(scope)


def test_the_usual_requests():
    for headers, query in [
        ([(b"host", b"h:1")], b"token=abc"),
        ([(b"authorization", b"Bearer tok"), (b"origin", b"http://h:1")], b"token=other"),
        ([(b"origin", b"a"), (b"origin", b"b")], b"token=1&token=2&resume_from=4"),
        ([], b""),
    ]:
        scope = {"type": "websocket", "headers": headers, "query_string": query}
        assert _asked(dict(scope)) == _reference(scope)
    assert _asked({"headers": [], "query_string": b"token=1&token=2"})[0] == "2"
