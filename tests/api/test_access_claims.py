"""The bearer check reads the account and app the token names, with its grant and family, in one
round trip where the store allows (core/access.py ``_load_state``). A token signed by threelo
whose names disagree with its grant is still refused, on every store."""

from __future__ import annotations

from dataclasses import replace

import pytest

from threelo.core.access import verify_access_token
from threelo.core.clock import FrozenClock
from threelo.core.errors import InvalidToken
from threelo.core.platform import Platform
from threelo.core.ports import Store
from threelo.core.products_config import catalogue_for, registry_for

from .conftest import World


@pytest.fixture
def store_world(store: Store, clock: FrozenClock) -> World:
    catalogue = catalogue_for(registry_for(""))
    return World(Platform(store=store, clock=clock, catalogue=catalogue), clock)


def test_a_token_gets_its_account_app_and_sites_on_every_store(store_world: World) -> None:
    world = store_world
    edward = world.account("edward")
    s1, s2 = world.site("Alpha"), world.site("Bravo")
    world.member(s1, edward)
    app = world.app(edward, "read:jira-work read:me")
    grant, family = world.grant(app, edward, [s1, s2])
    context = verify_access_token(world.platform, world.token(grant, family))
    assert context.account == edward
    assert {r.site.cloud_id for r in context.reach} == {s1.cloud_id}  # s2: not a member there


@pytest.mark.parametrize("field", ["account_id", "client_id"])
def test_a_token_naming_another_account_or_app_than_its_grant_is_refused(
    store_world: World, field: str
) -> None:
    world = store_world
    edward, mallory = world.account("edward"), world.account("mallory")
    site = world.site("Alpha")
    world.member(site, edward)
    world.member(site, mallory)
    app, other_app = world.app(edward, "read:me"), world.app(edward, "read:me")
    grant, family = world.grant(app, edward, [site])
    other = mallory.account_id if field == "account_id" else other_app.client_id
    # Signed by the platform's own key, so only the claims can give it away.
    token = world.token(replace(grant, **{field: other}), family)
    with pytest.raises(InvalidToken):
        verify_access_token(world.platform, token)
    assert verify_access_token(world.platform, world.token(grant, family)).account == edward
