"""The ``convene`` command line: --version, and help pages a user can read."""

from __future__ import annotations

import re
from importlib.metadata import version

import typer
from typer.testing import CliRunner

from server.cli import app


def _command_paths(cmd, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    paths = [path]
    for name, sub in getattr(cmd, "commands", {}).items():
        paths += _command_paths(sub, (*path, name))
    return paths


def test_version_prints_the_installed_version():
    out = CliRunner().invoke(app, ["--version"])
    assert out.exit_code == 0, out.output
    assert out.output.strip() == f"convene {version('convene')}"


def test_no_help_page_shows_a_type_for_a_flag():
    paths = _command_paths(typer.main.get_command(app))
    assert ("serve",) in paths and ("db", "upgrade") in paths
    for path in paths:
        out = CliRunner().invoke(app, [*path, "--help"])
        assert out.exit_code == 0, out.output
        assert "--help" in out.output
        assert not re.search(r"<bool>", out.output), (
            f"convene {' '.join(path)} --help:\n{out.output}"
        )
        if path == ("serve",):  # options that take a value still say what
            assert re.search(r"--port\s+\S*int", out.output), out.output
