"""A database that cannot be reached at start-up is one clear log line and exit
status 2, like a bad setting: the host, port and database it tried and why, never
the password, no traceback. A host that accepts and never answers (a firewall that
drops, a hung server) is given up after the URL's ``connect_timeout`` (10 s unless
it says), instead of waiting forever."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import orjson

from tests.support.server import free_port


def _serve(tmp_path, url: str) -> tuple[subprocess.CompletedProcess, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
    env |= {"CONVENE_DATABASE_URL": url, "CONVENE_ADMIN_TOKEN": "a" * 20 + "b" * 20}
    t0 = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return out, time.monotonic() - t0


def _lines(out: subprocess.CompletedProcess) -> list[dict]:
    return [orjson.loads(x) for x in (out.stdout + out.stderr).splitlines() if x.strip()]


def test_a_refused_database_is_one_line_and_exit_2(tmp_path):
    port = free_port()  # nothing listens there
    out, _ = _serve(tmp_path, f"postgresql://convene:s3cret-pw@127.0.0.1:{port}/events")
    assert out.returncode == 2, out.stdout[-2000:] + out.stderr[-2000:]
    errors = [x for x in _lines(out) if x["level"] == "error"]
    assert len(errors) == 1, errors
    msg = errors[0]["msg"]
    assert f"127.0.0.1:{port}/events" in msg and "refused" in msg
    assert "s3cret-pw" not in out.stdout + out.stderr
    assert "Traceback" not in out.stdout + out.stderr


def test_a_database_that_never_answers_is_given_up_after_connect_timeout(tmp_path):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel accepts; nobody ever answers
    port = silent.getsockname()[1]
    try:
        url = f"postgresql://convene@127.0.0.1:{port}/events?connect_timeout=2"
        out, took = _serve(tmp_path, url)
    finally:
        silent.close()
    assert out.returncode == 2, out.stdout[-2000:] + out.stderr[-2000:]
    (error,) = [x for x in _lines(out) if x["level"] == "error"]
    assert f"127.0.0.1:{port}/events" in error["msg"] and "timeout" in error["msg"]
    assert took < 30
