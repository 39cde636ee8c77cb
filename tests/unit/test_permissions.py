"""The permission table is the one policy: every permission a role is granted is
checked somewhere, so a grant that nothing checks cannot pass for a rule."""

from __future__ import annotations

import re
from pathlib import Path

from server.auth import ROLE_PERMS, Perm

SERVER = Path(__file__).resolve().parents[2] / "server"


def test_every_granted_permission_is_checked_by_some_route_or_command() -> None:
    used = {
        name
        for path in SERVER.rglob("*.py")
        if path.name != "auth.py"
        for name in re.findall(r"\bPerm\.(\w+)", path.read_text(encoding="utf-8"))
    }
    granted = {perm.name for perms in ROLE_PERMS.values() for perm in perms}
    assert sorted(granted - used) == []
    assert used <= {perm.name for perm in Perm}
