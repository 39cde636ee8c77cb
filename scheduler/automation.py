"""Which alarms a session needs: a pure function of its schedule and settings."""

from __future__ import annotations

import datetime as dt

LOBBY, LIVE, END, REMINDER = "session.lobby", "session.live", "session.end", "session.reminder"
SESSION_KINDS = (LOBBY, LIVE, END, REMINDER)


def session_instants(
    *,
    session_id: str,
    status: str,
    start: dt.datetime,
    end: dt.datetime,
    lobby_lead_s: int,
    auto_live: bool,
    reminders_s: list[int],
) -> dict[tuple[str, str], dt.datetime]:
    """``{(kind, target): due_at}`` for every alarm the session's state asks for, past
    or future.

    A finished or cancelled session has no alarms. The end alarm always exists while
    the session may still run: it ends the session (``auto_end``) or tells the
    moderators it runs over."""
    if status in ("ended", "cancelled"):
        return {}
    alarms: dict[tuple[str, str], dt.datetime] = {}
    if status == "scheduled":
        alarms[(LOBBY, session_id)] = start - dt.timedelta(seconds=lobby_lead_s)
        for before in reminders_s:
            alarms[(REMINDER, f"{session_id}:{before}")] = start - dt.timedelta(seconds=before)
    if auto_live and status in ("scheduled", "lobby"):
        alarms[(LIVE, session_id)] = start
    alarms[(END, session_id)] = end
    return alarms


def session_alarms(*, now: dt.datetime, **session) -> dict[tuple[str, str], dt.datetime]:
    """The alarms of ``session_instants`` still ahead of ``now``: the ones that may be set.

    Only instants still in the future are scheduled: a session created or moved
    into the past fires nothing."""
    return {key: due for key, due in session_instants(**session).items() if due > now}


def replan(
    pending: dict[tuple[str, str], dt.datetime],
    instants: dict[tuple[str, str], dt.datetime],
    now: dt.datetime,
) -> tuple[set[tuple[str, str]], dict[tuple[str, str], dt.datetime]]:
    """``(to_delete, to_set)`` that turn the ``pending`` alarms into what ``instants``
    (from ``session_instants``) ask for.

    A pending alarm whose instant is unchanged stays, even when it is overdue: it was
    set while still ahead and fell due while the service was down (or a moment ago),
    and fires once with its lateness. Re-planning from the handler of an earlier
    overdue alarm (the lobby opening at start-up) must not drop the later ones. Only
    instants already past when they are *set* (created, moved) are not scheduled."""
    to_delete: set[tuple[str, str]] = set()
    to_set: dict[tuple[str, str], dt.datetime] = {}
    for key, due in pending.items():
        wanted = instants.get(key)
        if wanted is None:
            to_delete.add(key)
        elif _utc(wanted) != _utc(due):
            if wanted > now:
                to_set[key] = wanted
            else:
                to_delete.add(key)
    for key, wanted in instants.items():
        if key not in pending and wanted > now:
            to_set[key] = wanted
    return to_delete, to_set


def _utc(t: dt.datetime) -> dt.datetime:
    return t.replace(tzinfo=dt.UTC) if t.tzinfo is None else t.astimezone(dt.UTC)
