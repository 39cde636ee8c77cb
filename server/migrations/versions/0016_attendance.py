"""attendance: per-person tallies and per-session peaks (issue 16)

Revision ID: 0016
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import server.db

revision: str = "0016"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "attendance_peaks",
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("online", sa.Integer(), nullable=False),
        sa.Column("peak_online", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id"),
    )
    op.create_table(
        "attendance_tallies",
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("room_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=True),
        sa.Column("language", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=True),
        sa.Column("counting_since", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("first_seen", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_seen", server.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("online_s", sa.Float(), nullable=False),
        sa.Column("rooms", sa.JSON(), nullable=False),
        sa.Column("listened", sa.JSON(), nullable=False),
        sa.Column("hands", sa.Integer(), nullable=False),
        sa.Column("help", sa.Integer(), nullable=False),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "person_id"),
    )


def downgrade() -> None:
    op.drop_table("attendance_tallies")
    op.drop_table("attendance_peaks")
