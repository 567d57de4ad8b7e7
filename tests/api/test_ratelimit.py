"""Rate limits of the API face (CONTRACT §5.6; PH-12 gateway part), memory and Redis."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import httpx
import pytest

from threelo.settings import Settings
from threelo.web.api.limits import ApiLimits
from threelo.web.common.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter

from .conftest import ISSUER, Cast, ThreadServer, World, bearer, make_app

REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_limiter() -> Iterator[RedisRateLimiter]:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        if os.environ.get("THREELO_REQUIRE_REDIS") == "1":
            pytest.fail(f"Redis unreachable at {REDIS_URL}: {exc}", pytrace=False)
        pytest.skip(f"Redis unreachable at {REDIS_URL}")
    prefix = f"threelo-test:{secrets.token_hex(6)}:"
    limiter = RedisRateLimiter(REDIS_URL, prefix=prefix)
    yield limiter
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=prefix + "*"):
        client.delete(key)
    client.close()
    limiter.close()


@pytest.fixture(params=["memory", "redis"])
def limiter(request: pytest.FixtureRequest) -> RateLimiter:
    if request.param == "memory":
        return MemoryRateLimiter()
    found: RateLimiter = request.getfixturevalue("redis_limiter")
    return found


def test_window_counts_then_refuses_with_retry_after(limiter: RateLimiter) -> None:
    first = limiter.hit("k", 2, 60)
    assert first.allowed and first.remaining == 1
    assert limiter.hit("k", 2, 60).remaining == 0
    over = limiter.hit("k", 2, 60)
    assert not over.allowed and 1 <= over.retry_after <= 60
    assert over.headers()["Retry-After"] == str(over.retry_after)
    assert limiter.peek("k", 2, 60).remaining == 0
    limiter.reset("k")
    assert limiter.peek("k", 2, 60).remaining == 2
    assert limiter.peek("never-hit", 5, 60).remaining == 5


def test_redis_unreachable_fails_open() -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0", timeout=0.2)
    try:
        assert limiter.hit("k", 1, 60).allowed
    finally:
        limiter.close()


def test_api_face_answers_429_per_app_and_site(world: World, cast: Cast,
                                                limiter: RateLimiter) -> None:
    limits = ApiLimits(per_app=100, per_app_site=3, window=60)
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1, cast.s2])
    token = world.token(grant, family)
    app = make_app(world, limiter=limiter, limits=limits)
    with ThreadServer(app) as srv, httpx.Client(base_url=srv.url) as client:
        s1 = f"/ex/jira/{cast.s1.cloud_id}/rest/api/3/myself"
        answers = [client.get(s1, headers=bearer(token)) for _ in range(4)]
        assert [r.status_code for r in answers] == [200, 200, 200, 429]
        assert [r.headers["x-ratelimit-remaining"] for r in answers[:3]] == ["2", "1", "0"]
        over = answers[3]
        assert over.json() == {"code": 429, "message": "Rate limit exceeded"}
        assert int(over.headers["retry-after"]) >= 1
        assert over.headers["x-ratelimit-limit"] == "3"
        assert over.headers["x-ratelimit-reset"]
        s2 = f"/ex/jira/{cast.s2.cloud_id}/rest/api/3/myself"
        assert client.get(s2, headers=bearer(token)).status_code == 200


def test_per_app_limit_covers_identity_endpoints(world: World, cast: Cast) -> None:
    limits = ApiLimits(per_app=2, per_app_site=100, window=60)
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    with ThreadServer(make_app(world, limits=limits)) as srv, \
            httpx.Client(base_url=srv.url) as client:
        codes = [client.get("/me", headers=bearer(token)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]


def test_limits_from_environment() -> None:
    limits = ApiLimits.from_env({"THREELO_API_RATE_LIMIT_APP": "5",
                                 "THREELO_API_RATE_LIMIT_SITE": "2"})
    assert (limits.per_app, limits.per_app_site, limits.window) == (5, 2, 60)
    with pytest.raises(ValueError):
        ApiLimits.from_env({"THREELO_API_RATE_WINDOW": "0"})


def test_an_address_sending_refused_tokens_is_slowed_down_without_hurting_others(
    world: World, cast: Cast
) -> None:
    """PH-12: token guessing from one address meets 429; other addresses carry on."""
    settings = Settings(issuer=ISSUER, secret_key="k" * 32, trust_forwarded_for=True)
    app = make_app(world, settings=settings, limits=ApiLimits(bad_tokens_per_address=5))
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    good = world.token(grant, family)

    def me(token: str, address: str) -> httpx.Response:
        return http.get("/me", headers={**bearer(token), "X-Forwarded-For": address})

    with ThreadServer(app) as srv, httpx.Client(base_url=srv.url) as http:
        statuses = [me(f"forged.{n}.token", "203.0.113.9").status_code for n in range(8)]
        assert statuses == [401] * 5 + [429] * 3
        limited = me("forged.again.token", "203.0.113.9")
        assert limited.headers["Retry-After"].isdigit()
        assert limited.json() == {"code": 429, "message": "Rate limit exceeded"}
        # The limit is per address: the guessing address waits even with a good token,
        # another address is served.
        assert me(good, "203.0.113.9").status_code == 429
        assert me(good, "198.51.100.20").status_code == 200
