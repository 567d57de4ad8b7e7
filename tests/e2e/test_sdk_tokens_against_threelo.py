"""Refreshing against threelo's real rotation (in-process): single-flight, persistence before use,
and reconnecting once threelo has killed the token family.

threelo spends a refresh token on every refresh, tolerates the just-spent one within the reuse
leeway, and revokes the whole family when an older one comes back (CONTRACT §4.6). The SDK's
clock is moved forward to make the access token due; threelo's clock is the real one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from threelo.sdk import ReconnectNeeded, SqliteTokenStore, TokenSet

from .conftest import ISSUER, InProcess
from .harness import Recorder, threelo_cli
from .sdk_world import World, sdk_world

pytestmark = pytest.mark.anyio

TOKEN_LIFETIME = 3600


class RecordingTokenStore:
    """A durable store that notes each ``put`` in the same log as the requests sent."""

    def __init__(self, inner: SqliteTokenStore, recorder: Recorder) -> None:
        self.inner, self.recorder = inner, recorder

    def get(self, key: str) -> TokenSet | None:
        return self.inner.get(key)

    def put(self, key: str, tokens: TokenSet) -> None:
        self.inner.put(key, tokens)
        self.recorder.note("stored", tokens.access_token)

    def delete(self, key: str) -> None:
        self.inner.delete(key)


class BrokenTokenStore(RecordingTokenStore):
    """Accepts the first tokens, then the disk is full."""

    def put(self, key: str, tokens: TokenSet) -> None:
        if self.inner.get(key) is not None:
            raise OSError("disk full")
        super().put(key, tokens)


async def _connected(world: World, key: str = "edward") -> TokenSet:
    await world.connect(world.seed.edward, {}, key)
    tokens = world.sdk.token_store.get(key)
    assert tokens is not None and tokens.refresh_token
    return tokens


async def _raw_refresh(threelo: InProcess, refresh_token: str) -> httpx.Response:
    """What a thief holding an old refresh token would send (outside the SDK)."""
    seed = threelo.seed
    async with httpx.AsyncClient(transport=threelo.transport(), base_url=ISSUER) as http:
        return await http.post(
            "/oauth/token",
            json={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": seed.incidents_client_id,
                "client_secret": seed.incidents_secret,
            },
        )


async def test_concurrent_callers_share_one_refresh_and_the_family_survives(
    threelo: InProcess,
) -> None:
    async with sdk_world(threelo) as world:
        first = await _connected(world)
        connection = world.sdk.connection("edward")
        world.clock.advance(TOKEN_LIFETIME)  # every caller now needs a refresh

        answers = await asyncio.gather(*(connection.me() for _ in range(12)))

        assert {a["account_id"] for a in answers} == {world.seed.edward.account_id}
        assert world.token_requests("refresh_token") == 1
        rotated = world.sdk.token_store.get("edward")
        assert rotated is not None and rotated.refresh_token not in (None, first.refresh_token)
        # Every API call after the refresh carried the one new access token.
        bearers = {s.bearer for s in world.recorder.sent if s.path == "/me"}
        assert bearers == {rotated.access_token}

        # The family is alive: the rotated refresh token rotates again.
        world.clock.advance(TOKEN_LIFETIME)
        await connection.me()
        assert world.token_requests("refresh_token") == 2


async def test_the_rotated_token_is_stored_before_the_new_access_token_is_used(
    threelo: InProcess, tmp_path: Path
) -> None:
    recorder = Recorder()
    store = RecordingTokenStore(SqliteTokenStore(tmp_path / "tokens.db"), recorder)
    async with sdk_world(threelo, token_store=store, recorder=recorder) as world:
        first = await _connected(world)
        world.clock.advance(TOKEN_LIFETIME)
        await world.sdk.connection("edward").me()

        rotated = store.get("edward")
        assert rotated is not None and rotated.access_token != first.access_token
        stored_at = recorder.events.index(("stored", rotated.access_token))
        used_at = next(
            i
            for i, (kind, sent) in enumerate(recorder.events)
            if kind == "sent" and sent.bearer == rotated.access_token
        )
        refreshed_at = next(
            i
            for i, (kind, sent) in enumerate(recorder.events)
            if kind == "sent" and sent.grant_type == "refresh_token"
        )
        assert refreshed_at < stored_at < used_at

    # Durable: another process of the app reads the rotated tokens from the file and uses them.
    reopened = SqliteTokenStore(tmp_path / "tokens.db")
    assert reopened.get("edward") == rotated
    async with sdk_world(threelo, token_store=reopened) as later:
        later.clock.now = world.clock.now
        me = await later.sdk.connection("edward").me()
        assert me["account_id"] == threelo.seed.edward.account_id
        assert later.token_requests() == 0


async def test_a_rotated_token_that_cannot_be_stored_is_never_used(
    threelo: InProcess, tmp_path: Path
) -> None:
    recorder = Recorder()
    store = BrokenTokenStore(SqliteTokenStore(tmp_path / "tokens.db"), recorder)
    async with sdk_world(threelo, token_store=store, recorder=recorder) as world:
        first = await _connected(world)
        world.clock.advance(TOKEN_LIFETIME)

        with pytest.raises(OSError):
            await world.sdk.connection("edward").me()

        assert world.token_requests("refresh_token") == 1
        api_calls = [s for s in world.recorder.sent if s.path == "/me"]
        assert api_calls == []  # the new access token never left the SDK
        # The spent refresh token is still the one stored, and within threelo's reuse leeway
        # it still works (lost-response safety): the app recovers once its disk does.
        assert store.get("edward") == first
        retry = await _raw_refresh(threelo, first.refresh_token or "")
        assert retry.status_code == 200, retry.text


async def test_reuse_of_an_old_refresh_token_kills_the_family_and_the_sdk_asks_to_reconnect(
    threelo: InProcess,
) -> None:
    async with sdk_world(threelo) as world:
        first = await _connected(world)
        connection = world.sdk.connection("edward")
        for _ in range(2):  # two rotations: the first refresh token is now two generations old
            world.clock.advance(TOKEN_LIFETIME)
            await connection.me()
        assert world.token_requests("refresh_token") == 2

        stolen = await _raw_refresh(threelo, first.refresh_token or "")
        assert stolen.status_code == 403
        assert stolen.json()["error"] == "invalid_grant"

        world.clock.advance(TOKEN_LIFETIME)
        with pytest.raises(ReconnectNeeded):
            await connection.me()
        assert world.sdk.token_store.get("edward") is None  # forgotten, not retried forever
        with pytest.raises(ReconnectNeeded):
            await connection.me()
        assert world.token_requests("refresh_token") == 3


async def test_after_threelo_accounts_set_password_the_sdk_asks_to_reconnect(
    threelo: InProcess,
) -> None:
    async with sdk_world(threelo) as world:
        tokens = await _connected(world)
        connection = world.sdk.connection("edward")
        assert (await connection.me())["account_id"] == world.seed.edward.account_id

        threelo_cli(
            threelo.database_url,
            "accounts", "set-password", world.seed.edward.account_id, "--password", "new-pass-42",
        )  # fmt: skip

        with pytest.raises(ReconnectNeeded):
            await world.sdk.refresh("edward", rejected_access_token=tokens.access_token)
        assert world.token_requests("refresh_token") == 1
        assert world.sdk.token_store.get("edward") is None
        # The access token died with its family (CONTRACT §4.6, §4.8). The password changed
        # in another process (the CLI), which a server sees within 5 seconds (CONTRACT §1).
        headers = {"Authorization": f"Bearer {tokens.access_token}"}
        async with httpx.AsyncClient(transport=threelo.transport(), base_url=ISSUER) as http:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 5
            while (dead := await http.get("/me", headers=headers)).status_code == 200:
                assert loop.time() < deadline, "the access token still works after 5 s"
                await asyncio.sleep(0.25)
        assert dead.status_code == 401
