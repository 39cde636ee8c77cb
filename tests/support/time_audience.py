"""The audience of the time tests, one person per zone that matters, and an event
made with them."""

from __future__ import annotations

from tests.support.client import Api

AUDIENCE = {
    "mod": {"name": "Mona Moderator", "role": "moderator", "timezone": "Europe/Berlin"},
    "tbilisi": {"name": "Nino Beridze", "role": "participant", "timezone": "Asia/Tbilisi"},
    "amman": {"name": "Rami Aziz", "role": "participant", "timezone": "Asia/Amman"},
    "bogota": {"name": "Camila Rojas", "role": "participant", "timezone": "America/Bogota"},
    "berlin": {"name": "Jonas Weber", "role": "participant", "timezone": "Europe/Berlin"},
    "interp": {
        "name": "Amal Haddad",
        "role": "interpreter",
        "interprets": ["en>ar", "ar>en"],
        "timezone": "Asia/Amman",
    },
    "obs": {"name": "Media bridge", "role": "observer"},  # UTC; not an audience
}


async def event_with(admin: Api, title: str, people: dict[str, dict]) -> tuple[dict, dict]:
    event = await admin.ok("POST", "/api/events", {"title": title}, 201)
    made = {}
    for key, body in people.items():
        made[key] = await admin.ok("POST", f"/api/events/{event['id']}/people", body, 201)
    return event, made
