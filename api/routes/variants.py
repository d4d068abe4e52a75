"""Answer profiles and canary routes as configured, and the kill switch that sends all traffic back."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from grounded.api.deps import AdminDep, ComponentsDep
from grounded.settings import AnswerProfile, CanaryRoute

router = APIRouter(prefix="/v1/variants", tags=["variants"])


class KillSwitch(BaseModel):
    on: bool


class VariantsOut(BaseModel):
    profiles: dict[str, AnswerProfile]
    canary: dict[str, CanaryRoute]
    killed: bool


def _state(components) -> VariantsOut:
    v = components.settings.variants
    return VariantsOut(profiles=v.profiles, canary=v.canary, killed=components.router.killed())


@router.get("")
def variants(principal: AdminDep, components: ComponentsDep) -> VariantsOut:
    return _state(components)


@router.put("/kill-switch")
def kill_switch(body: KillSwitch, principal: AdminDep, components: ComponentsDep) -> VariantsOut:
    """On: every request gets the default profile, on every process sharing GROUNDED_HOME, at once."""
    components.router.set_kill_switch(body.on)
    return _state(components)
