"""A kill -9 in the middle of a 5,000-row import leaves nothing half done: the import
is one transaction. The crash is placed by a test-only fault point
(``CONVENE_TEST_FAULTS=import.mid``: the process SIGKILLs itself once half the rows
are written, uncommitted), not by timing."""

from __future__ import annotations

import httpx
import pytest

from tests.support.server import ServerProcess

ROWS = 5_000


def _registrants() -> bytes:
    lines = ["name;email;country;groups"]
    lines += [f"Person {i};p{i}@example.org;Country {i % 23};A|B" for i in range(ROWS)]
    return ("\ufeff" + "\r\n".join(lines)).encode()


def _import(srv: ServerProcess, eid: str, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{srv.url}/api/events/{eid}/people/import",
        content=body,
        headers={"Authorization": f"Bearer {srv.admin_token}", "content-type": "text/csv"},
        timeout=120,
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_kill_9_mid_import_leaves_nothing_then_the_import_completes(backend, tmp_path, request):
    db = (
        f"sqlite:///{tmp_path}/convene.db"
        if backend == "sqlite"
        else request.getfixturevalue("fresh_pg")
    )
    env = {"CONVENE_DATABASE_URL": db}
    body = _registrants()
    with ServerProcess(tmp_path, {**env, "CONVENE_TEST_FAULTS": "import.mid"}) as doomed:
        auth = {"Authorization": f"Bearer {doomed.admin_token}"}
        eid = httpx.post(f"{doomed.url}/api/events", json={"title": "Kick-off"}, headers=auth)
        eid = eid.json()["id"]
        with pytest.raises(httpx.TransportError):
            _import(doomed, eid, body)
        assert doomed.proc.wait(timeout=30) == -9  # it died at the fault point
        token = doomed.admin_token
    with ServerProcess(tmp_path, env, admin_token=token) as srv:
        auth = {"Authorization": f"Bearer {srv.admin_token}"}
        people = httpx.get(f"{srv.url}/api/events/{eid}/people", headers=auth).json()
        assert people == []
        r = _import(srv, eid, body)
        assert r.status_code == 200, r.text
        assert r.json()["created"] == ROWS
        people = httpx.get(f"{srv.url}/api/events/{eid}/people", headers=auth).json()
        assert len(people) == ROWS and len({p["email"] for p in people}) == ROWS
