"""A real ``convene serve`` process for integration tests."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


TEST_SETTINGS = {
    "CONVENE_LOG_FORMAT": "json",
    "CONVENE_LOG_LEVEL": "INFO",
    "CONVENE_POLL_INTERVAL_S": "0.5",
    "CONVENE_WEBHOOK_ALLOW_PRIVATE": "1",
    "CONVENE_WEBHOOK_BACKOFF_S": "0.2",
    "CONVENE_WEBHOOK_MAX_ATTEMPTS": "4",
}


class ServerProcess:
    """Starts the service, waits until /healthz answers, stops it on exit."""

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str],
        *,
        port: int | None = None,
        admin_token: str | None = None,
        production: bool = False,
        command: list[str] | None = None,
    ):
        """``production``: the settings' own defaults (the benchmarks), not the tests'
        shorter timings, and no ``CONVENE_*`` inherited from this process's environment;
        ``command``: how to start the service (default ``python -m server.cli``)."""
        self.workdir = Path(workdir)
        self.port = port or free_port()
        self.admin_token = admin_token or secrets.token_urlsafe(24)
        self.command = command or [sys.executable, "-m", "server.cli"]
        inherited = {
            k: v for k, v in os.environ.items() if not (production and k.startswith("CONVENE_"))
        }
        self.env = {
            **inherited,
            "CONVENE_ADMIN_TOKEN": self.admin_token,
            "CONVENE_DATA_DIR": str(self.workdir / "data"),
            **({} if production else TEST_SETTINGS),
            **env,
        }
        self.log_path = self.workdir / f"server-{self.port}.log"
        self.proc: subprocess.Popen | None = None
        # started together with this one (``process_pair``): their processes are spawned
        # at this one's ``start``, and each one's own ``start`` then only waits for it
        self.together: list[ServerProcess] = []
        self._spawned_early = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def _spawn(self) -> None:
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [*self.command, "serve", "--port", str(self.port)],
            cwd=self.workdir,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def start(self, timeout: float = 30.0) -> ServerProcess:
        if self._spawned_early:
            self._spawned_early = False
        else:
            self._spawn()
            for other in self.together:
                if other.proc is None or other.proc.poll() is not None:
                    other._spawn()
                    other._spawned_early = True
        try:
            return self._wait_healthy(timeout)
        except BaseException:
            self._stop_early_ones()
            raise

    def _wait_healthy(self, timeout: float) -> ServerProcess:
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1) as http:  # one client for every poll (its TLS setup)
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited early:\n{self.log()}")
                try:
                    if http.get(f"{self.url}/healthz").status_code == 200:
                        return self
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"server did not become healthy:\n{self.log()}")

    def _stop_early_ones(self) -> None:
        """Processes spawned with this one whose own ``start`` never came."""
        for other in self.together:
            if other._spawned_early:
                other._spawned_early = False
                other.stop()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stop(self, sig: int = signal.SIGTERM) -> None:
        self._stop_early_ones()
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "_log", None):
            self._log.close()

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def process_pair(workdir: Path, db_url: str, redis_url: str, prefix: str, **env: str):
    """Two ``convene serve`` (instances "a" and "b") on one database and one Redis,
    sharing an admin token: the production layout without the load balancer. Both
    processes are spawned when the first is started, as replicas start together (the
    migration takes an advisory lock, so one of them migrates); ``with a, b:``."""
    token = secrets.token_urlsafe(24)
    procs = []
    for name in ("a", "b"):
        d = Path(workdir) / name
        d.mkdir()
        procs.append(
            ServerProcess(
                d,
                {
                    "CONVENE_DATABASE_URL": db_url,
                    "CONVENE_REDIS_URL": redis_url,
                    "CONVENE_REDIS_PREFIX": prefix,
                    "CONVENE_INSTANCE_ID": name,
                    **env,
                },
                admin_token=token,
            )
        )
    procs[0].together = [procs[1]]
    return procs
