"""``threelo accounts|sites|apps|keys|db``: outputs, and refusals that write nothing."""

from __future__ import annotations

import io
import re

import pytest

from threelo.core import passwords
from threelo.core.models import AccountStatus, Distribution
from threelo.core.secret_values import matches
from threelo.storage import open_store

from .conftest import Cli, snapshot


def _get_account(url: str, account_id: str):  # type: ignore[no-untyped-def]
    store = open_store(url)
    try:
        with store.reader() as tx:
            return tx.accounts.get(account_id)
    finally:
        store.close()


def test_accounts_create_prints_the_account_id_as_json(cli: Cli, db_url: str) -> None:
    result = cli(
        "accounts", "create", "--email", " Ann@Example.com ", "--name", "Ann Lee",
        "--password", "correct horse", "--nickname", "ann", "--zoneinfo", "Europe/Berlin",
        "--locale", "de-DE", "--job-title", "Engineer", "--department", "R&D",
        "--organization", "Acme", "--location", "Berlin", "--json", "--database-url", db_url,
    )  # fmt: skip
    assert result.code == 0
    body = result.json()
    assert list(body) == ["account_id"]
    account = _get_account(db_url, body["account_id"])
    assert account is not None
    assert (account.email, account.name, account.nickname, account.zoneinfo) == (
        "Ann@Example.com", "Ann Lee", "ann", "Europe/Berlin",
    )  # fmt: skip
    assert (account.job_title, account.department, account.organization, account.location) == (
        "Engineer", "R&D", "Acme", "Berlin",
    )  # fmt: skip
    assert passwords.verify_password(account.password_hash, "correct horse")


def test_without_json_the_output_is_friendly_text(cli: Cli, db_url: str) -> None:
    result = cli("--database-url", db_url, "accounts", "create", "--email", "a@example.com",
                 "--name", "A", "--password", "password1")  # fmt: skip
    assert result.code == 0 and result.err == ""
    assert result.out.startswith("Created account 712020:")


def test_the_password_can_come_from_stdin(
    cli: Cli, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("from stdin 123\n"))
    result = cli("--database-url", db_url, "accounts", "create", "--email", "s@example.com",
                 "--name", "S", "--password", "-", "--json")  # fmt: skip
    account = _get_account(db_url, result.json()["account_id"])
    assert account is not None
    assert passwords.verify_password(account.password_hash, "from stdin 123")


def test_the_database_url_comes_from_the_environment(
    cli: Cli, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREELO_DATABASE_URL", db_url)
    result = cli("accounts", "create", "--email", "env@example.com", "--name", "E",
                 "--password", "password1", "--json")  # fmt: skip
    assert result.code == 0
    assert _get_account(db_url, result.json()["account_id"]) is not None


def test_the_option_beats_the_environment(
    cli: Cli, db_url: str, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREELO_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    result = cli("accounts", "create", "--email", "opt@example.com", "--name", "O",
                 "--password", "password1", "--json", "--database-url", db_url)  # fmt: skip
    assert result.code == 0, result.err
    assert _get_account(db_url, result.json()["account_id"]) is not None


def test_deactivate_and_set_password(cli: Cli, db_url: str, account: str) -> None:
    changed = cli("--json", "accounts", "set-password", account, "--password", "new password",
                  "--database-url", db_url)  # fmt: skip
    assert changed.json() == {"ok": True, "account_id": account}
    stored = _get_account(db_url, account)
    assert stored is not None and passwords.verify_password(stored.password_hash, "new password")
    gone = cli("--database-url", db_url, "accounts", "deactivate", account, "--json")
    assert gone.json() == {"ok": True, "account_id": account}
    stored = _get_account(db_url, account)
    assert stored is not None and stored.status is AccountStatus.INACTIVE
    text = cli("--database-url", db_url, "accounts", "deactivate", account)
    assert text.code == 0 and "Deactivated" in text.out


def test_sites_create_and_membership(cli: Cli, db_url: str, account: str) -> None:
    created = cli("--database-url", db_url, "sites", "create", "--name", "Globex",
                  "--products", "jira,confluence", "--json")  # fmt: skip
    site = created.json()
    assert set(site) == {"id", "name", "url"}
    assert site["name"] == "Globex" and site["url"] == "https://globex.atlassian.example"
    cloud_id = site["id"]
    added = cli("--database-url", db_url, "sites", "add-member", cloud_id, account,
                "--products", "confluence", "--admin", "--json")  # fmt: skip
    assert added.json() == {
        "ok": True, "cloud_id": cloud_id, "account_id": account,
        "products": ["confluence"], "admin": True,
    }  # fmt: skip
    assert cli("--database-url", db_url, "sites", "add-member", cloud_id, account).code == 0
    store = open_store(db_url)
    with store.reader() as tx:
        products = {m.product for m in tx.memberships.for_site(cloud_id)}
        admin = tx.site_admins.is_admin(cloud_id, account)
    store.close()
    assert products == {"jira", "confluence"} and admin
    removed = cli("--database-url", db_url, "sites", "remove-member", cloud_id, account, "--json")
    assert removed.json()["removed"] == 2 and removed.json()["ok"] is True


def test_sites_create_with_a_url_in_text_mode(cli: Cli, db_url: str) -> None:
    result = cli("--database-url", db_url, "sites", "create", "--name", "Own",
                 "--url", "https://own.example.com", "--products", "jira")  # fmt: skip
    assert result.code == 0
    assert "https://own.example.com" in result.out
    assert re.search(r"cloud id: [0-9a-f-]{36}", result.out)


def test_apps_create_confidential_and_public(cli: Cli, db_url: str, account: str) -> None:
    created = cli(
        "--database-url", db_url, "apps", "create", "--name", "Incidents", "--owner", account,
        "--callback-url", "https://app.test/cb", "--callback-url", "http://127.0.0.1/cb",
        "--scopes", "read:me read:jira-work offline_access", "--distribution", "sharing",
        "--json",
    )  # fmt: skip
    body = created.json()
    assert set(body) == {"client_id", "client_secret", "name"}
    public = cli(
        "--database-url", db_url, "apps", "create", "--name", "Native", "--owner", account,
        "--callback-url", "http://127.0.0.1/cb", "--scopes", "read:me", "--public",
        "--resource-level", "--json",
    )  # fmt: skip
    assert set(public.json()) == {"client_id", "name"}
    store = open_store(db_url)
    with store.reader() as tx:
        app = tx.apps.get(body["client_id"])
        native = tx.apps.get(public.json()["client_id"])
    store.close()
    assert app is not None and app.secret_digest is not None
    assert matches(body["client_secret"], app.secret_digest)
    assert app.scopes == ("read:me", "read:jira-work")
    assert app.callback_urls == ("https://app.test/cb", "http://127.0.0.1/cb")
    assert app.distribution is Distribution.SHARING and not app.public
    assert native is not None and native.public and native.resource_level
    assert native.secret_digest is None


def test_apps_create_text_shows_the_secret_once(cli: Cli, db_url: str, account: str) -> None:
    result = cli("--database-url", db_url, "apps", "create", "--name", "A", "--owner", account,
                 "--callback-url", "https://a.test/cb", "--scopes", "read:me")  # fmt: skip
    assert result.code == 0
    assert "client secret:" in result.out and "client id:" in result.out


def test_keys_rotate_and_db_upgrade(cli: Cli, db_url: str) -> None:
    assert cli("--database-url", db_url, "db", "upgrade", "--json").json() == {"ok": True}
    assert cli("db", "upgrade", "--database-url", db_url).out == "Database is up to date\n"
    first = cli("--database-url", db_url, "keys", "rotate", "--json").json()
    second = cli("keys", "rotate", "--json", "--database-url", db_url).json()
    assert first["ok"] and second["ok"] and first["kid"] != second["kid"]
    store = open_store(db_url)
    with store.reader() as tx:
        keys = {k.kid: k for k in tx.keys.list()}
    store.close()
    assert keys[first["kid"]].retired_at is not None
    assert keys[second["kid"]].retired_at is None


# -- refusals: one line on stderr, non-zero, nothing written ------------------------------------

UNKNOWN = "712020:00000000-0000-0000-0000-000000000000"


def test_a_duplicate_email_is_refused_whatever_its_case(
    cli: Cli, db_url: str, account: str
) -> None:
    before = snapshot(db_url)
    result = cli("--database-url", db_url, "accounts", "create", "--email", "EDWARD@example.COM",
                 "--name", "Again", "--password", "password1", "--json")  # fmt: skip
    assert "already exists" in result.refused(1)
    assert snapshot(db_url) == before


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        (["accounts", "deactivate", UNKNOWN], "no account"),
        (["accounts", "set-password", UNKNOWN, "--password", "password1"], "no account"),
        (["accounts", "create", "--email", "x", "--name", "X", "--password", "password1"],
         "e-mail"),
        (["accounts", "create", "--email", "x@example.com", "--name", "X", "--password", "short"],
         "at least 8"),
        (["accounts", "create", "--email", "x@example.com", "--name", "X", "--password",
          "password1", "--zoneinfo", "Nowhere/Else"], "time zone"),
        (["accounts", "create", "--email", "x@example.com", "--name", "Evil\x1b[2J",
          "--password", "password1"], "control"),
        (["sites", "create", "--name", "S", "--products", "jira,trello"], "unknown product"),
        (["sites", "create", "--name", "S", "--products", "jira", "--url", "ftp://x"], "scheme"),
        (["sites", "add-member", "SITE", "ACCOUNT", "--products", "confluence"],
         "does not run confluence"),
        (["sites", "add-member", "SITE", UNKNOWN], "no account"),
        (["sites", "add-member", UNKNOWN, "ACCOUNT"], "no site"),
        (["sites", "remove-member", "SITE", UNKNOWN], "no account"),
        (["apps", "create", "--name", "A", "--owner", UNKNOWN, "--callback-url",
          "https://a.test/cb", "--scopes", "read:me"], "no account"),
        (["apps", "create", "--name", "A", "--owner", "ACCOUNT", "--callback-url",
          "https://a.test/cb#frag", "--scopes", "read:me"], "fragment"),
        (["apps", "create", "--name", "A", "--owner", "ACCOUNT", "--callback-url",
          "not a url", "--scopes", "read:me"], "callback URL"),
        (["apps", "create", "--name", "A", "--owner", "ACCOUNT", "--callback-url",
          "http://evil.test/cb", "--scopes", "read:me"], "https"),
        (["apps", "create", "--name", "A", "--owner", "ACCOUNT", "--callback-url",
          "https://a.test/cb", "--scopes", "read:me write:everything"], "unknown scope"),
    ],
)  # fmt: skip
def test_rejected_input_fails_with_one_line_and_writes_nothing(
    cli: Cli, db_url: str, account: str, site: str, argv: list[str], reason: str
) -> None:
    argv = [{"SITE": site, "ACCOUNT": account}.get(a, a) for a in argv]
    before = snapshot(db_url)
    for extra in ([], ["--json"]):
        result = cli("--database-url", db_url, *argv, *extra)
        assert reason in result.refused(1)
    assert snapshot(db_url) == before


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["frobnicate"],
        ["accounts"],
        ["accounts", "create", "--email", "a@example.com"],
        ["accounts", "deactivate"],
        ["sites", "create", "--name", "S"],
        ["apps", "create", "--name", "A", "--owner", "X", "--scopes", "read:me"],
        ["apps", "create", "--name", "A", "--owner", "X", "--callback-url", "https://a.test/cb",
         "--scopes", "read:me", "--distribution", "public"],
        ["serve", "--port", "http"],
        ["serve", "--port", "70000"],
        ["keys", "rotate", "--bogus"],
    ],
)  # fmt: skip
def test_usage_errors_exit_2_with_one_line(cli: Cli, db_url: str, argv: list[str]) -> None:
    before = snapshot(db_url)
    result = cli("--database-url", db_url, *argv)
    result.refused(2)
    assert snapshot(db_url) == before


@pytest.mark.parametrize(
    ("variable", "value", "reason"),
    [
        ("THREELO_ACCESS_TOKEN_TTL", "an hour", "THREELO_ACCESS_TOKEN_TTL"),
        ("THREELO_ISSUER", "ftp://x", "THREELO_ISSUER"),
        ("THREELO_DATABASE_URL", "mysql://x/y", "THREELO_DATABASE_URL"),
    ],
)
def test_bad_settings_exit_2_with_one_line(
    cli: Cli, db_url: str, monkeypatch: pytest.MonkeyPatch, variable: str, value: str,
    reason: str,
) -> None:  # fmt: skip
    monkeypatch.setenv(variable, value)
    argv = ["accounts", "create", "--email", "a@example.com", "--name", "A", "--password",
            "password1", "--json"]  # fmt: skip
    if variable != "THREELO_DATABASE_URL":
        argv += ["--database-url", db_url]
    assert reason in cli(*argv).refused(2)
    assert snapshot(db_url)[0] == ()


def test_a_bad_database_url_option_exits_2(cli: Cli) -> None:
    assert "sqlite:// or postgresql://" in cli("--database-url", "mysql://x/y", "keys",
                                                "rotate").refused(2)  # fmt: skip


def test_an_unreachable_database_is_one_line_too(cli: Cli) -> None:
    result = cli("--database-url", "postgresql://nobody@127.0.0.1:1/none", "keys", "rotate")
    result.refused(1)


def test_help_exits_0(cli: Cli, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli("--help").code == 0
    assert cli("apps", "create", "--help").code == 0
