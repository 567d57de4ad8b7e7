"""Expired sessions, pending requests and old codes are swept, live ones are kept."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from threelo.core.clock import FrozenClock
from threelo.core.housekeeping import CODE_GRACE, purge_expired
from threelo.core.models import AuthorizationCode, PendingAuthorization, Session
from threelo.core.platform import Platform
from threelo.core.ports import Store

START = datetime(2026, 3, 1, tzinfo=UTC)


def _session(name: str, expires: datetime) -> Session:
    return Session(digest=name, csrf_secret="c", created_at=START, expires_at=expires)


def _pending(name: str, expires: datetime) -> PendingAuthorization:
    return PendingAuthorization(
        request_id=name, session_digest="s", client_id="app", redirect_uri="https://a.test/cb",
        scopes=("read:me",), state=None, code_challenge=None, prompt=None,
        created_at=START, expires_at=expires,
    )  # fmt: skip


def _code(name: str, expires: datetime) -> AuthorizationCode:
    return AuthorizationCode(
        digest=name, client_id="app", account_id="acc", grant_id="g",
        redirect_uri="https://a.test/cb", scopes=("read:me",), sites=frozenset(),
        code_challenge=None, issued_at=START, expires_at=expires,
    )  # fmt: skip


def test_the_sweep_removes_only_what_has_expired(store: Store) -> None:
    clock = FrozenClock(START + timedelta(hours=1))
    now = clock.now()
    with store.transaction() as tx:
        tx.sessions.add(_session("old", now - timedelta(seconds=1)))
        tx.sessions.add(_session("live", now + timedelta(minutes=5)))
        tx.pending.add(_pending("old", now - timedelta(seconds=1)))
        tx.pending.add(_pending("live", now + timedelta(minutes=5)))
        # An expired code is kept for a day so that a late replay is still recognised.
        tx.codes.add(_code("recent", now - timedelta(minutes=5)))
        tx.codes.add(_code("ancient", now - CODE_GRACE - timedelta(seconds=1)))

    purged = purge_expired(Platform(store=store, clock=clock))

    assert (purged.sessions, purged.pending, purged.codes) == (1, 1, 1)
    with store.reader() as tx:
        assert tx.sessions.get("old") is None and tx.sessions.get("live") is not None
        assert tx.pending.get("old") is None and tx.pending.get("live") is not None
        assert tx.codes.get("ancient") is None and tx.codes.get("recent") is not None


def test_the_running_app_sweeps_in_the_background() -> None:
    import asyncio

    from threelo.settings import Settings
    from threelo.storage.memory import MemoryStore
    from threelo.web.app import _sweep_forever, build_context

    store = MemoryStore()
    clock = FrozenClock(START)
    ctx = build_context(Settings(issuer="http://threelo.test"), store=store, clock=clock)
    with store.transaction() as tx:
        tx.sessions.add(_session("old", START - timedelta(seconds=1)))

    async def run_briefly() -> None:
        sweeper = asyncio.create_task(_sweep_forever(ctx, 0.01))
        for _ in range(200):
            await asyncio.sleep(0.01)
            with store.reader() as tx:
                if tx.sessions.get("old") is None:
                    break
        sweeper.cancel()

    asyncio.run(run_briefly())
    with store.reader() as tx:
        assert tx.sessions.get("old") is None
