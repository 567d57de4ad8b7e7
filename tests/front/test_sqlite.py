"""The main flows again on the SQLite store (the same schema PostgreSQL uses)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from .browser_client import SyncClient
from .conftest import World, make_app
from .helpers import (
    authorize,
    code_of,
    consent,
    decide,
    is_error_page,
    location,
    login,
    main_form,
    stored_code,
)


@pytest.fixture
def sq(sqlite_world: World) -> Iterator[SyncClient]:
    client = SyncClient(make_app(sqlite_world))
    login(client, sqlite_world.emails["edward"])
    yield client
    client.close()


def sid(world: World, name: str) -> str:
    return world.sites[name].cloud_id


def test_sqlite_consent_issues_a_code_and_one_accumulating_grant(
    sq: SyncClient, sqlite_world: World
) -> None:
    world = sqlite_world
    first = stored_code(world.store, code_of(consent(sq, world.apps["A"], sid(world, "S1"))))
    consent(sq, world.apps["A"], sid(world, "S2"), scope="read:me write:jira-work")
    with world.store.reader() as tx:
        grant = tx.grants.find(world.apps["A"].client_id, world.accounts["edward"])
    assert grant is not None and grant.grant_id == first.grant_id
    assert grant.sites == frozenset({sid(world, "S1"), sid(world, "S2")})
    assert grant.scopes == ("read:me", "write:jira-work")


def test_sqlite_remembered_consent_and_prompt_none(sq: SyncClient, sqlite_world: World) -> None:
    world = sqlite_world
    consent(sq, world.apps["A"], sid(world, "S1"))
    code = stored_code(world.store, code_of(authorize(sq, world.apps["A"], prompt=None)))
    assert code.sites == frozenset({sid(world, "S1")})
    response = authorize(sq, world.apps["A"], prompt="none", scope="write:jira-work")
    assert location(response)[1]["error"] == ["consent_required"]


def test_sqlite_foreign_sites_and_nul_bytes_grant_nothing(
    sq: SyncClient, sqlite_world: World
) -> None:
    world = sqlite_world
    page = authorize(sq, world.apps["A"])
    for junk in (sid(world, "S3"), "a\x00b", sid(world, "S1") + "\x00"):
        assert decide(sq, page, junk).status_code == 400
    assert is_error_page(sq.get("/authorize?client_id=a%00b"))
    assert authorize(sq, world.apps["A"], state="a\x00b").status_code == 303
    assert login(sq, "a\x00b@example.test").status_code == 401


def test_sqlite_concurrent_consents_make_one_grant(sq: SyncClient, sqlite_world: World) -> None:
    world = sqlite_world
    pages = [authorize(sq, world.apps["B"]) for _ in range(2)]
    statuses: list[int] = []
    threads = [
        threading.Thread(
            target=lambda p=p, s=s: statuses.append(decide(sq, p, sid(world, s)).status_code)
        )
        for p, s in zip(pages, ("S1", "S2"), strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [303, 303]
    with world.store.reader() as tx:
        grants = tx.grants.for_account(world.accounts["edward"])
    assert len(grants) == 1 and grants[0].sites == frozenset({sid(world, "S1"), sid(world, "S2")})


def test_sqlite_deny_and_single_use(sq: SyncClient, sqlite_world: World) -> None:
    world = sqlite_world
    page = authorize(sq, world.apps["A"])
    assert main_form(page.text).checkboxes
    assert location(decide(sq, page, decision="deny"))[1]["error"] == ["access_denied"]
    assert decide(sq, page, sid(world, "S1")).status_code == 400
