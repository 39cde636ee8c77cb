"""Service settings, read from ``CONVENE_*`` environment variables."""

from __future__ import annotations

import secrets
from functools import cached_property
from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CONVENE_", extra="ignore")

    database_url: str = "sqlite:///convene.db"
    redis_url: str | None = None
    redis_prefix: str = "convene"
    admin_token: SecretStr | None = None
    allowed_origins: str | None = None
    webhook_allow_private: bool = False
    webhook_backoff_s: float = Field(5.0, gt=0)  # first retry after 5-6.25 s; tests: short
    webhook_max_attempts: int = Field(8, ge=1, le=30)  # then the webhook is marked failing
    min_turn_s: int = Field(60, ge=1, le=14_400)  # shortest turn_s an event may set; tests: 1
    data_dir: Path = Path(".convene")
    public_url: str = "http://127.0.0.1:8000"

    # event log retention: keep at least this many events AND this many hours per session
    log_keep_events: int = Field(10_000, ge=100)
    log_keep_hours: float = Field(24.0, ge=0)

    # gateway
    ws_queue_max: int = Field(2_000, ge=10)
    ws_queue_bytes: int = Field(8 * 2**20, ge=65_536)  # a slow client's backlog, in bytes
    feed_recent_bytes: int = Field(4 * 2**20, ge=0)  # per session, kept for resumes
    ws_rate_per_s: float = Field(20.0, gt=0)
    ws_burst: int = Field(60, ge=1)
    ws_max_frame: int = 65_536
    poll_interval_s: float = Field(1.0, gt=0)
    presence_ttl_s: float = Field(30.0, gt=0)
    presence_renew_s: float = Field(10.0, gt=0)
    large_room: int = Field(100, ge=1)  # rooms above it: counts, not each member
    # re-check every domain-made event against its schema (the test suite, debugging);
    # off in production, where the domain's types are trusted (issue 19)
    validate_events: bool = False

    # media (docs/media-server.md): the Janus clients join, and the secret that derives
    # their AudioBridge tokens (the bridge must be given the same secret)
    janus_url: str | None = None
    janus_admin_key: SecretStr | None = None  # AudioBridge admin_key: only the bridge
    media_secret: SecretStr | None = None
    media_generation: int = Field(1, ge=1)  # bump to end every media ticket at once

    instance_id: str = Field(default_factory=lambda: secrets.token_hex(6))
    log_format: str = "json"
    log_level: str = "INFO"

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        scheme = value.split(":", 1)[0].split("+", 1)[0]
        if scheme not in {"sqlite", "postgresql", "postgres"}:
            raise ValueError(
                f"CONVENE_DATABASE_URL must start with sqlite:// or postgresql://, got {scheme}://"
            )
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("CONVENE_REDIS_URL must start with redis://, rediss:// or unix://")
        return value

    @cached_property
    def origins(self) -> frozenset[str] | None:
        """Allowed browser origins, or None for any."""
        if not self.allowed_origins:
            return None
        return frozenset(
            o.strip().rstrip("/") for o in self.allowed_origins.split(",") if o.strip()
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
