"""``convene serve`` (the installed command, as an operator starts it, with the
settings' own defaults) serves on uvloop and httptools and writes its sockets' frames
through the fast send path (``FastWebSocketProtocol``); /metrics says so, and the
benchmarks rely on it. A SIGUSR2 makes it collect its garbage and log it (how the
benchmarks measure memory per connection)."""

from __future__ import annotations

import asyncio
import re
import signal
import sys
from pathlib import Path

import pytest

from tests.support.client import Api, eventually, join, make_world
from tests.support.server import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")

CONVENE = Path(sys.executable).with_name("convene")  # the console script of this venv


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    """One production-configured service for this module's tests (each leaves it with
    no socket open and SIGUSR2 not yet sent, but for the test that sends it)."""
    d = tmp_path_factory.mktemp("serve-runtime")
    env = {"CONVENE_DATABASE_URL": f"sqlite:///{d}/convene.db"}
    with ServerProcess(d, env, production=True, command=[str(CONVENE)]) as srv:
        yield srv


def _gauge(text: str, name: str) -> float:
    return float(re.search(rf"^{name} (\S+)$", text, re.M)[1])


async def test_convene_serve_runs_on_uvloop_httptools_and_the_fast_send_path(serve):
    w = await make_world(serve)
    clients = await join(serve, w, "p1", "p2")
    async with Api(serve.url, None) as anon:
        text = (await anon.call("GET", "/metrics")).text
    runtime = re.search(r"^convene_runtime_info\{(.*)\} 1\.0$", text, re.M)
    assert runtime is not None, text
    labels = dict(re.findall(r'(\w+)="([^"]*)"', runtime[1]))
    assert labels == {"loop": "uvloop", "http": "HttpToolsProtocol", "ws": "FastWebSocketProtocol"}
    assert _gauge(text, "convene_connections") == 2
    assert _gauge(text, "convene_fast_path_connections") == 2
    for ws in clients.values():
        await ws.close()


async def test_sigusr2_collects_garbage_and_says_so(serve):
    assert "garbage collected on SIGUSR2" not in serve.log()
    serve.proc.send_signal(signal.SIGUSR2)

    async def log() -> str:
        await asyncio.sleep(0)
        return serve.log()

    assert "garbage collected on SIGUSR2" in await eventually(
        log, lambda t: "garbage collected on SIGUSR2" in t
    )
    async with Api(serve.url, None) as anon:
        assert (await anon.call("GET", "/healthz")).status_code == 200  # still serving
