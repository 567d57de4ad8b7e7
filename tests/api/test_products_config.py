"""Products registered by configuration (CONTRACT §5.3) and the route-pattern matcher."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from threelo.core.gateway import GatewayDenied, RouteRule, parse_target
from threelo.core.products_config import (
    ProductConfigError,
    catalogue_for,
    load_products,
    registry_for,
)


def write(tmp_path: Path, products: object) -> str:
    path = tmp_path / "products.json"
    path.write_text(json.dumps(products))
    return str(path)


def test_default_registry_serves_the_builtin_jira() -> None:
    registry = registry_for("")
    jira = registry.get("jira")
    assert jira is not None and jira.upstream == "builtin"
    assert jira.rule_for("GET", "/rest/api/2/search") is not None
    assert jira.rule_for("POST", "/rest/api/3/issue").scopes == ("write:jira-work",)  # type: ignore[union-attr]
    assert jira.rule_for("DELETE", "/rest/api/3/issue") is None


def test_a_new_product_extends_the_catalogue(tmp_path: Path) -> None:
    path = write(tmp_path, {"products": [{
        "name": "bitbucket", "title": "Bitbucket API", "upstream": "http://127.0.0.1:1",
        "scopes": [{"name": "read:bb", "title": "Read", "description": "Read repos"}],
        "routes": [{"method": "get", "path": "/2.0/repositories/{ws}/**",
                    "scopes": ["read:bb"]}]}]})
    registry = registry_for(path)
    catalogue = catalogue_for(registry)
    assert catalogue.get("read:bb").product == "bitbucket"  # type: ignore[union-attr]
    assert catalogue.site_products(["read:bb", "read:jira-work"]) == {"bitbucket", "jira"}
    service = registry.get("bitbucket")
    assert service is not None
    assert service.rule_for("GET", "/2.0/repositories/acme/x/y") is not None
    assert service.rule_for("GET", "/2.0/repositories//x") is None


@pytest.mark.parametrize("bad", [
    [], {"products": {}}, {"products": [{"name": "x", "upstream": "ftp://h"}]},
    {"products": [{"name": "x", "upstream": "builtin"}]},
    {"products": [{"name": "jira", "upstream": "builtin",
                   "routes": [{"method": "GET", "path": "/x", "scopes": ["read:nope"]}]}]},
    {"products": [{"name": "jira", "upstream": "builtin", "timeout": 0}]},
])
def test_bad_files_are_refused_with_the_place_named(tmp_path: Path, bad: object) -> None:
    with pytest.raises(ProductConfigError):
        load_products(write(tmp_path, bad))


def test_route_patterns() -> None:
    rule = RouteRule("GET", "/rest/api/{v:2|3}/issue/{id}", ("s",))
    assert rule.matches("GET", "/rest/api/3/issue/X-1")
    assert not rule.matches("GET", "/rest/api/4/issue/X-1")
    assert not rule.matches("GET", "/rest/api/3/issue/")
    assert not rule.matches("GET", "/rest/api/3/issue/X-1/more")
    assert not rule.matches("POST", "/rest/api/3/issue/X-1")


@pytest.mark.parametrize("path,status", [
    ("/ex/jira", 400), ("/ex/jira/", 400),
    ("/ex/jira/0f8fad5b-d9cb-469f-a165-70867728950e", 400),
    ("/ex/jira/not-a-uuid/x", 400), ("/ex/Jira/0f8fad5b-d9cb-469f-a165-70867728950e/x", 404),
])
def test_parse_target_edges(path: str, status: int) -> None:
    with pytest.raises(GatewayDenied) as denied:
        parse_target(path)
    assert denied.value.status == status


def test_parse_target_keeps_a_trailing_slash() -> None:
    target = parse_target("/ex/jira/0f8fad5b-d9cb-469f-a165-70867728950e/rest/api/3/project/")
    assert target.path == "/rest/api/3/project/"
