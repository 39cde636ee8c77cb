"""The operator's token: from ``CONVENE_ADMIN_TOKEN``, or made once and kept in the
data directory (mode 0600). Only the file's path is ever printed."""

from __future__ import annotations

import os
from pathlib import Path

from .settings import Settings

# Example tokens from docs and compose files: anyone can read them, so none may open
# the service (the docker/compose.yaml of v1 fell back to the first one).
PLACEHOLDERS = ("change-me", "changeme")


def refuse_placeholder(token: str) -> None:
    """ValueError when ``token`` is an example token rather than a secret."""
    if token.strip().lower().startswith(PLACEHOLDERS):
        raise ValueError(
            "CONVENE_ADMIN_TOKEN is a placeholder, not a secret: set a long random token, "
            "e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))'"
        )


def token_path(settings: Settings) -> Path:
    return settings.data_dir / "admin-token"


def load_or_create(settings: Settings) -> tuple[str, Path | None]:
    if settings.admin_token is not None and settings.admin_token.get_secret_value():
        refuse_placeholder(settings.admin_token.get_secret_value())
        return settings.admin_token.get_secret_value(), None
    path = token_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip(), path
    from .auth import new_token  # imports sqlmodel: not needed to refuse a placeholder

    with os.fdopen(fd, "w") as f:
        f.write(new_token() + "\n")
    return path.read_text().strip(), path
