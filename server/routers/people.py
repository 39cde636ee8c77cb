"""People of an event: created with a token shown once; moderators see where they are."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from .. import spreadsheets
from ..deps import CallerDep, StateDep
from ..openapi import body_ref
from ..responses import ImportResult, JoinLink, model
from ..schemas import (
    LinksRequest,
    PersonCreate,
    PersonCreated,
    PersonPublic,
    PersonUpdate,
    PersonWithPlace,
)
from ..services import people as svc
from ..services import registrants

router = APIRouter(prefix="/api/events/{event_id}/people", tags=["people"])


@router.post("", status_code=201, response_model=PersonCreated)
async def create_person(event_id: str, body: PersonCreate, caller: CallerDep, state: StateDep):
    return await svc.create(state, caller, event_id, body)


IMPORT_BODY = {
    "responses": {"415": {"description": "neither text/csv nor application/json"}},
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "array", "items": body_ref(PersonCreate)}},
        },
    },
}


@router.post("/import", responses=model(200, ImportResult), openapi_extra=IMPORT_BODY)
async def import_people(
    event_id: str, request: Request, caller: CallerDep, state: StateDep, dry_run: bool = False
):
    """Registrants from a spreadsheet (CSV UTF-8, ``,`` or ``;``) or a JSON array, all
    or nothing; matched by e-mail (or name), so re-importing changes only what changed."""
    return await registrants.import_people(
        state,
        caller,
        event_id,
        request.headers.get("content-type", ""),
        await request.body(),
        dry_run=dry_run,
    )


LINK_COLUMNS = ("person_id", "name", "email", "role", "token", "join_url")
CSV_TOO = {"content": {"text/csv": {"schema": {"type": "string"}}}}


@router.post("/links", responses={200: {"model": list[JoinLink], **CSV_TOO}})
async def reissue_links(
    event_id: str, body: LinksRequest, request: Request, caller: CallerDep, state: StateDep
):
    """New join links for the people listed or the roles named (``Accept: text/csv``
    for a mail merge); their old links end at once."""
    links = [
        {"person_id": p.id} | p.model_dump(include={"name", "email", "role", "token", "join_url"})
        for p in await svc.reissue_links(state, caller, event_id, body)
    ]
    if spreadsheets.wants_csv(request.headers.get("accept")):
        rows = ([link[c] for c in LINK_COLUMNS] for link in links)
        return spreadsheets.response(LINK_COLUMNS, rows, name="join-links")
    return links


@router.get("", response_model=list[PersonWithPlace])
async def list_people(event_id: str, caller: CallerDep, state: StateDep):
    return await svc.list_people(state, caller, event_id)


@router.get("/{person_id}", response_model=PersonWithPlace | PersonPublic)
async def get_person(event_id: str, person_id: str, caller: CallerDep, state: StateDep):
    return await svc.get_person(state, caller, event_id, person_id)


@router.patch("/{person_id}", response_model=PersonPublic)
async def update_person(
    event_id: str, person_id: str, body: PersonUpdate, caller: CallerDep, state: StateDep
):
    return await svc.update(state, caller, event_id, person_id, body)


@router.post("/{person_id}/token", response_model=PersonCreated)
async def reissue_token(event_id: str, person_id: str, caller: CallerDep, state: StateDep):
    """A new token for the person; the old one stops working at once."""
    return await svc.reissue(state, caller, event_id, person_id)


@router.delete("/{person_id}", status_code=204)
async def remove_person(event_id: str, person_id: str, caller: CallerDep, state: StateDep):
    await svc.remove(state, caller, event_id, person_id)
    return Response(status_code=204)
