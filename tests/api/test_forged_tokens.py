"""AT-01..AT-08: forged, altered and out-of-date access tokens get API-401, never a 5xx."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import RSAAlgorithm

from threelo.core import access as access_module

from .conftest import Cast, World, bearer, free_port

ME = "/me"


def b64(data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    h, p, s = token.split(".")
    pad = lambda x: x + "=" * (-len(x) % 4)  # noqa: E731
    return (json.loads(base64.urlsafe_b64decode(pad(h))),
            json.loads(base64.urlsafe_b64decode(pad(p))), s)


@pytest.fixture
def valid(world: World, cast: Cast) -> str:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    return world.token(grant, family)


def gateway_path(cast: Cast) -> str:
    return f"/ex/jira/{cast.s1.cloud_id}/rest/api/3/myself"


def assert_401(client: httpx.Client, token: str, cast: Cast) -> None:
    for path in (ME, gateway_path(cast)):
        r = client.get(path, headers=bearer(token))
        assert r.status_code == 401, (path, r.status_code, r.text)
        assert r.json() == {"code": 401, "message": "Unauthorized"}
        assert 'error="invalid_token"' in r.headers["www-authenticate"]


def test_the_valid_token_works(client: httpx.Client, valid: str, cast: Cast) -> None:
    assert client.get(ME, headers=bearer(valid)).status_code == 200
    assert client.get(gateway_path(cast), headers=bearer(valid)).status_code == 200


def test_at01_expired_token(client: httpx.Client, world: World, valid: str, cast: Cast) -> None:
    assert client.get(ME, headers=bearer(valid)).status_code == 200
    world.clock.advance(seconds=3600 + 59)  # within the 60 s skew
    assert client.get(ME, headers=bearer(valid)).status_code == 200
    world.clock.advance(seconds=2)
    assert_401(client, valid, cast)


@pytest.mark.parametrize("change", [
    {"nbf": 600}, {"iat": 600}, {"exp": None}, {"iat": None}, {"jti": None}, {"gid": None},
    {"exp": "soon"}, {"gen": "0"}, {"gen": True},
])
def test_at01_bad_times_and_missing_claims_resigned_with_the_real_key(
    client: httpx.Client, world: World, valid: str, cast: Cast, change: dict[str, Any]
) -> None:
    _, claims, _ = parts(valid)
    now = int(world.clock.now().timestamp())
    for name, value in change.items():
        if value is None:
            claims.pop(name)
        elif isinstance(value, int) and not isinstance(value, bool):
            claims[name] = now + value
        else:
            claims[name] = value
    assert_401(client, world.platform.keys.sign(claims), cast)


@pytest.mark.parametrize("field,value", [
    ("sub", "acc-mallory"), ("scope", "read:me manage:jira-configuration"),
    ("client_id", "other"), ("cloudids", ["x"]),
])
def test_at02_tampered_payload(client: httpx.Client, valid: str, cast: Cast, field: str,
                               value: Any) -> None:
    header, claims, signature = parts(valid)
    claims[field] = value
    assert_401(client, f"{b64(json.dumps(header))}.{b64(json.dumps(claims))}.{signature}", cast)


def test_at02_truncated_removed_or_malformed_signatures(client: httpx.Client, valid: str,
                                                        cast: Cast) -> None:
    h, p, s = valid.split(".")
    for token in (f"{h}.{p}.{s[:-4]}", f"{h}.{p}.", f"{h}.{p}", "a.b.c", "..", "x" * 9000):
        assert_401(client, token, cast)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("trailing", [".", ""])
def test_at03_alg_none(client: httpx.Client, valid: str, cast: Cast, alg: str,
                       trailing: str) -> None:
    header, claims, _ = parts(valid)
    header["alg"] = alg
    token = f"{b64(json.dumps(header))}.{b64(json.dumps(claims))}{trailing}"
    assert_401(client, token, cast)


def hmac_token(header: dict[str, Any], claims: dict[str, Any], secret: bytes) -> str:
    """Built by hand: PyJWT refuses empty or PEM-looking HMAC keys."""
    digest = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
              "HS512": hashlib.sha512}[header["alg"]]
    signing = f"{b64(json.dumps(header))}.{b64(json.dumps(claims))}"
    return f"{signing}.{b64(hmac.new(secret, signing.encode(), digest).digest())}"


def public_key_forms(world: World) -> list[bytes]:
    kid = parts(world.platform.keys.sign({"x": 1}))[0]["kid"]
    key = world.platform.keys.verification_key(kid)
    assert key is not None
    pem = key.public_bytes(serialization.Encoding.PEM,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    ssh = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    jwk = json.dumps(world.platform.keys.jwks()["keys"][0]).encode()
    return [pem, ssh, der, jwk]


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
def test_at04_hmac_signed_with_the_public_key(client: httpx.Client, world: World, valid: str,
                                              cast: Cast, alg: str) -> None:
    header, claims, _ = parts(valid)
    for secret in public_key_forms(world):
        assert_401(client, hmac_token(dict(header, alg=alg), claims, secret), cast)


@pytest.mark.parametrize("kid", [
    "../../../../../../dev/null", "' OR '1'='1", 'x" UNION SELECT "secret', "k" * 10_000,
    "unknown-kid", None, 7,
])
def test_at05_kid_injection_and_unknown_keys(client: httpx.Client, valid: str, cast: Cast,
                                             kid: Any) -> None:
    header, claims, _ = parts(valid)
    attacker = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims, attacker, algorithm="ES256", headers={"typ": "at+jwt"})
    _, p, s = token.split(".")
    header = {"alg": "ES256", "typ": "at+jwt"} | ({} if kid is None else {"kid": kid})
    assert_401(client, f"{b64(json.dumps(header))}.{p}.{s}", cast)
    empty_key = hmac_token({"alg": "HS256", "typ": "at+jwt", "kid": str(kid)}, claims, b"")
    assert_401(client, empty_key, cast)


class _Recorder(BaseHTTPRequestHandler):
    fetched: list[str] = []
    jwks: bytes = b"{}"

    def do_GET(self) -> None:
        type(self).fetched.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(type(self).jwks)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def evil() -> Iterator[tuple[str, type[_Recorder]]]:
    handler = type("EvilHandler", (_Recorder,), {"fetched": []})
    server = ThreadingHTTPServer(("127.0.0.2", free_port("127.0.0.2")), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.2:{server.server_address[1]}", handler
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_at06_embedded_keys_and_key_urls_are_never_used_or_fetched(
    client: httpx.Client, valid: str, cast: Cast, evil: tuple[str, type[_Recorder]]
) -> None:
    base, recorder = evil
    _, claims, _ = parts(valid)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_jwk = json.loads(RSAAlgorithm.to_jwk(rsa_key.public_key()))
    recorder.jwks = json.dumps({"keys": [dict(rsa_jwk, kid="evil")]}).encode()
    from jwt.algorithms import ECAlgorithm

    ec_jwk = json.loads(ECAlgorithm.to_jwk(ec_key.public_key()))
    tokens = [
        jwt.encode(claims, rsa_key, algorithm="RS256", headers={"jwk": rsa_jwk, "typ": "at+jwt"}),
        jwt.encode(claims, ec_key, algorithm="ES256", headers={"jwk": ec_jwk, "typ": "at+jwt"}),
        jwt.encode(claims, rsa_key, algorithm="RS256",
                   headers={"jku": f"{base}/jwks.json", "kid": "evil", "typ": "at+jwt"}),
        jwt.encode(claims, ec_key, algorithm="ES256",
                   headers={"x5u": f"{base}/cert.pem", "kid": "evil", "typ": "at+jwt"}),
    ]
    for token in tokens:
        assert_401(client, token, cast)
    assert recorder.fetched == []


@pytest.mark.parametrize("change", [
    {"aud": "api.other.example"}, {"iss": "https://evil.test"}, {"aud": ["x", "y"]},
])
def test_at07_wrong_audience_or_issuer(client: httpx.Client, world: World, valid: str,
                                       cast: Cast, change: dict[str, Any]) -> None:
    _, claims, _ = parts(valid)
    assert_401(client, world.platform.keys.sign(dict(claims, **change)), cast)


@pytest.mark.parametrize("typ", ["JWT", "id_token+jwt", "threelo-gateway+jwt", "AT+JWT"])
def test_at07_wrong_token_type(client: httpx.Client, world: World, valid: str, cast: Cast,
                               typ: str) -> None:
    _, claims, _ = parts(valid)
    assert_401(client, world.platform.keys.sign(claims, typ=typ), cast)


def test_at07_a_gateway_assertion_is_not_an_access_token(client: httpx.Client, world: World,
                                                         valid: str, cast: Cast) -> None:
    _, claims, _ = parts(valid)
    assertion = world.platform.keys.sign(dict(claims, aud="jira"), typ="threelo-gateway+jwt")
    assert_401(client, assertion, cast)


def test_at08_revoked_grant_is_refused_immediately_and_after_a_second(
    client: httpx.Client, world: World, cast: Cast
) -> None:
    grant, family = world.grant(cast.app_a, cast.edward, [cast.s1])
    token = world.token(grant, family)
    assert client.get(ME, headers=bearer(token)).status_code == 200
    with world.store.transaction() as tx:
        tx.families.revoke_for_grant(grant.grant_id, world.clock.now(), "user")
        tx.grants.delete(grant.grant_id)
    access_module.invalidate_grant(grant.grant_id)
    assert_401(client, token, cast)
    world.clock.advance(seconds=1)
    assert_401(client, token, cast)
