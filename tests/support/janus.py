"""A private Janus for one test: a config written for it (HTTP transport and the
AudioBridge plugin only, loopback, free ports), started and stopped by the test."""

from __future__ import annotations

import os
import random
import subprocess
import time
from pathlib import Path

import httpx

from tests.support.server import ServerProcess, free_port
from tests.support.tools import tool

ARCH_LIB = Path("/usr/lib/x86_64-linux-gnu/janus")


def _lib_dir() -> Path:
    for cand in (ARCH_LIB, *Path("/usr/lib").glob("*/janus")):
        if (cand / "plugins" / "libjanus_audiobridge.so").exists():
            return cand
    raise RuntimeError("the janus package's plugins folder was not found")


def media_service(folder: Path, janus: JanusProcess, secret: str) -> ServerProcess:
    """A Convene service on SQLite that hands out tickets for ``janus`` (use it as a
    context manager, as ``ServerProcess``)."""
    env = {
        "CONVENE_DATABASE_URL": f"sqlite:///{folder}/convene.db",
        "CONVENE_JANUS_URL": janus.url,
        "CONVENE_MEDIA_SECRET": secret,
    }
    return ServerProcess(folder, env)


class JanusProcess:
    def __init__(self, workdir: Path, admin_key: str = "test-admin-key"):
        self.binary = tool("janus")
        self.dir = Path(workdir)
        self.port = free_port()
        self.admin_key = admin_key
        base = random.randrange(20000, 59000, 200)
        self.rtp_range = f"{base}-{base + 199}"
        self.proc: subprocess.Popen | None = None
        self._write_config()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/janus"

    def _write_config(self) -> None:
        lib = _lib_dir()
        conf, plugins, transports = self.dir / "conf", self.dir / "plugins", self.dir / "transports"
        for d in (conf, plugins, transports):
            d.mkdir(parents=True, exist_ok=True)
        for src, dst in (
            (lib / "plugins" / "libjanus_audiobridge.so", plugins / "libjanus_audiobridge.so"),
            (lib / "transports" / "libjanus_http.so", transports / "libjanus_http.so"),
        ):
            if not dst.exists():
                dst.symlink_to(src)
        (conf / "janus.jcfg").write_text(
            f"""general: {{
    configs_folder = "{conf}"
    plugins_folder = "{plugins}"
    transports_folder = "{transports}"
    events_folder = "{self.dir}/none"
    loggers_folder = "{self.dir}/none"
    debug_level = 4
    session_timeout = 60
}}
media: {{
    rtp_port_range = "{self.rtp_range}"
}}
nat: {{
    ice_enforce_list = "lo"
    ignore_mdns = true
}}
"""
        )
        (conf / "janus.transport.http.jcfg").write_text(
            f"""general: {{
    base_path = "/janus"
    http = true
    port = {self.port}
    ip = "127.0.0.1"
    https = false
}}
admin: {{
    admin_http = false
}}
"""
        )
        (conf / "janus.plugin.audiobridge.jcfg").write_text(
            f"""general: {{
    admin_key = "{self.admin_key}"
    string_ids = true
    local_ip = "127.0.0.1"
    rtp_port_range = "{self.rtp_range}"
    events = false
}}
"""
        )

    def start(self, timeout: float = 20.0) -> JanusProcess:
        self._log = log = open(self.dir / "janus.log", "ab")
        self.proc = subprocess.Popen(
            [self.binary, "-F", str(self.dir / "conf"), "-C", str(self.dir / "conf/janus.jcfg")],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"janus exited early:\n{self.log()[-3000:]}")
            try:
                r = httpx.post(self.url, json={"janus": "info", "transaction": "t"}, timeout=1)
                if r.status_code == 200 and PLUGIN_NAME in r.text:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"janus did not answer:\n{self.log()[-3000:]}")

    def log(self) -> str:
        return (self.dir / "janus.log").read_text(errors="replace")

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        self.kill()  # a test Janus keeps nothing worth a graceful stop

    def __enter__(self) -> JanusProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


PLUGIN_NAME = "janus.plugin.audiobridge"


class BridgeProcess:
    """``convene media-bridge`` for one session, as an operator runs it."""

    def __init__(
        self, workdir: Path, server, janus: JanusProcess, session_id: str, token: str, secret: str
    ):
        import sys

        self.metrics_port = free_port()
        self.log_path = Path(workdir) / f"bridge-{session_id[:8]}.log"
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "server.cli",
                "media-bridge",
                "--session",
                session_id,
                "--url",
                server.url,
                "--metrics-port",
                str(self.metrics_port),
                "--poll-s",
                "0.25",
            ],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={
                **os.environ,
                "CONVENE_BRIDGE_TOKEN": token,
                "CONVENE_JANUS_URL": janus.url,
                "CONVENE_JANUS_ADMIN_KEY": janus.admin_key,
                "CONVENE_MEDIA_SECRET": secret,
                "CONVENE_LOG_FORMAT": "text",
            },
        )

    def metrics(self) -> str:
        return httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5).text

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._log.close()
