"""Registrants import: spreadsheets as people export them (Excel's ``;`` and BOM,
quoted newlines, any script), JSON arrays, every error path, idempotence, and the
people it creates joining a running session like people created one by one."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.support.client import Api, make_world, ws_connect

pytestmark = pytest.mark.asyncio(loop_scope="session")

HEADER = "Name;Email;Role;Timezone;Language;Interprets;Groups;Organisation;Country"
ROWS = [
    "Nadia Haddad;NADIA@example.org;;Asia/Amman;ar;;Climate|Housing;Hay Al-Nour;Jordan",
    '"Ольга Петрова";olga@example.org;participant;Europe/Moscow;ru;;Housing;;Russia',
    # an address cell with a newline and the delimiter, as spreadsheets quote them
    '"Jonas ""JJ"" Weber";jonas@example.org;;Europe/Berlin;de;;"Mobility;\nClimate";'
    '"Stadtteil; Nord\nKöln";Germany',
    "نور الهدى;noor@example.org;interpreter;Asia/Beirut;ar;en>ar ar>en;;;Lebanon",
    "Ana Souza;;;America/Sao_Paulo;pt;;;;Brazil",
]


def excel_csv(path, header: str, rows: list[str]) -> bytes:
    """What German Excel's "CSV UTF-8" writes: BOM, ';', CRLF."""
    path.write_bytes(("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8"))
    return path.read_bytes()


async def _import(api: Api, eid: str, body: bytes, ctype="text/csv", **params):
    return await api.http.post(
        f"/api/events/{eid}/people/import",
        content=body,
        headers={"content-type": ctype},
        params=params,
    )


async def test_excel_semicolon_file_round_trip_and_reimport(any_server, tmp_path):
    server = any_server
    w = await make_world(server, status=None)
    eid = w.event["id"]
    first = excel_csv(tmp_path / "kickoff.csv", HEADER, ROWS)
    async with Api(server.url, w.token("mod")) as mod:
        r = await _import(mod, eid, first)
        assert r.status_code == 200, r.text
        out = r.json()
        assert (out["created"], out["updated"], out["unchanged"]) == (5, 0, 0)
        assert [p["name"] for p in out["people"]] == [
            "Nadia Haddad",
            "Ольга Петрова",
            'Jonas "JJ" Weber',
            "نور الهدى",
            "Ana Souza",
        ]
        for p in out["people"]:
            assert p["join_url"].endswith(f"/join#token={p['token']}")
            async with Api(server.url, p["token"]) as who:
                assert (await who.ok("GET", "/api/me"))["person"]["id"] == p["id"]
        people = {p["name"]: p for p in await mod.ok("GET", f"/api/events/{eid}/people")}
        jonas = people['Jonas "JJ" Weber']
        assert jonas["groups"] == ["Mobility", "Climate"]
        assert jonas["organisation"] == "Stadtteil; Nord\nKöln"
        assert people["Nadia Haddad"]["groups"] == ["Climate", "Housing"]
        assert people["Nadia Haddad"]["role"] == "participant"
        assert people["نور الهدى"]["interprets"] == ["en>ar", "ar>en"]
        assert people["Ana Souza"]["timezone"] == "America/Sao_Paulo"

        # the same file again: nothing changes, nobody is created, tokens stay
        again = (await _import(mod, eid, first)).json()
        assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 5)
        assert all("token" not in p for p in again["people"])
        async with Api(server.url, out["people"][0]["token"]) as nadia:
            assert (await nadia.call("GET", "/api/me")).status_code == 200

        # an updated export: e-mail case differs, one country changed, one person new,
        # empty cells and a dropped column leave fields as they are
        updated = excel_csv(
            tmp_path / "kickoff-2.csv",
            "name;email;country",
            [
                "Nadia Haddad;nadia@EXAMPLE.org;Jordan",
                "Ольга Петрова;olga@example.org;Georgia",
                "Ana Souza;;",
                "Lena Kovač;lena@example.org;Croatia",
            ],
        )
        dry = (await _import(mod, eid, updated, dry_run="true")).json()
        assert (dry["created"], dry["updated"], dry["unchanged"]) == (1, 1, 2)
        assert dry["people"][3]["id"] is None and "token" not in dry["people"][3]
        assert len(await mod.ok("GET", f"/api/events/{eid}/people")) == len(people)
        done = (await _import(mod, eid, updated)).json()
        assert (done["created"], done["updated"], done["unchanged"]) == (1, 1, 2)
        people = {p["name"]: p for p in await mod.ok("GET", f"/api/events/{eid}/people")}
        assert people["Ольга Петрова"]["country"] == "Georgia"
        assert people["Ольга Петрова"]["groups"] == ["Housing"]  # column absent: kept
        assert people["Nadia Haddad"]["email"] == "NADIA@example.org"
        assert people["Ana Souza"]["country"] == "Brazil"
        assert people["Lena Kovač"]["role"] == "participant"


async def test_comma_file_without_bom_and_json_array(server):
    w = await make_world(server, status=None)
    eid = w.event["id"]
    csv_text = "name,email,timezone\nAmir,amir@example.org,Asia/Tehran\n"
    async with Api(server.url, server.admin_token) as admin:
        r = await _import(admin, eid, csv_text.encode(), "text/csv; charset=utf-8")
        assert r.status_code == 200 and r.json()["created"] == 1, r.text
        body = [
            {"name": "Amir", "email": "AMIR@example.org", "country": "Iran"},
            {"name": "Mira", "role": "observer"},
        ]
        r = await _import(admin, eid, json.dumps(body).encode(), "application/json")
        assert r.status_code == 200, r.text
        out = r.json()
        assert (out["created"], out["updated"], out["unchanged"]) == (1, 1, 0)
        assert out["people"][1]["role"] == "observer" and "token" in out["people"][1]


async def test_every_bad_row_is_listed_and_nothing_is_stored(any_server):
    server = any_server
    w = await make_world(server, status=None)
    eid = w.event["id"]
    text = (
        "name,email,role,timezone,language,interprets\n"
        "Good One,good@example.org,,Europe/Berlin,de,\n"
        'Bad Zone,z@example.org,,"Mars/\nOlympus",,\n'  # the record spans lines 3-4
        "Bad Lang,l@example.org,,UTC,xx,\n"
        "Bad Role,r@example.org,speaker,UTC,,\n"
        "Not Interpreter,n@example.org,participant,UTC,,en>ar\n"
        "Bad Direction,d@example.org,interpreter,UTC,,en-ar\n"
        "Nino Beridze,NINO@example.org,moderator,,,\n"  # exists as participant
        "Twice,t@example.org,,,,\n"
        "Twice again,T@example.org,,,,\n"
        "Too Many,m@example.org,,UTC,,,surplus\n"
    )
    async with Api(server.url, w.token("mod")) as mod:
        before = await mod.ok("GET", f"/api/events/{eid}/people")
        r = await _import(mod, eid, text.encode())
        assert r.status_code == 422, r.text
        problem = r.json()
        assert r.headers["content-type"] == "application/problem+json"
        bad = {(e["line"], e["index"], e["column"]) for e in problem["errors"]}
        assert bad == {
            (3, 1, "timezone"),
            (5, 2, "language"),
            (6, 3, "role"),
            (7, 4, "interprets"),
            (8, 5, "interprets"),
            (9, 6, "role"),
            (10, 7, "email"),
            (11, 8, "email"),
            (12, 9, None),
        }, problem["errors"]
        zone = next(e for e in problem["errors"] if e["column"] == "timezone")
        assert zone["value"] == "Mars/\nOlympus" and zone["detail"]
        assert "nothing was imported" in problem["detail"]
        assert await mod.ok("GET", f"/api/events/{eid}/people") == before

        # JSON rows: line null, index set
        r = await _import(
            mod, eid, json.dumps([{"name": "Ok"}, {"name": ""}, 5]).encode(), "application/json"
        )
        assert r.status_code == 422
        assert {(e["line"], e["index"], e["column"]) for e in r.json()["errors"]} == {
            (None, 1, "name"),
            (None, 2, None),
        }
        # ambiguous name: two people named alike without e-mail
        for _ in range(2):
            await mod.ok(
                "POST", f"/api/events/{eid}/people", {"name": "Sam", "role": "participant"}, 201
            )
        before = await mod.ok("GET", f"/api/events/{eid}/people")
        r = await _import(mod, eid, b"name,country\nSAM,Chile\n")
        assert r.status_code == 422 and r.json()["errors"][0]["column"] == "name", r.text

        cases = [
            (b"name,phone\nX,1\n", "text/csv", 422, "phone"),
            (b"email\nx@example.org\n", "text/csv", 422, "'name' is missing"),
            (b"name;email,country\nX;x@example.org,Chile\n", "text/csv", 422, "mixes"),
            ("name\nJürgen\n".encode("latin-1"), "text/csv", 422, "CSV UTF-8"),
            (b"name\nX\n", "text/plain", 415, "text/csv"),
            (b'{"name": "X"}', "application/json", 422, "JSON array"),
            (("name\n" + "P\n" * 5001).encode(), "text/csv", 422, "5,000"),
            (b"name\n" + b"x" * (1024 * 1024), "text/csv", 413, "1 MiB"),
        ]
        for body, ctype, status, needle in cases:
            r = await _import(mod, eid, body, ctype)
            assert r.status_code == status, (needle, r.text[:300])
            assert needle in r.json()["detail"], (needle, r.json()["detail"])
        assert await mod.ok("GET", f"/api/events/{eid}/people") == before


async def test_imported_people_join_a_running_session_like_anyone(server):
    w = await make_world(server, status="live")
    eid, sid = w.event["id"], w.session["id"]
    async with Api(server.url, w.token("mod")) as mod:
        r = await _import(
            mod,
            eid,
            b"name,email,language,groups\n"
            b"Early,early@example.org,ru,Housing\nLate,late@example.org,ar,Climate\n",
        )
        early, late = r.json()["people"]
        ws = await ws_connect(server, sid, early["token"])
        snap = await ws.next()
        assert snap["data"]["you"]["room_id"] == w.session["plenary_room_id"]
        assert snap["data"]["you"]["listening"] == "ru"
        rnd = await mod.ok(
            "POST", f"/api/sessions/{sid}/breakouts", {"count": 2, "strategy": "balanced"}, 201
        )
        planned = {m for room in rnd["rooms"] for m in room["members"]}
        assert early["id"] in planned  # in the round's plan like anyone online
        await mod.ok("POST", f"/api/sessions/{sid}/breakouts/{rnd['id']}/open")
        late_ws = await ws_connect(server, sid, late["token"])
        snap = await late_ws.next()
        assert snap["data"]["you"]["room_id"] in {room["id"] for room in rnd["rooms"]}
        await ws.close()
        await late_ws.close()


async def test_a_bare_import_without_content_type_is_415(server):
    w = await make_world(server, status=None)
    async with httpx.AsyncClient(base_url=server.url) as c:
        r = await c.post(
            f"/api/events/{w.event['id']}/people/import",
            content=b"name\nX\n",
            headers={"Authorization": f"Bearer {server.admin_token}"},
        )
    assert r.status_code == 415 and r.headers["content-type"] == "application/problem+json"
    # its type follows its status, as every problem's does (it said "bad-request")
    assert r.json()["type"] == "https://convene.dev/problems/unsupported-media-type", r.text


async def test_the_imports_problems_are_the_ones_its_document_declares(server):
    """A generated client checks an answer against the document: the 415 must be
    declared, and a header's unknown column (a cell with no row: ``index`` null)
    must fit the problem's schema."""
    from jsonschema import Draft202012Validator

    w = await make_world(server, status=None)
    async with Api(server.url, server.admin_token) as admin:
        doc = await admin.ok("GET", "/openapi.json")
        answers = {
            "422": await _import(admin, w.event["id"], b"name;shoe size\nX;44\n"),
            "415": await _import(admin, w.event["id"], b"name\nX\n", ctype="text/plain"),
        }
    declared = doc["paths"]["/api/events/{event_id}/people/import"]["post"]["responses"]
    for status, r in answers.items():
        assert str(r.status_code) == status, (status, r.text)
        schema = declared[status]["content"]["application/problem+json"]["schema"]
        root = {**schema, "components": doc["components"]}
        Draft202012Validator(root).validate(r.json())
    cell = answers["422"].json()["errors"][0]
    assert (cell["line"], cell["index"], cell["column"]) == (1, None, "shoe size")
