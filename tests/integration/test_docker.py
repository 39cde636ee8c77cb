"""docker/: the compose file, the image and nginx's configuration, checked by their own
tools (docker-compose config, hadolint, nginx -t), and a private nginx with that
configuration, which must log no token. The compose host names do not resolve here, so
nginx runs on a copy whose upstreams are 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import orjson
import pytest

from tests.support.server import free_port
from tests.support.tools import tool

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"
PLACEHOLDER = "change-me-to-a-long-random-token"


def _compose_config(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    """``docker-compose config`` with only ``env`` set (an empty env file: a local
    docker/.env does not count)."""
    empty = tmp_path / "empty.env"
    empty.write_text("")
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
    return subprocess.run(
        [tool("docker-compose"), "--env-file", str(empty), "-f", str(DOCKER / "compose.yaml")]
        + ["config"],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


def _published(config: str) -> list[str]:
    return re.findall(r"^\s*- (\S*\d+:\d+/tcp)$", config, re.M)


def test_compose_publishes_on_loopback_unless_told_otherwise(tmp_path):
    out = _compose_config(tmp_path, CONVENE_ADMIN_TOKEN=secrets.token_urlsafe(32))
    assert out.returncode == 0, out.stderr
    # the API (8080) and Janus's HTTP API (8088, docs/media-server.md)
    assert sorted(_published(out.stdout)) == ["127.0.0.1:8080:8080/tcp", "127.0.0.1:8088:8088/tcp"]
    out = _compose_config(
        tmp_path, CONVENE_ADMIN_TOKEN=secrets.token_urlsafe(32), CONVENE_BIND_ADDRESS="0.0.0.0"
    )
    assert out.returncode == 0, out.stderr
    assert sorted(_published(out.stdout)) == ["0.0.0.0:8080:8080/tcp", "0.0.0.0:8088:8088/tcp"]


@pytest.mark.parametrize("env", [{}, {"CONVENE_ADMIN_TOKEN": ""}])
def test_compose_refuses_a_missing_admin_token(tmp_path, env):
    out = _compose_config(tmp_path, **env)
    assert out.returncode != 0
    assert "CONVENE_ADMIN_TOKEN" in out.stderr
    assert PLACEHOLDER not in out.stdout


def test_the_service_refuses_the_placeholder_admin_token(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONVENE_")}
    out = subprocess.run(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(free_port())],
        cwd=tmp_path,
        env={**env, "CONVENE_ADMIN_TOKEN": PLACEHOLDER, "CONVENE_DATABASE_URL": "sqlite:///x.db"},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode != 0
    (line,) = out.stderr.splitlines()  # one log line, JSON like every other
    assert orjson.loads(line)["level"] == "error"
    assert "CONVENE_ADMIN_TOKEN" in line and "placeholder" in line


@pytest.mark.parametrize("dockerfile", ["Dockerfile", "janus/Dockerfile"])
def test_dockerfile_passes_hadolint(dockerfile):
    out = subprocess.run(
        [tool("hadolint"), "--no-color", str(DOCKER / dockerfile)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 0, out.stdout + out.stderr


def _local_nginx_conf(tmp_path: Path, port: int, upstreams: list[int]) -> Path:
    """docker/nginx.conf with its upstreams, its port and its logs made local."""
    text = (DOCKER / "nginx.conf").read_text()
    text = re.sub(
        r"\bapp(\d+):8000\b", lambda m: f"127.0.0.1:{upstreams[int(m.group(1)) - 1]}", text
    )
    text = re.sub(r"\blisten\s+8080\b", f"listen 127.0.0.1:{port}", text)
    text = text.replace("/dev/stdout", str(tmp_path / "access.log"))
    text = text.replace("/dev/stderr", str(tmp_path / "error.log"))
    conf = tmp_path / "nginx.conf"
    conf.write_text(text)
    return conf


def _nginx(tmp_path: Path, conf: Path, *args: str) -> list[str]:
    logs = ["-e", str(tmp_path / "error.log"), "-g", f"pid {tmp_path / 'nginx.pid'};"]
    return [tool("nginx"), "-c", str(conf), "-p", f"{tmp_path}/", *logs, *args]


def test_nginx_conf_passes_nginx_t(tmp_path):
    conf = _local_nginx_conf(tmp_path, free_port(), [8000, 8001])
    out = subprocess.run(_nginx(tmp_path, conf, "-t"), capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


async def _tiny_upstream() -> tuple[asyncio.Server, int]:
    """An HTTP server answering 200 to every request (one per connection)."""

    async def answer(reader, writer):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    return server, server.sockets[0].getsockname()[1]


async def _until_listening(proc: subprocess.Popen, port: int, log: Path) -> None:
    while True:
        assert proc.poll() is None, log.read_text() if log.exists() else "nginx exited"
        try:
            _, w = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        w.close()
        return


@pytest.mark.asyncio(loop_scope="session")
async def test_nginx_logs_no_token_even_when_an_upstream_is_down(tmp_path):
    """One app process is down: nginx logs the failed connection with the whole request
    line unless its error log keeps quiet; the access log must not name a token."""
    upstream, live = await _tiny_upstream()
    port, dead = free_port(), free_port()
    conf = _local_nginx_conf(tmp_path, port, [dead, live])
    proc = subprocess.Popen(
        _nginx(tmp_path, conf, "-g", "daemon off; worker_processes 1;"),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    t = [secrets.token_urlsafe(24) for _ in range(6)]
    paths = [
        f"/ws/sessions/s1?token={t[0]}",
        f"/ws/sessions/s1?resume_from=3&tok%65n={t[1]}",
        f"/api/events?%74oken={t[2]}",
        f"/api/calendar/{t[3]}.ics",
        f"/api/c%61lendar/{t[4]}.ics",
        f"/api/calendar/{t[5]}.ics?token={t[0]}",
    ]
    try:
        await asyncio.wait_for(_until_listening(proc, port, tmp_path / "error.log"), 20)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as c:
            for path in paths:
                r = await c.get(path)
                assert r.status_code == 200 and r.text == "ok"
    finally:
        proc.send_signal(signal.SIGQUIT)  # graceful: every log line is written first
        proc.wait(timeout=20)
        upstream.close()
    access = (tmp_path / "access.log").read_text()
    errors = (tmp_path / "error.log").read_text()
    assert len(access.splitlines()) == len(paths)
    assert f"127.0.0.1:{dead}" in access  # the dead process was tried (and failed)
    leaked = [s for s in t if s in access + errors]
    assert not leaked, f"access log:\n{access}\nerror log:\n{errors}"
    assert access.count("/api/calendar/[redacted]") == 3
