"""The session status machine of the contract, as a table."""

from __future__ import annotations

TRANSITIONS: dict[str, frozenset[str]] = {
    "scheduled": frozenset({"lobby", "live", "cancelled"}),
    "lobby": frozenset({"live", "cancelled"}),
    "live": frozenset({"ended", "cancelled"}),
    "ended": frozenset(),
    "cancelled": frozenset(),
}
STATUSES = tuple(TRANSITIONS)
ACTIVE = frozenset({"lobby", "live"})


class StatusConflict(ValueError):
    def __init__(self, current: str, target: str):
        allowed = sorted(TRANSITIONS.get(current, ()))
        hint = f"from {current} it may go to {', '.join(allowed)}" if allowed else "it is final"
        super().__init__(f"the session is {current} and cannot become {target}: {hint}")
        self.current, self.target = current, target


def check_transition(current: str, target: str) -> None:
    """Raise ``StatusConflict`` unless ``current -> target`` is allowed."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise StatusConflict(current, target)


def require_active(status: str, what: str) -> str | None:
    """The conflict sentence when ``what`` needs a lobby or live session, else None."""
    if status in ACTIVE:
        return None
    return f"{what} needs the session in lobby or live; it is {status}"
