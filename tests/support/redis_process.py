"""A redis-server of the test's own, for the fault tests that kill, stop or restart it
(the shared Redis is never touched)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

import pytest

from .server import free_port

REQUIRE = os.environ.get("CONVENE_REQUIRE_SERVICES") == "1"


class RedisProcess:
    """Started on a free port; ``start`` again after a kill serves the same port."""

    def __init__(self):
        exe = shutil.which("redis-server")
        if exe is None:
            if REQUIRE:
                pytest.fail("redis-server is not installed (CONVENE_REQUIRE_SERVICES=1)")
            pytest.skip("redis-server binary not found")
        self.exe, self.port = exe, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self) -> subprocess.Popen:
        self.proc = subprocess.Popen(
            [self.exe, "--port", str(self.port), "--save", "", "--appendonly", "no"]
            + ["--bind", "127.0.0.1"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self.proc

    def kill(self) -> None:
        """Gone at once, even when the test left it stopped (``SIGSTOP``)."""
        self.proc.send_signal(signal.SIGCONT)
        self.proc.kill()
        self.proc.wait()
