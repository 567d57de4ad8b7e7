"""The async SDK wired to an in-process threelo, and a person (cookie jar) at its pages."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from threelo.sdk import (
    AsyncThreeLOClient,
    Authorization,
    ClientConfig,
    MemoryTokenStore,
    Session,
    TokenStore,
)

from .conftest import ISSUER, InProcess
from .harness import (
    IN_PROCESS_CALLBACK,
    SDK_SCOPES,
    AsyncConsentDriver,
    AsyncRecordingTransport,
    Person,
    Recorder,
)


class Clock:
    """The SDK's clock; starts at the real time (threelo keeps its own, real one)."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass
class World:
    threelo: InProcess
    sdk: AsyncThreeLOClient
    recorder: Recorder  # what the SDK sent
    clock: Clock
    people: dict[str, AsyncConsentDriver]

    @property
    def seed(self) -> Any:
        return self.threelo.seed

    async def person(self, who: Person) -> AsyncConsentDriver:
        """``who``, signed in to threelo in a cookie jar of their own."""
        if who.email not in self.people:
            driver = AsyncConsentDriver(ISSUER, self.threelo.transport())
            await driver.sign_in(who)
            self.people[who.email] = driver
        return self.people[who.email]

    async def callback_for(
        self, who: Person, session: Session, decision: str = "allow", **begin: Any
    ) -> str:
        """Start a flow in ``session``; ``who`` answers it at threelo; the callback URL."""
        url = self.sdk.begin(session, **begin)
        return await (await self.person(who)).consent(url, decision)

    async def connect(self, who: Person, session: Session, key: str) -> Authorization:
        callback = await self.callback_for(who, session)
        return await self.sdk.complete(session, callback, token_key=key)

    def token_requests(self, grant_type: str | None = None) -> int:
        return len(self.recorder.token_requests(grant_type))


@asynccontextmanager
async def sdk_world(
    threelo: InProcess,
    *,
    token_store: TokenStore | None = None,
    recorder: Recorder | None = None,
    **config: Any,
) -> AsyncIterator[World]:
    seed = threelo.seed
    options: dict[str, Any] = {
        "client_id": seed.incidents_client_id,
        "client_secret": seed.incidents_secret,
        "callback_url": IN_PROCESS_CALLBACK,
        "scopes": SDK_SCOPES,
        "auth_base_url": ISSUER,
        "api_base_url": ISSUER,
    }
    options.update(config)
    recorder, clock = recorder or Recorder(), Clock()
    sdk = AsyncThreeLOClient(
        ClientConfig(**options),
        token_store=token_store if token_store is not None else MemoryTokenStore(),
        transport=AsyncRecordingTransport(threelo.transport(), recorder),
        clock=clock,
    )
    world = World(threelo, sdk, recorder, clock, {})
    try:
        yield world
    finally:
        for driver in world.people.values():
            await driver.aclose()
        await sdk.close()
