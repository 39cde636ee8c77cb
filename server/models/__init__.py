"""Database tables (SQLModel ``table=True``). They do not validate input: the
``schemas`` module does, before anything reaches here.

One module per area; importing this package registers every table in
``SQLModel.metadata`` (Alembic and ``create_all`` rely on it)."""

from .attendance import AttendancePeak, AttendanceTally
from .breakouts import BreakoutRound, HelpRequest
from .columns import new_id, utcnow
from .core import Event, Person, Room, Session
from .interpretation import InterpretationState, ListenerSampleRow
from .presence import Placement, PresenceLease, PresenceNews, ProcessHeartbeat
from .runtime import EventRecord, LeaderTerm, Timer
from .speakers_chat import ChatMessageRow, Hand, SpeakerQueue
from .webhooks import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
    "AttendancePeak",
    "AttendanceTally",
    "BreakoutRound",
    "ChatMessageRow",
    "Event",
    "EventRecord",
    "Hand",
    "HelpRequest",
    "InterpretationState",
    "ListenerSampleRow",
    "LeaderTerm",
    "Person",
    "Placement",
    "PresenceLease",
    "ProcessHeartbeat",
    "PresenceNews",
    "Room",
    "Session",
    "SpeakerQueue",
    "Timer",
    "Webhook",
    "WebhookAttempt",
    "WebhookDelivery",
    "new_id",
    "utcnow",
]
