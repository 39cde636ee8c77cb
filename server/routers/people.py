"""People of an event: created with a token shown once; moderators see where they are."""

from __future__ import annotations

from fastapi import APIRouter, Response

from ..deps import CallerDep, StateDep
from ..schemas import PersonCreate, PersonCreated, PersonPublic, PersonUpdate, PersonWithPlace
from ..services import people as svc

router = APIRouter(prefix="/api/events/{event_id}/people", tags=["people"])


@router.post("", status_code=201, response_model=PersonCreated)
async def create_person(event_id: str, body: PersonCreate, caller: CallerDep, state: StateDep):
    return await svc.create(state, caller, event_id, body)


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
