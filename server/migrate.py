"""Alembic, configured in code: ``convene db upgrade`` and start-up both call
``upgrade``. On PostgreSQL the run holds an advisory lock, so two processes that
start together do not both migrate."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from .db import sync_url

HERE = Path(__file__).parent / "migrations"


def config(database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(database_url: str, revision: str = "heads") -> None:
    """Feature branches of the migration tree are all applied (``heads``)."""
    command.upgrade(config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    command.revision(config(database_url), message=message, autogenerate=True)
