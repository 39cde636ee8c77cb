"""listener_samples: the interpretation report's listener samples leave the state row
(read and written whole by every command interpretation follows) for rows of their
own, one per channel and second (issue 19)

Revision ID: 0022_listener_samples
Revises: 0021_process_heartbeats
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision: str = "0022_listener_samples"
down_revision: str | None = "0021_process_heartbeats"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATES = sa.table(
    "interpretation_states",
    sa.column("session_id", sa.String),
    sa.column("state", sa.JSON),
    sa.column("samples_n", sa.Integer),
)
_SAMPLES = sa.table(
    "listener_samples",
    sa.column("session_id", sa.String),
    sa.column("room_id", sa.String),
    sa.column("language", sa.String),
    sa.column("second", server.db.UTCDateTime()),
    sa.column("at", server.db.UTCDateTime()),
    sa.column("listeners", sa.Integer),
    sa.column("n", sa.Integer),
)


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(dt.UTC)


def _text(instant: dt.datetime) -> str:
    return instant.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def upgrade() -> None:
    op.create_table(
        "listener_samples",
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("room_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("second", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("at", server.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("listeners", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "room_id", "language", "second"),
    )
    op.create_index("ix_listener_samples_session_n", "listener_samples", ["session_id", "n"])
    with op.batch_alter_table("interpretation_states", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("samples_n", sa.Integer(), nullable=False, server_default="0")
        )
    conn = op.get_bind()
    for sid, state in conn.execute(sa.select(_STATES.c.session_id, _STATES.c.state)).all():
        items = (state or {}).get("samples") or []
        if not items:
            continue
        rows: dict[tuple, dict] = {}  # one a channel a second, the last (as the domain)
        for n, s in enumerate(items):
            at = _instant(s["at"])
            key = (s["room_id"], s["language"], at.replace(microsecond=0))
            rows.pop(key, None)
            rows[key] = {
                "session_id": sid,
                "room_id": s["room_id"],
                "language": s["language"],
                "second": key[2],
                "at": at,
                "listeners": s["listeners"],
                "n": n,
            }
        conn.execute(_SAMPLES.insert(), list(rows.values()))
        conn.execute(
            _STATES.update()
            .where(_STATES.c.session_id == sid)
            .values(state={**state, "samples": []}, samples_n=len(items))
        )


def downgrade() -> None:
    conn = op.get_bind()
    by_session: dict[str, list[dict]] = {}
    q = sa.select(
        _SAMPLES.c.session_id, _SAMPLES.c.at, _SAMPLES.c.room_id,
        _SAMPLES.c.language, _SAMPLES.c.listeners,
    ).order_by(_SAMPLES.c.session_id, _SAMPLES.c.n)  # fmt: skip
    for sid, at, room_id, language, listeners in conn.execute(q).all():
        by_session.setdefault(sid, []).append(
            {"at": _text(at), "room_id": room_id, "language": language, "listeners": listeners}
        )
    for sid, samples in by_session.items():
        (state,) = conn.execute(
            sa.select(_STATES.c.state).where(_STATES.c.session_id == sid)
        ).one()
        conn.execute(
            _STATES.update()
            .where(_STATES.c.session_id == sid)
            .values(state={**(state or {}), "samples": samples})
        )
    with op.batch_alter_table("interpretation_states", schema=None) as batch_op:
        batch_op.drop_column("samples_n")
    op.drop_index("ix_listener_samples_session_n", table_name="listener_samples")
    op.drop_table("listener_samples")
