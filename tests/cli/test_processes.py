"""The ``threelo`` command as a real process: SQLite files, PostgreSQL, and the demo server."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.processes import free_port

from .conftest import run_process, snapshot

THREELO_SCRIPT = Path(sys.executable).with_name("threelo")


def test_a_fresh_sqlite_file_works_end_to_end(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    account = run_process("accounts", "create", "--email", "p@example.com", "--name", "P",
                          "--password", "password1", "--json", "--database-url", url)  # fmt: skip
    account_id = account.json()["account_id"]
    site = run_process("--database-url", url, "--json", "sites", "create", "--name", "Acme",
                       "--products", "jira").json()  # fmt: skip
    member = run_process("--database-url", url, "sites", "add-member", site["id"], account_id)
    assert member.code == 0 and member.err == ""
    app = run_process("--database-url", url, "apps", "create", "--name", "A", "--owner",
                      account_id, "--callback-url", "https://a.test/cb", "--scopes",
                      "read:me read:jira-work", "--json").json()  # fmt: skip
    assert set(app) == {"client_id", "client_secret", "name"}
    accounts, sites, members, apps, *_ = snapshot(url)
    assert len(accounts) == len(sites) == len(members) == len(apps) == 1


def test_a_rejected_input_in_a_real_process_is_one_line_without_traceback(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'refused.db'}"
    result = run_process("--database-url", url, "accounts", "deactivate", "712020:nobody")
    assert "no account" in result.refused(1)
    usage = run_process("--database-url", url, "apps", "create", "--name", "A")
    usage.refused(2)
    settings = run_process("keys", "rotate", env={"THREELO_DATABASE_URL": "oracle://x"})
    assert "THREELO_DATABASE_URL" in settings.refused(2)


@pytest.mark.skipif(not THREELO_SCRIPT.exists(), reason="console script not installed")
def test_the_console_script_runs_the_same_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'script.db'}"
    done = subprocess.run(
        [str(THREELO_SCRIPT), "--database-url", url, "db", "upgrade", "--json"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert (done.returncode, json.loads(done.stdout), done.stderr) == (0, {"ok": True}, "")


@pytest.mark.postgres
def test_commands_against_postgresql(fresh_database_url: Callable[[str], str]) -> None:
    url = fresh_database_url("postgresql")
    assert run_process("--database-url", url, "db", "upgrade").code == 0
    account = run_process("--database-url", url, "accounts", "create", "--email",
                          "pg@example.com", "--name", "Pg", "--password", "password1",
                          "--json").json()  # fmt: skip
    duplicate = run_process("--database-url", url, "accounts", "create", "--name", "Pg",
                            "--email", "PG@EXAMPLE.COM", "--password", "password1")  # fmt: skip
    assert "already exists" in duplicate.refused(1)
    site = run_process("--database-url", url, "sites", "create", "--name", "Pg site",
                       "--products", "jira,confluence", "--json").json()  # fmt: skip
    unknown = run_process("--database-url", url, "sites", "add-member", site["id"],
                          account["account_id"], "--products", "bitbucket")  # fmt: skip
    assert "does not run bitbucket" in unknown.refused(1)
    key = run_process("--database-url", url, "keys", "rotate", "--json").json()
    assert key["ok"] is True
    accounts, sites, members, apps, _, keys = snapshot(url)
    assert [a.email for a in accounts] == ["pg@example.com"]
    assert len(sites) == 1 and members == () and apps == () and len(keys) == 1


# -- the demo server -------------------------------------------------------------------------


def _answers_http(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(
                f"http://127.0.0.1:{port}/.well-known/jwks.json", timeout=2
            ) as response:
                return bool(response.status)
        except urllib.error.HTTPError:
            return True
        except OSError:
            time.sleep(0.2)
    return False


def _run_demo(cwd: Path, command: str = "demo", *extra: str) -> dict[str, Any]:
    """``threelo demo --port P --json`` in ``cwd``: its JSON, once it answers HTTP; then stop it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREELO_")}
    log = cwd / f"demo-{port}.log"
    with log.open("w") as errors, subprocess.Popen(
        [sys.executable, "-m", "threelo.cli", command, "--port", str(port), "--json", *extra],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=errors, text=True,
    ) as process:  # fmt: skip
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, log.read_text()
            assert _answers_http(port, time.monotonic() + 20), "the demo server never answered"
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
    data: dict[str, Any] = json.loads(line)
    data["port"] = port
    return data


@pytest.mark.slow
def test_the_demo_serves_http_and_seeds_only_once(tmp_path: Path) -> None:
    first = _run_demo(tmp_path)
    assert (tmp_path / "threelo-demo.db").exists()
    secrets_file = tmp_path / "threelo-demo.secrets.json"
    assert secrets_file.stat().st_mode & 0o077 == 0
    assert [a["email"] for a in first["accounts"]] == [
        "edward@example.com", "mallory@example.com", "alice@example.com",
    ]  # fmt: skip
    assert first["redirect_uri"] == "http://127.0.0.1:8100/callback"
    assert first["authorization_url"].startswith(f"http://127.0.0.1:{first['port']}/authorize?")
    assert f"client_id={first['client_id']}" in first["authorization_url"]
    second = _run_demo(tmp_path)
    assert (second["client_id"], second["client_secret"]) == (
        first["client_id"], first["client_secret"],
    )  # fmt: skip
    assert second["sites"] == first["sites"]
    accounts, sites, *_ = snapshot(f"sqlite:///{tmp_path / 'threelo-demo.db'}")
    assert len(accounts) == 3 and len(sites) == 3


@pytest.mark.slow
def test_serve_migrates_a_fresh_database_and_answers_http(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    started = _run_demo(tmp_path, "serve", "--database-url", url)
    assert started == {"ok": True, "issuer": f"http://127.0.0.1:{started['port']}",
                       "port": started["port"]}  # fmt: skip
    assert snapshot(url).accounts == ()
    assert not (tmp_path / "threelo-demo.db").exists()
