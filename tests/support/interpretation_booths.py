"""The interpretation integration tests' cast: the kick-off's working groups, its
interpreters and listeners, and ``Booths``, which seats them in one session."""

from __future__ import annotations

from tests.support.client import Api, ws_connect

GROUPS = [  # the kick-off's working groups; the first two carry Arabic and Russian
    ("Digital divide", ["ar"]),
    ("Digital literacy", ["ru"]),
    ("Public service design optimisation", []),
    ("Digitalisation of municipal services", []),
    ("City Lab collaborations", []),
]

PEOPLE = {
    "mod": {"name": "Mona", "role": "moderator"},
    "ar1": {"name": "Amal", "role": "interpreter", "interprets": ["en>ar", "ar>en"]},
    "ar2": {"name": "Omar", "role": "interpreter", "interprets": ["en>ar", "ar>en"]},
    "ru1": {"name": "Irina", "role": "interpreter", "interprets": ["en>ru", "ru>en"]},
    "ru2": {"name": "Pavel", "role": "interpreter", "interprets": ["en>ru"]},
    "p_ru": {"name": "Nino", "role": "participant", "language": "ru", "timezone": "Asia/Tbilisi"},
    "p_ar": {"name": "Rami", "role": "participant", "language": "ar", "timezone": "Asia/Amman"},
    "p_en": {"name": "Jonas", "role": "participant", "language": "en"},
    "obs": {"name": "Media bridge", "role": "observer"},
}


class Booths:
    """An event with an Arabic and a Russian booth, everyone connected."""

    async def setup(self, server, **event):
        async with Api(server.url, server.admin_token) as admin:
            self.event = await admin.ok("POST", "/api/events", {"title": "Booths", **event}, 201)
            eid = self.event["id"]
            self.session = await admin.ok(
                "POST",
                f"/api/events/{eid}/sessions",
                {"title": "Kick-off", "start": "2021-08-31T14:00", "end": "2021-08-31T16:00"},
                201,
            )
            self.people = {
                k: await admin.ok("POST", f"/api/events/{eid}/people", b, 201)
                for k, b in PEOPLE.items()
            }
            await admin.ok("POST", f"/api/sessions/{self.sid}/status", {"status": "live"})
        self.ws = {}
        for key in PEOPLE:
            c = await ws_connect(server, self.sid, self.people[key]["token"])
            await c.next()
            self.ws[key] = c
        self.server = server
        return self

    @property
    def sid(self) -> str:
        return self.session["id"]

    @property
    def plenary(self) -> str:
        return self.session["plenary_room_id"]

    def id(self, key):
        return self.people[key]["id"]

    def api(self, key):
        return Api(self.server.url, self.people[key]["token"])

    async def call(self, key, method, path, body=None):
        async with self.api(key) as api:
            return await api.call(method, f"/api/sessions/{self.sid}{path}", body)

    async def channels(self, room=None):
        async with self.api("obs") as api:
            view = await api.ok("GET", f"/api/sessions/{self.sid}/channels")
        room = room or self.plenary
        r = next(r for r in view["rooms"] if r["room_id"] == room)
        return {c["language"]: c for c in r["channels"]}

    async def language_round(self, mod: Api, *more_rooms: dict) -> dict:
        """A by-language round: an Arabic room, a Russian room and ``more_rooms``."""
        rooms = [
            {"name": "Digital divide", "languages": ["ar"]},
            {"name": "Digital literacy", "languages": ["ru"]},
            *more_rooms,
        ]
        body = {"rooms": rooms, "strategy": "by_language"}
        return await mod.ok("POST", f"/api/sessions/{self.sid}/breakouts", body, 201)

    async def close(self):
        for c in self.ws.values():
            await c.close()
