"""Callback URL registration rules (DC-01) and redirect_uri matching (RU-01..RU-03)."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threelo.core.callback_urls import (
    MAX_LENGTH,
    CallbackUrlError,
    matches_registered,
    validate_callback_url,
    validate_callback_urls,
)

A = "https://app-a.test/callback"
N = "http://127.0.0.1/callback"

# -- registration -------------------------------------------------------------------------------

ACCEPTED = [
    A,
    "https://app-b.test/cb?tenant=1",  # queries are allowed (RU-04)
    "https://app-a.test",
    "https://app-a.test:8443/callback",
    "https://sub.app-a.test/a/b%20c/d",
    N,
    "http://127.0.0.1:8100/callback",
    "http://[::1]/callback",
    "http://[::1]:51234/cb",
    "http://localhost:3000/cb",  # Atlassian accepts it for development
    "https://192.0.2.10/cb",
    "https://[2001:db8::1]:8443/cb",
    "https://app-a.test/callback/",
]

REJECTED = [
    "",
    "/callback",
    "app-a.test/callback",
    "//app-a.test/callback",
    "https://a.test/cb#frag",
    "https://a.test/cb#",
    "https://*.a.test/cb",
    "https://a.test/*",
    "http://a.test/cb",
    "http://127.0.0.2/cb",
    "http://127.0.0.1.evil.test/cb",
    "http://localhost.evil.test/cb",
    "javascript:alert(1)",
    "javascript:alert(1)//app-a.test/callback",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "app-a://callback",
    "ftp://app-a.test/cb",
    "HTTPS://app-a.test/callback",
    "https://user:pw@a.test/cb",
    "https://user@a.test/cb",
    "https://a.test@evil.test/cb",
    "https://a.test%2f@evil.test",
    "https://evil.test\\@a.test/cb",
    "https://a.test/cb\\x",
    " https://a.test/cb",
    "https://a.test/cb ",
    "https://a.test/c b",
    "https://a.test/cb\x00",
    "https://a.test/cb\r\nx",
    "https://a.test/cb\tx",
    "https://а.test/cb",  # Cyrillic а
    "https://a.test／cb",  # full-width slash
    "https://a.test:0/cb",
    "https://a.test:65536/cb",
    "https://a.test:/cb",
    "https://a.test:08443/cb",
    "https://a.test:https/cb",
    "https://-a.test/cb",
    "https://a..test/cb",
    "https://a.test./cb",
    "https://127.1/cb",
    "https://0x7f.0.0.1/cb",
    "https://[::1/cb",
    "https://[:::::::::::::::::::::::::::::::::::::::]/path",
    "https://[::1%25eth0]/cb",
    "https:///cb",
    "https://a.test/cb/../x",
    "https://a.test/./cb",
    "https://a.test/cb%zz",
    "https://" + "a" * MAX_LENGTH + ".test/cb",
]


@pytest.mark.parametrize("url", ACCEPTED)
def test_a_safe_callback_url_is_accepted_and_stored_as_given(url: str) -> None:
    assert validate_callback_url(url) == url


@pytest.mark.parametrize("url", REJECTED)
def test_an_unsafe_callback_url_is_refused_with_one_line(url: str) -> None:
    with pytest.raises(CallbackUrlError) as refused:
        validate_callback_url(url)
    message = str(refused.value)
    assert message and "\n" not in message and "\r" not in message


def test_a_url_of_exactly_the_maximum_length_is_accepted() -> None:
    url = "https://a.test/" + "x" * (MAX_LENGTH - len("https://a.test/"))
    assert len(url) == MAX_LENGTH
    assert validate_callback_url(url) == url
    with pytest.raises(CallbackUrlError):
        validate_callback_url(url + "x")


def test_an_app_needs_at_least_one_callback_and_duplicates_collapse() -> None:
    with pytest.raises(CallbackUrlError):
        validate_callback_urls([])
    assert validate_callback_urls([A, N, A]) == (A, N)


# -- matching: RU-01, RU-02, RU-03 -------------------------------------------------------------

RU_01 = [
    "https://app-a.test/callback/extra",
    "https://app-a.test/callback?x=1",
    "https://app-a.test/callback?code=attackercode",
    "https://app-a.test/CALLBACK",
    "https://app-a.test/Callback",
    "https://APP-A.test/callback",
    "HTTPS://app-a.test/callback",
    "https://app-a.test/callback/",
    "https://app-a.test//callback",
    "https://app-a.test:443/callback",
    "http://app-a.test/callback",
    "https://app-a.test/callback#x",
    "https://app-a.test.evil.test/callback",
    "https://evilapp-a.test/callback",
    "https://app-aXtest/callback",
    "https://app-a.test@evil.test/callback",
    "https://app-a.test@@evil.test/callback",
    "https://app-a.test:443@evil.test/callback",
    "https://evil.test\\@app-a.test/callback",
    "https://evil.test%5C@app-a.test/callback",
    "https://evil.test#@app-a.test/callback",
    "https://evil.test?@app-a.test/callback",
    "https://app-a.test%2f@evil.test",
    "https://app-a.test%252f@evil.test",
    "javascript:alert(1)//app-a.test/callback",
    "data:text/html,<script>alert(1)</script>",
    "file:///etc/passwd",
    "app-a://callback",
    "https://аpp-a.test/callback",
    "https://app-a.test／callback",
    " https://app-a.test/callback",
    "https://app-a.test/callback ",
    "https://app-a.test/callback%00",
    "https://app-a.test/callback\x00",
    "https://app-a.test/callback%0d%0a",
    "https://app-a.test/callback\r\n",
    "https://app-a.test/callback%09",
    "https://app-a.test/callback\t",
    "",
]

B = A
RU_02 = [
    f"{B}/FAKEPATH", f"{B}%2FFAKEPATH", f"{B}/..%2FFAKEPATH", f"{B}/%2e%2e%2FFAKEPATH",
    f"{B}/..%252FFAKEPATH", f"{B}/%252e%252e%252FFAKEPATH", f"{B}/FAKEPATH/..",
    f"{B}%2FFAKEPATH%2F..", f"{B}%2FFAKEPATH%2F%2e%2e", f"{B}%252FFAKEPATH%252F..",
    f"{B}%252FFAKEPATH%252F%252e%252e", f"{B}/;/../../FAKEPATH", f"{B}/%3B/../../FAKEPATH",
    f"{B}%3B%2F..%2F..%2FFAKEPATH", f"{B}%3B%2F%2e%2e%2F%2F%2e%2eFAKEPATH",
    f"{B}%253B%252F..%252F..%252FFAKEPATH", f"{B}%0A%0D/../../FAKEPATH",
    f"{B}%0A%0D%2F..%2F..%2FFAKEPATH", f"{B}%0A%0D%2F%2e%2e%2F%2F%2e%2eFAKEPATH",
    f"{B}%250A%250D%252F..%252F..%252FFAKEPATH", f"{B}/..;/evil", f"{B}/../evil",
]  # fmt: skip

RU_03_REJECTED = [
    "http://127.0.0.1:51234/callback?bar=foo",
    "http://127.0.0.1:51234/other",
    "http://localhost:51234/callback",
    "http://127.0.0.1.evil.test:51234/callback",
    "http://127.0.0.1:51234@evil.test/callback",
    "http://[::1]:51234/callback",
    "https://app-a.test/callback",
    "https://127.0.0.1:51234/callback",
    "http://127.0.0.1:0/callback",
    "http://127.0.0.1:65536/callback",
    "http://127.0.0.1:051234/callback",
    "http://127.0.0.1:/callback",
    "http://127.0.0.1:51234/callback/",
    "http://127.0.0.1:51234/callback#x",
    "http://127.0.0.1:51234:1/callback",
    "http://127.0.0.01:51234/callback",
    "http://2130706433:51234/callback",
]


@pytest.mark.parametrize("candidate", RU_01)
def test_ru01_only_the_exact_registered_string_matches(candidate: str) -> None:
    assert matches_registered([A], candidate) is None
    assert matches_registered([A], A) == A


@pytest.mark.parametrize("candidate", RU_02)
def test_ru02_path_confusion_payloads_never_match(candidate: str) -> None:
    assert matches_registered([A], candidate) is None


def test_ru03_a_native_app_on_a_loopback_ip_may_use_any_port() -> None:
    assert matches_registered([N], "http://127.0.0.1:51234/callback") == N
    assert matches_registered([N], "http://127.0.0.1:1/callback") == N
    assert matches_registered([N], "http://127.0.0.1:65535/callback") == N
    assert matches_registered([N], N) == N
    fixed = "http://127.0.0.1:8100/callback"
    assert matches_registered([fixed], "http://127.0.0.1/callback") == fixed
    assert matches_registered([fixed], "http://127.0.0.1:9999/callback") == fixed


def test_ru03_ipv6_loopback_gets_the_port_rule_only_when_registered() -> None:
    v6 = "http://[::1]/callback"
    assert matches_registered([v6], "http://[::1]:51234/callback") == v6
    assert matches_registered([v6], "http://127.0.0.1:51234/callback") is None


@pytest.mark.parametrize("candidate", RU_03_REJECTED)
def test_ru03_everything_but_the_port_must_be_equal(candidate: str) -> None:
    assert matches_registered([N], candidate) is None


def test_ru03_a_web_app_gets_no_port_exception_and_localhost_none_either() -> None:
    assert matches_registered([A], "https://app-a.test:8443/callback") is None
    assert matches_registered([A], N) is None
    local = "http://localhost:3000/cb"
    assert matches_registered([local], "http://localhost:3001/cb") is None
    assert matches_registered([local], local) == local


def test_a_registered_query_must_be_presented_unchanged() -> None:
    registered = "https://app-b.test/cb?tenant=1"
    assert matches_registered([registered], registered) == registered
    assert matches_registered([registered], "https://app-b.test/cb?tenant=2") is None
    loop = "http://127.0.0.1/cb?tenant=1"
    assert matches_registered([loop], "http://127.0.0.1:5000/cb?tenant=1") == loop
    assert matches_registered([loop], "http://127.0.0.1:5000/cb?tenant=2") is None


def test_the_matching_entry_of_several_is_returned() -> None:
    second = "https://app-a.test/other"
    assert matches_registered([A, second, N], second) == second
    assert matches_registered([A, second, N], "http://127.0.0.1:7/callback") == N
    assert matches_registered([], A) is None


def test_a_pathological_uri_is_refused_quickly() -> None:
    assert matches_registered([N], "http://[" + ":" * 100_000 + "]/path") is None
    assert matches_registered([N], "http://127.0.0.1:1/" + "%25" * 10_000) is None


# -- property: accepted <=> exact match or the loopback-port rule ------------------------------

REGISTERED = [
    A,
    N,
    "http://[::1]:8100/cb?x=1",
    "http://localhost:3000/cb",
    "https://app-b.test/cb?tenant=1",
]
# The loopback-IP entries of REGISTERED, taken apart by hand: (host, path and query).
LOOPBACK_RULES = [("127.0.0.1", "/callback"), ("[::1]", "/cb?x=1")]


def _oracle(candidate: str) -> bool:
    """RFC 9700 §4.1.3 plus RFC 8252 §7.3, written as one regular expression per rule."""
    if candidate in REGISTERED:
        return True
    for host, rest in LOOPBACK_RULES:
        rule = re.compile(rf"http://{re.escape(host)}(?::([1-9][0-9]{{0,4}}))?{re.escape(rest)}")
        found = rule.fullmatch(candidate)
        if found and int(found[1] or 80) <= 65535:
            return True
    return False


_pieces = st.sampled_from(
    [
        "http://", "https://", "HTTP://", "127.0.0.1", "[::1]", "localhost", "app-a.test",
        ":", "8100", "51234", "0", "65536", "080", "/callback", "/cb", "?x=1", "?tenant=1",
        "@", "#", "\\", "%2f", "/", ".", "..", " ", "\x00", "evil.test", "а",
    ]
)  # fmt: skip
_candidates = st.one_of(
    st.lists(_pieces, min_size=1, max_size=8).map("".join),
    st.sampled_from(REGISTERED).flatmap(
        lambda url: st.tuples(st.just(url), st.integers(0, 100_000), st.sampled_from(["", "/"]))
    ).map(lambda t: re.sub(r"^(http://(?:127\.0\.0\.1|\[::1\]))(?::\d+)?", rf"\g<1>:{t[1]}",
                            t[0]) + t[2]),
    st.text(max_size=40),
)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(_candidates)
def test_property_accepted_iff_exact_or_loopback_port(candidate: str) -> None:
    matched = matches_registered(REGISTERED, candidate)
    assert (matched is not None) == _oracle(candidate)
    if matched is not None:
        assert matched in REGISTERED
