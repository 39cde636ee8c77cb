"""arrivals and departures waiting for a coalesced presence.changed

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "presence_news",
        sa.Column("session_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("room_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("person_id", sqlmodel.sql.sqltypes.AutoString(length=36), nullable=False),
        sa.Column("change", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["sessions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", "room_id", "person_id"),
    )


def downgrade() -> None:
    op.drop_table("presence_news")
