"""In-process profile of the token endpoint and ``/me``: the application's own cost per request.

Drives the ASGI application directly (no sockets, no HTTP parser) on a fresh SQLite file, or
PostgreSQL with ``--postgres URL``, so that what it reports is threelo's work alone: routing,
client authentication, the grant handler and its unit of work, the JWT, the JSON answer.

    python bench/app_micro.py [-n 3000] [--profile code|refresh|me] [--postgres URL]
                              [--checkpoints INTERVAL_S [--restart-frames N]]

With ``--checkpoints`` the SQLite WAL is checkpointed on a background thread, as a server does
(``store.start_background_work()``); otherwise inside the commits, every 1000 pages. "request
thread" is the CPU of the requests alone, "all threads" adds the checkpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.scratch_db import scratch_database
from threelo.core.models import Account, App, AuthorizationCode, Grant, Membership, Session, Site
from threelo.core.secret_values import digest, new_id, new_secret
from threelo.settings import Settings
from threelo.storage import open_store
from threelo.storage.migrate import upgrade
from threelo.web.app import create_app

SCOPES = ("read:me", "read:jira-work", "offline_access")
REDIRECT = "https://app.example/cb"
Asgi = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class Fixture:
    def __init__(self, url: str) -> None:
        upgrade(url)
        self.store = open_store(url)
        now = datetime.now(UTC)
        self.secret = new_secret()
        self.account = Account(new_id(), f"{new_id()}@example.com", "Ada", "h", created_at=now)
        self.app = App(
            new_id(), "Bench", self.account.account_id, (REDIRECT,), SCOPES,
            secret_digest=digest(self.secret), created_at=now,
        )  # fmt: skip
        self.sites = frozenset({new_id()})
        self.grant = Grant(
            new_id(), self.app.client_id, self.account.account_id, SCOPES, self.sites, 1, now, now
        )
        with self.store.transaction() as tx:
            tx.accounts.add(self.account)
            tx.apps.add(self.app)
            for cloud_id in self.sites:
                tx.sites.add(Site(cloud_id, "s", "https://s.example", "", ("jira",)))
                tx.memberships.add(Membership(cloud_id, self.account.account_id, "jira"))
            tx.grants.add(self.grant)

    def session_cookie(self) -> str:
        """A signed-in browser session, as the login page leaves it."""
        now = datetime.now(UTC)
        value = new_secret()
        with self.store.transaction() as tx:
            tx.sessions.add(
                Session(
                    digest(value),
                    new_secret(),
                    now,
                    now + timedelta(hours=1),
                    account_id=self.account.account_id,
                    authenticated_at=now,
                )
            )
        return value

    def codes(self, n: int) -> list[str]:
        now = datetime.now(UTC)
        values = [new_secret() for _ in range(n)]
        with self.store.transaction() as tx:
            for value in values:
                tx.codes.add(
                    AuthorizationCode(
                        digest(value),
                        self.app.client_id,
                        self.account.account_id,
                        self.grant.grant_id,
                        REDIRECT,
                        SCOPES,
                        self.sites,
                        None,
                        now,
                        now + timedelta(minutes=10),
                    )
                )
        return values


async def call(
    app: Asgi,
    method: str,
    path: str,
    body: bytes,
    headers: list[tuple[bytes, bytes]],
    query: bytes = b"",
) -> tuple[int, bytes]:
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
        "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query,
        "root_path": "", "headers": [(b"host", b"127.0.0.1:8000"), *headers],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "state": {},
    }  # fmt: skip
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


JSON = [(b"content-type", b"application/json")]


async def run(args: argparse.Namespace, url: str) -> None:
    from threelo.storage.sql import engine as engines
    from threelo.storage.sql import wal_checkpoints

    if args.checkpoints:
        wal_checkpoints.INTERVAL_S = args.checkpoints
        wal_checkpoints.RESTART_FRAMES = args.restart_frames
    else:
        engines.AUTOCHECKPOINT_PAGES = 1000
    fx = Fixture(url)
    if args.checkpoints:
        fx.store.start_background_work()
    settings = Settings(database_url=url, issuer="http://127.0.0.1:8000")
    app = create_app(settings, store=fx.store)
    n = args.n
    codes = fx.codes(n + 100)
    creds = {"client_id": fx.app.client_id, "client_secret": fx.secret}

    async def exchange(code: str) -> dict[str, Any]:
        body = json.dumps({"grant_type": "authorization_code", "code": code,
                           "redirect_uri": REDIRECT, **creds}).encode()  # fmt: skip
        status, answer = await call(app, "POST", "/oauth/token", body, JSON)
        assert status == 200, answer
        return json.loads(answer)

    warm = [await exchange(c) for c in codes[n:]]
    refresh = warm[-1]["refresh_token"]
    bearer = [(b"authorization", f"Bearer {warm[0]['access_token']}".encode())]

    async def one_refresh() -> None:
        nonlocal refresh
        body = json.dumps(
            {"grant_type": "refresh_token", "refresh_token": refresh, **creds}
        ).encode()
        status, answer = await call(app, "POST", "/oauth/token", body, JSON)
        assert status == 200, answer
        refresh = json.loads(answer)["refresh_token"]

    async def one_me() -> None:
        status, answer = await call(app, "GET", "/me", b"", bearer)
        assert status == 200, answer

    pending = iter(codes[:n])

    async def one_code() -> None:
        await exchange(next(pending))

    # The e2e workload's first leg: consent remembered, so the answer is a redirect with a code.
    query = urlencode({
        "audience": "api.atlassian.com", "client_id": fx.app.client_id,
        "scope": " ".join(SCOPES), "redirect_uri": REDIRECT, "state": "bench-state",
        "response_type": "code",
    })  # fmt: skip
    cookie = [(b"cookie", f"threelo_session={fx.session_cookie()}".encode())]

    async def one_authorize() -> None:
        status, answer = await call(app, "GET", "/authorize", b"", cookie, query.encode())
        assert 300 <= status < 400, (status, answer[:300])

    scenarios = {"code": one_code, "refresh": one_refresh, "me": one_me, "authorize": one_authorize}
    wanted = [args.profile] if args.profile else list(scenarios)
    for name in wanted:
        op = scenarios[name]
        profiler = cProfile.Profile() if args.profile else None
        wall, cpu, own = time.perf_counter(), time.process_time(), time.thread_time()
        if profiler:
            profiler.enable()
        took: list[float] = []
        for _ in range(n):
            started = time.perf_counter()
            await op()
            took.append(time.perf_counter() - started)
        if profiler:
            profiler.disable()
        wall = time.perf_counter() - wall
        cpu, own = time.process_time() - cpu, time.thread_time() - own
        print(
            f"{name:8} {own / n * 1e6:8.1f} µs CPU/request (request thread)"
            f" {cpu / n * 1e6:8.1f} (all threads)  {wall / n * 1e6:8.1f} µs wall"
            f"  p99 {_quantile(took, 0.99) * 1e3:.2f} ms  p99.9 {_quantile(took, 0.999) * 1e3:.2f}"
            f" ms  max {max(took) * 1e3:.2f} ms"
        )
        if profiler:
            stats = pstats.Stats(profiler)
            stats.sort_stats(args.sort).print_stats(args.lines)


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("-n", type=int, default=3000)
    ap.add_argument("--profile", choices=["code", "refresh", "me", "authorize"])
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--lines", type=int, default=40)
    ap.add_argument(
        "--postgres", default="", help="PostgreSQL server URL (a scratch database is made on it)"
    )
    ap.add_argument("--checkpoints", type=float, default=0.0, metavar="INTERVAL_S")
    ap.add_argument("--restart-frames", type=int, default=1000)
    args = ap.parse_args()
    if args.postgres:
        with scratch_database(args.postgres) as url:
            asyncio.run(run(args, url))
    else:
        with tempfile.TemporaryDirectory(prefix="threelo-app-micro-") as folder:
            asyncio.run(run(args, f"sqlite:///{folder}/threelo.db"))


if __name__ == "__main__":
    main()
