"""The round state machine as a table: (status, action) -> new status.

Every lifecycle function asks this table first, so what is allowed is
written down in one place and the tests can walk it exhaustively. Anything
not in the table is a conflict with the round's current state (HTTP 409).
"""

from __future__ import annotations

from enum import StrEnum

from .errors import conflict
from .model import Round, RoundStatus
from .wording import with_article

PLANNED, OPEN, CLOSING, CLOSED, CANCELLED = (
    RoundStatus.PLANNED,
    RoundStatus.OPEN,
    RoundStatus.CLOSING,
    RoundStatus.CLOSED,
    RoundStatus.CANCELLED,
)


class Action(StrEnum):
    EDIT_PLAN = "edit_plan"
    OPEN = "open"
    EXTEND = "extend"
    BEGIN_CLOSE = "begin_close"
    CANCEL_CLOSE = "cancel_close"
    FINISH_CLOSE = "finish_close"
    CANCEL = "cancel"
    RECREATE = "recreate"


TRANSITIONS: dict[tuple[RoundStatus, Action], RoundStatus] = {
    (PLANNED, Action.EDIT_PLAN): PLANNED,
    (PLANNED, Action.OPEN): OPEN,
    (PLANNED, Action.CANCEL): CANCELLED,
    (OPEN, Action.EXTEND): OPEN,
    (OPEN, Action.BEGIN_CLOSE): CLOSING,
    (CLOSING, Action.CANCEL_CLOSE): OPEN,
    (CLOSING, Action.FINISH_CLOSE): CLOSED,
    # Recreating copies a finished round into a new planned one; the old one stays.
    (CLOSED, Action.RECREATE): CLOSED,
    (CANCELLED, Action.RECREATE): CANCELLED,
}

_WHAT = {
    Action.EDIT_PLAN: "change the plan of",
    Action.OPEN: "open",
    Action.EXTEND: "extend",
    Action.BEGIN_CLOSE: "close",
    Action.CANCEL_CLOSE: "cancel the closing countdown of",
    Action.FINISH_CLOSE: "finish closing",
    Action.CANCEL: "cancel",
    Action.RECREATE: "recreate",
}


def allowed_from(action: Action) -> list[RoundStatus]:
    return [status for (status, act) in TRANSITIONS if act is action]


def require(round_: Round, action: Action) -> RoundStatus:
    """The status ``action`` leads to, or a conflict error saying why not."""
    target = TRANSITIONS.get((round_.status, action))
    if target is not None:
        return target
    allowed = " or ".join(status.value for status in allowed_from(action))
    raise conflict(
        f"Cannot {_WHAT[action]} round {round_.id}: it is {round_.status.value}, "
        f"and only {with_article(allowed)} round allows that."
    )
