"""Each feature's ``install``: the one place that says what a feature adds to the app
(routes, followers, hooks, timers, snapshot parts, background loops). ``create_app``
calls every function of ``INSTALLED`` in order on the app's own ``Wiring``; the
order is the order followers and snapshot parts run in (interpretation moves the
booths before help requests follow their askers)."""

from __future__ import annotations

from scheduler.automation import END, LIVE, LOBBY, REMINDER

from .gateway import collector, snapshot_breakouts, snapshot_interpretation, snapshot_speakers
from .routers import attendance as attendance_routes
from .routers import breakouts as breakouts_routes
from .routers import chat as chat_routes
from .routers import events, me, people, realtime, sessions, time, webhooks
from .routers import help as help_routes
from .routers import interpretation as interpretation_routes
from .routers import media as media_routes
from .routers import speakers as speaker_routes
from .services import attendance, automation, breakouts, help, presence_news, speakers
from .services import interpretation_follow as follow
from .services import interpretation_state as channels
from .services import webhooks as webhook_service
from .wiring import Wiring


def install_sessions(w: Wiring) -> None:
    """Events, people, sessions and their automatic status changes and reminders."""
    w.routers += [events.router, people.router, me.router, sessions.router, time.router]
    w.timer(LOBBY, automation.open_lobby)
    w.timer(LIVE, automation.go_live)
    w.timer(END, automation.end_or_overtime)
    w.timer(REMINDER, automation.remind)


def install_gc_policy(w: Wiring) -> None:
    """The garbage collector's policy, paced by the gateway's connections."""
    collector.install(w, lambda state: state.hub)


def install_presence(w: Wiring) -> None:
    """The WebSocket endpoint; a large room hears of arrivals once a second."""
    w.sockets.append(realtime.route)
    w.timer(presence_news.NEWS_KIND, presence_news.tell_room)


def install_breakouts(w: Wiring) -> None:
    w.routers.append(breakouts_routes.router)
    for kind in breakouts.TIMER_KINDS:
        w.timer(kind, breakouts.fire)
    w.on_join.append(breakouts.place_latecomer)
    w.snapshot.append(snapshot_breakouts.breakout_part)


def install_interpretation(w: Wiring) -> None:
    w.routers.append(interpretation_routes.router)
    w.timer(channels.TIMER_KIND, channels.fire)
    w.timer(channels.LISTENERS_KIND, channels.flush_listeners)
    w.timer(channels.RECONCILE_KIND, follow.reconcile)
    w.followers.append(follow.follow)  # moves, presence, rounds, languages
    w.on_round_open.append(follow.booths_follow_round)
    w.on_round_planned.append(follow.round_notes)
    w.snapshot.append(snapshot_interpretation.channels_part)


def install_help(w: Wiring) -> None:
    w.routers.append(help_routes.router)
    w.followers.append(help.follow)
    w.on_move.append(help.moderator_arrived)


def install_speakers(w: Wiring) -> None:
    """The speaker queue and chat. The queue follows what the features before it
    stored (moves, the floor, the session's end) and checks ``floor.upcoming`` after
    every command; its snapshot part is ``hands``."""
    w.routers += [speaker_routes.router, chat_routes.router]
    w.followers.append(speakers.follow)
    w.snapshot.append(snapshot_speakers.hands_part)


def install_attendance(w: Wiring) -> None:
    """Tallies kept by a follower after the features whose events it reads (moves,
    listening, hands, chat); moves alone are counted a second later, together."""
    w.routers.append(attendance_routes.router)
    w.followers.append(attendance.follow)
    w.timer(attendance.CATCH_UP_KIND, attendance.catch_up)


def install_webhooks(w: Wiring) -> None:
    w.routers.append(webhooks.router)
    w.before_commit.append(webhook_service.Outbox().enqueue)
    w.starters.append(webhook_service.start)


def install_media(w: Wiring) -> None:
    """Media-server join grants for people in rooms."""
    w.routers.append(media_routes.router)


INSTALLED = (
    install_sessions,
    install_presence,
    install_breakouts,
    install_interpretation,
    install_help,
    install_speakers,
    install_attendance,
    install_webhooks,
    install_media,
    install_gc_policy,
)


def wire(installs=INSTALLED) -> Wiring:
    w = Wiring()
    for install in installs:
        install(w)
    return w
