"""Property: whatever arrives at ``POST /oauth/token``, the answer is a 4xx JSON error
(or a 200 token response), never a 5xx (catalogue PH-08, PH-09, PH-11)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threelo.storage import MemoryStore

from .client import SyncClient
from .conftest import World, open_world

FIELDS = ["grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier",
          "refresh_token", "scope", "audience", "token"]  # fmt: skip
CONTENT_TYPES = [
    "application/json", "application/x-www-form-urlencoded", "text/plain",
    "multipart/form-data; boundary=b", "application/json; charset=utf-8",
    "application/json; charset=latin-1", "", "application/x-www-form-urlencoded; charset=utf-8",
]  # fmt: skip

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                  max_size=4),
    max_leaves=12,
)  # fmt: skip


@st.composite
def bodies(draw: st.DrawFn, world: World) -> tuple[bytes, str, dict[str, str]]:
    c = world.clients["A"]
    known = {
        "grant_type": st.sampled_from(["authorization_code", "refresh_token", "password", ""]),
        "client_id": st.sampled_from([c.id, "nobody", ""]),
        "client_secret": st.sampled_from([c.secret or "", "x"]),
    }
    fields = draw(st.dictionaries(
        st.sampled_from(FIELDS) | st.text(max_size=10),
        st.text(max_size=60) | st.sampled_from(["\x00", "\ud800", "' OR 1=1 --", "%00"]),
        max_size=8,
    ))  # fmt: skip
    for name, strategy in known.items():
        if draw(st.booleans()):
            fields[name] = draw(strategy)
    kind = draw(st.sampled_from(["form", "json", "json-any", "raw"]))
    if kind == "form":
        raw = urlencode(list(fields.items()), errors="surrogatepass").encode()
    elif kind == "json":
        raw = json.dumps(fields).encode("utf-8", "surrogatepass")
    elif kind == "json-any":
        raw = json.dumps(draw(json_values)).encode("utf-8", "surrogatepass")
    else:
        raw = draw(st.binary(max_size=300))
    content_type = draw(st.sampled_from(CONTENT_TYPES) | st.text(max_size=30).filter(str.isascii))
    headers = {"Content-Type": content_type}
    if draw(st.booleans()):
        headers["Authorization"] = draw(
            st.sampled_from(["Basic ", "Basic =", "basic Og==", "Bearer x"]) | st.text(
                alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
        )  # fmt: skip
    return raw, content_type, headers


@pytest.fixture(scope="module")
def fuzz_world() -> Iterator[World]:
    world = open_world(MemoryStore())
    yield world
    world.close()


@pytest.fixture(scope="module")
def fuzz_client(fuzz_world: World) -> SyncClient:
    return fuzz_world.http("192.0.2.1")


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_token_endpoint_never_fails_with_a_server_error(
    fuzz_world: World, fuzz_client: SyncClient, data: st.DataObject
) -> None:
    raw, _, headers = data.draw(bodies(fuzz_world))
    method = data.draw(st.sampled_from(["POST"] * 6 + ["GET", "PUT", "OPTIONS"]))
    path = "/oauth/token" + data.draw(st.sampled_from(["", "", "?x=1", "?grant_type=x"]))
    response = fuzz_client.request(method, path, content=raw, headers=headers)
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code == 200:
        assert "access_token" in body
    else:
        assert 400 <= response.status_code < 500
        assert isinstance(body["error"], str)
        assert response.headers["cache-control"] == "no-store"
