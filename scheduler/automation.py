"""Which alarms a session needs: a pure function of its schedule and settings."""

from __future__ import annotations

import datetime as dt

LOBBY, LIVE, END, REMINDER = "session.lobby", "session.live", "session.end", "session.reminder"
SESSION_KINDS = (LOBBY, LIVE, END, REMINDER)


def session_alarms(
    *,
    session_id: str,
    status: str,
    start: dt.datetime,
    end: dt.datetime,
    lobby_lead_s: int,
    auto_live: bool,
    reminders_s: list[int],
    now: dt.datetime,
) -> dict[tuple[str, str], dt.datetime]:
    """``{(kind, target): due_at}`` for the alarms still ahead of ``now``.

    Only instants still in the future are scheduled: a session created or moved
    into the past fires nothing. A finished or cancelled session has no alarms. The
    end alarm always exists while the session may still run: it ends the session
    (``auto_end``) or tells the moderators it runs over."""
    if status in ("ended", "cancelled"):
        return {}
    alarms: dict[tuple[str, str], dt.datetime] = {}

    def add(kind: str, target: str, due: dt.datetime) -> None:
        if due > now:
            alarms[(kind, target)] = due

    if status == "scheduled":
        add(LOBBY, session_id, start - dt.timedelta(seconds=lobby_lead_s))
        for before in reminders_s:
            add(REMINDER, f"{session_id}:{before}", start - dt.timedelta(seconds=before))
    if auto_live and status in ("scheduled", "lobby"):
        add(LIVE, session_id, start)
    add(END, session_id, end)
    return alarms
