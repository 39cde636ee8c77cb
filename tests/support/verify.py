"""verify_action: after each action, every role's state built from its snapshot and
the events it received equals a fresh snapshot (Zulip's ``verify_action``)."""

from __future__ import annotations

from .client import ws_connect


async def after_each(server, world, mod, views: dict, roles, actions, view_of) -> None:
    """Run ``actions`` one by one; after each, probe a fresh snapshot per role, send a
    marker broadcast, and compare ``view_of(state)`` with ``view_of(fresh)``."""
    sid = world.session["id"]
    for n, action in enumerate(actions, 1):
        await action()
        fresh = {}
        for key in roles:
            probe = await ws_connect(server, sid, world.token(key))
            fresh[key] = await probe.next()
            await probe.close()
        text = f"marker {n}"
        await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": text}, 201)
        for key in roles:
            view = views[key]
            await view.ws.until(lambda f, t=text: f.get("data", {}).get("text") == t)
            mine = view_of(view.catch_up(fresh[key]["seq"]))
            assert mine == view_of(fresh[key]["data"]), (n, key)
