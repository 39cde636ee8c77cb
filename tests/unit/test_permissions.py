"""The permission table is the one policy: every route names the permission it
checks, and every permission a role is granted is checked somewhere, so a grant that
nothing checks cannot pass for a rule."""

from __future__ import annotations

import ast
import importlib
import inspect
import re
import sys
import textwrap
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


# Authorised by something other than a caller's role: a secret in the URL.
NO_PERMISSION = {"time.calendar_feed"}  # the calendar feed's own token


def _names_a_permission(fn, seen: set, depth: int = 0) -> bool:
    """``fn``, or a function of the server it calls (three calls deep), names a
    ``Perm``: the route checks the permission table somewhere on its way."""
    if depth > 3 or fn in seen:
        return False
    seen.add(fn)
    try:
        source = textwrap.dedent(inspect.getsource(fn))
    except (TypeError, OSError):
        return False
    if re.search(r"\bPerm\.\w+", source):
        return True
    module = sys.modules.get(getattr(fn, "__module__", ""))
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call):
            continue
        target = None
        if isinstance(call.func, ast.Name):
            target = getattr(module, call.func.id, None)
        elif isinstance(call.func, ast.Attribute) and isinstance(call.func.value, ast.Name):
            owner = getattr(module, call.func.value.id, None)
            target = getattr(owner, call.func.attr, None)
        ours = getattr(target, "__module__", "") or ""
        if callable(target) and ours.startswith("server"):
            if _names_a_permission(target, seen, depth + 1):
                return True
    return False


def test_every_route_names_its_permission() -> None:
    unnamed = []
    for path in sorted((SERVER / "routers").glob("*.py")):
        module = importlib.import_module(f"server.routers.{path.stem}")
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.AsyncFunctionDef | ast.FunctionDef):
                continue
            verbs = {
                d.func.attr
                for d in node.decorator_list
                if isinstance(d, ast.Call) and isinstance(d.func, ast.Attribute)
            }
            if not verbs & {"get", "post", "put", "patch", "delete", "websocket"}:
                continue
            name = f"{path.stem}.{node.name}"
            if name not in NO_PERMISSION and not _names_a_permission(
                getattr(module, node.name), set()
            ):
                unnamed.append(name)
    assert unnamed == []
