"""The SDK's callback checks against a real threelo (in-process, over ``httpx.ASGITransport``).

Every code, state, ``iss`` and error below was issued by threelo's own authorize and consent
pages; nothing of threelo is mocked. ``world.recorder`` sees every request the SDK sends, so "no
token request" is counted, not assumed. Where a callback is refused, the same code is then
redeemed by the session that owns it: proof the refusal came from the state check, not from a
bad code.
"""

from __future__ import annotations

import pytest

from threelo.sdk import (
    AsyncConnection,
    AuthorizationDenied,
    IssuerMismatch,
    MalformedCallback,
    StateMismatch,
)

from .conftest import ISSUER, InProcess
from .harness import query_of, with_param, without_params
from .sdk_world import sdk_world

pytestmark = pytest.mark.anyio


async def test_a_connection_made_through_threelo_reaches_me_resources_and_the_gateway(
    threelo: InProcess,
) -> None:
    async with sdk_world(threelo) as world:
        edward, session = world.seed.edward, dict[str, str]()
        callback = await world.callback_for(edward, session)
        assert query_of(callback)["iss"] == [ISSUER]
        result = await world.sdk.complete(session, callback, token_key="edward")

        assert world.token_requests("authorization_code") == 1
        assert result.tokens.refresh_token  # offline_access
        connection = world.sdk.connection("edward")
        assert (await connection.me())["account_id"] == edward.account_id
        sites = await connection.accessible_resources()
        assert [s.id for s in sites] == [world.seed.acme]
        created = await connection.call(
            "jira", world.seed.acme, "POST", "rest/api/3/issue",
            json={"fields": {"project": {"key": await _project_key(connection, world.seed.acme)},
                             "summary": "Printer on fire", "issuetype": {"name": "Task"}}},
        )  # fmt: skip
        assert created.status_code == 201, created.text
        issue = await connection.call(
            "jira", world.seed.acme, "GET", f"rest/api/3/issue/{created.json()['key']}"
        )
        assert issue.json()["fields"]["summary"] == "Printer on fire"


async def _project_key(connection: AsyncConnection, cloud_id: str) -> str:
    response = await connection.call("jira", cloud_id, "GET", "rest/api/3/project")
    key: str = response.json()[0]["key"]
    return key


async def test_a_state_that_differs_from_the_sessions_is_refused_without_a_token_request(
    threelo: InProcess,
) -> None:
    async with sdk_world(threelo) as world:
        session: dict[str, str] = {}
        callback = await world.callback_for(world.seed.edward, session)
        state = query_of(callback)["state"][0]
        tampered = state[:-1] + ("A" if state[-1] != "A" else "B")

        with pytest.raises(StateMismatch):
            await world.sdk.complete(session, with_param(callback, "state", tampered))
        assert world.token_requests() == 0

        # The genuine callback still completes: the code was fine, the state was not.
        await world.sdk.complete(session, callback, token_key="edward")
        assert world.token_requests() == 1


@pytest.mark.parametrize("variant", ["missing", "empty", "repeated"])
async def test_a_callback_without_exactly_one_state_is_refused(
    threelo: InProcess, variant: str
) -> None:
    async with sdk_world(threelo) as world:
        session: dict[str, str] = {}
        callback = await world.callback_for(world.seed.edward, session)
        state = query_of(callback)["state"][0]
        bad = {
            "missing": without_params(callback, "state"),
            "empty": with_param(callback, "state", ""),
            "repeated": f"{callback}&state={state}",
        }[variant]

        with pytest.raises((StateMismatch, MalformedCallback)):
            await world.sdk.complete(session, bad)
        assert world.token_requests() == 0
        await world.sdk.complete(session, callback)
        assert world.token_requests() == 1


async def test_a_replayed_callback_is_refused_without_a_second_token_request(
    threelo: InProcess,
) -> None:
    async with sdk_world(threelo) as world:
        session: dict[str, str] = {}
        callback = await world.callback_for(world.seed.edward, session)
        await world.sdk.complete(session, callback, token_key="edward")

        with pytest.raises(StateMismatch):
            await world.sdk.complete(session, callback, token_key="edward")
        assert world.token_requests() == 1


async def test_an_expired_flow_is_refused_without_a_token_request(threelo: InProcess) -> None:
    async with sdk_world(threelo) as world:
        session: dict[str, str] = {}
        callback = await world.callback_for(world.seed.edward, session)
        world.clock.advance(world.sdk.config.flow_lifetime + 1)

        with pytest.raises(StateMismatch):
            await world.sdk.complete(session, callback)
        assert world.token_requests() == 0


async def test_a_state_from_another_session_is_refused_in_this_one(threelo: InProcess) -> None:
    async with sdk_world(threelo) as world:
        seed = world.seed
        mallorys_session: dict[str, str] = {}
        edwards_session: dict[str, str] = {}
        mallorys_callback = await world.callback_for(seed.mallory, mallorys_session)
        world.sdk.begin(edwards_session)  # Edward has flows of his own, just not this one

        with pytest.raises(StateMismatch):  # the seed attack (SDK-01)
            await world.sdk.complete(edwards_session, mallorys_callback, token_key="edward")
        with pytest.raises(StateMismatch):  # a browser that never started a flow (SDK-02)
            await world.sdk.complete({}, mallorys_callback, token_key="edward")
        assert world.token_requests() == 0
        assert world.sdk.token_store.get("edward") is None

        # Mallory's own session still owns the flow: the code it carries is hers.
        await world.sdk.complete(mallorys_session, mallorys_callback, token_key="mallory")
        me = await world.sdk.connection("mallory").me()
        assert me["account_id"] == seed.mallory.account_id


async def test_a_real_deny_on_the_consent_page_is_an_error_that_spends_the_state(
    threelo: InProcess,
) -> None:
    async with sdk_world(threelo) as world:
        session: dict[str, str] = {}
        callback = await world.callback_for(world.seed.edward, session, decision="deny")
        assert query_of(callback)["error"] == ["access_denied"]
        assert "code" not in query_of(callback)

        with pytest.raises(AuthorizationDenied) as denied:
            await world.sdk.complete(session, callback)
        assert denied.value.error == "access_denied"
        with pytest.raises(StateMismatch):
            await world.sdk.complete(session, callback)
        assert world.token_requests() == 0


async def test_an_iss_other_than_the_expected_issuer_is_refused(threelo: InProcess) -> None:
    # The SDK expects another authorization server than the one answering (mix-up, RFC 9207).
    async with sdk_world(threelo, issuer="http://elsewhere.test") as world:
        session: dict[str, str] = {}
        callback = await world.callback_for(world.seed.edward, session)
        assert query_of(callback)["iss"] == [ISSUER]

        with pytest.raises(IssuerMismatch):
            await world.sdk.complete(session, callback)
        assert world.token_requests() == 0


async def test_a_missing_iss_is_refused_when_required(threelo: InProcess) -> None:
    async with sdk_world(threelo, require_iss=True) as world:
        session: dict[str, str] = {}
        callback = await world.callback_for(world.seed.edward, session)

        with pytest.raises(IssuerMismatch):
            await world.sdk.complete(session, without_params(callback, "iss"))
        assert world.token_requests() == 0


async def test_an_error_from_another_issuer_is_refused_as_a_mix_up(threelo: InProcess) -> None:
    async with sdk_world(threelo) as world:
        session: dict[str, str] = {}
        callback = await world.callback_for(world.seed.edward, session, decision="deny")

        with pytest.raises(IssuerMismatch):
            await world.sdk.complete(session, with_param(callback, "iss", "http://evil.test"))
        assert world.token_requests() == 0
