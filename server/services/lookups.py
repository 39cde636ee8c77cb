"""Reading a row that a path or body names inside the session at hand."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from .. import errors
from ..models import Session

Row = TypeVar("Row")


async def of_session(tx: AsyncSession, model: type[Row], row_id: Any, s: Session, what: str) -> Row:
    """The ``model`` row ``row_id`` of session ``s``, else 404: another session's row is
    answered as absent, so that ids do not leak across sessions."""
    row = await tx.get(model, row_id)
    if row is None or row.session_id != s.id:
        raise errors.NotFound(f"{what} {row_id} does not exist in this session")
    return row
