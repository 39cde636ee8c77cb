"""System tools some tests run (nginx, docker-compose, hadolint): found on PATH or in
the sbin folders, else the test skips, or fails under ``CONVENE_REQUIRE_SERVICES=1``
(CI installs them: ``.ci/run``)."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest


def tool(name: str) -> str:
    """The path of command ``name`` (the virtualenv's bin folder included)."""
    path = os.pathsep.join(
        [str(Path(sys.executable).parent), os.environ.get("PATH", ""), "/usr/sbin", "/sbin"]
    )
    found = shutil.which(name, path=path)
    if found:
        return found
    if os.environ.get("CONVENE_REQUIRE_SERVICES") == "1":
        pytest.fail(f"CONVENE_REQUIRE_SERVICES=1 but {name} is not installed (.ci/run installs it)")
    pytest.skip(f"{name} is not installed (set CONVENE_REQUIRE_SERVICES=1 to fail)")
