"""A PostgreSQL outage: REST answers 503 problem+json with Retry-After, a new WebSocket
handshake is closed 1013 (try again later), open sockets stay open, and service
resumes when the database is back. A private cluster of the test's own is stopped
(``pg_ctl stop -m immediate``), never the shared one."""

from __future__ import annotations

import httpx
import pytest

from tests.support import pgcluster
from tests.support.client import Api, eventually, make_world, ws_connect
from tests.support.server import ServerProcess

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def cluster():
    why = pgcluster.available()
    if why:
        pytest.skip(why)
    with pgcluster.PrivateCluster() as c:
        yield c


async def test_database_outage_is_503_and_1013_then_service_resumes(cluster, tmp_path):
    with ServerProcess(tmp_path, {"CONVENE_DATABASE_URL": cluster.url}) as server:
        w = await make_world(server)
        sid, eid = w.session["id"], w.event["id"]
        open_socket = await ws_connect(server, sid, w.token("p1"))
        assert (await open_socket.next())["type"] == "snapshot"
        async with Api(server.url, w.token("mod")) as mod:
            cluster.stop("immediate")
            for method, path, body in [
                ("GET", f"/api/events/{eid}", None),
                ("GET", f"/api/events/{eid}/people", None),
                ("POST", f"/api/sessions/{sid}/broadcast", {"text": "while down"}),
            ]:
                r = await mod.call(method, path, body)
                assert r.status_code == 503, (method, path, r.status_code, r.text)
                assert r.headers["content-type"] == "application/problem+json"
                problem = r.json()
                assert int(r.headers["retry-after"]) == problem["retry_after"] > 0
                assert problem["type"] == "https://convene.dev/problems/service-unavailable"
                assert problem["status"] == 503 and "database" in problem["detail"]
            late = await ws_connect(server, sid, w.token("p2"))
            assert await late.closed_with() == 1013
            await open_socket.send({"type": "ping"})
            assert (await open_socket.until(lambda f: f["type"] == "pong"))["server_time"]

            cluster.start()
            r = await eventually(
                lambda: mod.call("GET", f"/api/events/{eid}"), lambda r: r.status_code == 200
            )
            assert r.status_code == 200, r.text
            await mod.ok("POST", f"/api/sessions/{sid}/broadcast", {"text": "back"}, 201)
        back = await open_socket.until(lambda f: f["type"] == "broadcast.message")
        assert back["data"]["text"] == "back"
        again = await ws_connect(server, sid, w.token("p2"))
        assert (await again.next())["type"] == "snapshot"
        await again.close()
        await open_socket.close()


async def test_the_document_declares_503_problems_with_retry_after(server):
    async with httpx.AsyncClient() as client:
        doc = (await client.get(f"{server.url}/openapi.json", timeout=10)).json()
    assert (
        "503" in doc["components"]["schemas"]["Problem"]["properties"]["retry_after"]["description"]
    )
    missing = []
    for path, ops in doc["paths"].items():
        if not path.startswith("/api/") or path == "/api/about":
            continue  # /healthz declares its own 503 body; /api/about reads no database
        for method, op in ops.items():
            r = op["responses"].get("503", {})
            problem = r.get("content", {}).get("application/problem+json", {}).get("schema")
            if problem != {"$ref": "#/components/schemas/Problem"} or "Retry-After" not in r.get(
                "headers", {}
            ):
                missing.append(f"{method.upper()} {path}")
    assert missing == []
