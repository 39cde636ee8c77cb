"""attendance is placements: where a person belongs in a session (a pure rename)

Revision ID: 0017_placements
Revises: 0010_speakers_chat
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017_placements"
down_revision: str | None = "0010_speakers_chat"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PostgreSQL names a table's constraints after it; they follow the table's new name
CONSTRAINTS = ("pkey", "person_id_fkey", "session_id_fkey")


def _rename(old: str, new: str) -> None:
    op.rename_table(old, new)
    if op.get_bind().dialect.name == "postgresql":
        for suffix in CONSTRAINTS:
            op.execute(f"ALTER TABLE {new} RENAME CONSTRAINT {old}_{suffix} TO {new}_{suffix}")


def upgrade() -> None:
    _rename("attendance", "placements")


def downgrade() -> None:
    _rename("placements", "attendance")
