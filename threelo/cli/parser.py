"""The argument grammar of the ``threelo`` command (CONTRACT §3)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, NoReturn

from threelo.cli import commands, serving


class UsageError(Exception):
    """The command line itself is wrong (exit status 2)."""


class Parser(argparse.ArgumentParser):
    """An argument parser that raises instead of printing usage and exiting."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("threelo").strip()
        raise UsageError(f"{command}: {message}" if command else message)


Handler = Callable[[Any], None]


def port_number(value: str) -> int:
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {value!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be between 1 and 65535: {value!r}")
    return port


def add_common(parser: argparse.ArgumentParser, *, top: bool = False) -> None:
    """``--database-url`` and ``--json`` work before and after the subcommand.

    Below the top level their default is SUPPRESS, so an option given earlier is kept.
    """
    parser.add_argument(
        "--database-url",
        metavar="URL",
        default=None if top else argparse.SUPPRESS,
        help="database URL (default: $THREELO_DATABASE_URL, else sqlite:///threelo.db)",
    )
    parser.add_argument(
        "--json",
        action="store_true",
        default=False if top else argparse.SUPPRESS,
        help="print one JSON object on stdout and nothing else",
    )


def build_parser() -> Parser:
    parser = Parser(prog="threelo", description="OAuth 2.0 three-legged authorization.")
    add_common(parser, top=True)
    groups = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    _serving(groups)
    _database(groups)
    _accounts(groups)
    _sites(groups)
    _apps(groups)
    _keys(groups)
    return parser


Groups = Any  # argparse's private _SubParsersAction


def _leaf(groups: Groups, name: str, handler: Handler, text: str) -> argparse.ArgumentParser:
    sub: argparse.ArgumentParser = groups.add_parser(name, help=text, description=text)
    add_common(sub)
    sub.set_defaults(handler=handler)
    return sub


def _group(groups: Groups, name: str, text: str) -> Groups:
    sub: argparse.ArgumentParser = groups.add_parser(name, help=text, description=text)
    add_common(sub)
    return sub.add_subparsers(dest=f"{name}_command", required=True, metavar="COMMAND")


def _serving(groups: Groups) -> None:
    for name, handler, text in (
        ("serve", serving.serve, "run the server (creates/migrates the database)"),
        ("demo", serving.demo, "serve with demo accounts, sites and an app"),
    ):
        sub = _leaf(groups, name, handler, text)
        sub.add_argument("--host", default="127.0.0.1", help="address to listen on")
        sub.add_argument("--port", type=port_number, default=8000, help="port to listen on")


def _database(groups: Groups) -> None:
    db = _group(groups, "db", "database maintenance")
    _leaf(db, "upgrade", serving.db_upgrade, "apply migrations")


def _accounts(groups: Groups) -> None:
    accounts = _group(groups, "accounts", "people who sign in")
    create = _leaf(accounts, "create", commands.accounts_create, "create an account")
    create.add_argument("--email", required=True)
    create.add_argument("--name", required=True)
    create.add_argument("--password", required=True, help="at least 8 characters; - reads stdin")
    for option in ("nickname", "job-title", "department", "organization", "location"):
        create.add_argument(f"--{option}", default="")
    create.add_argument("--zoneinfo", default="UTC", help="IANA time zone, e.g. Europe/Berlin")
    create.add_argument("--locale", default="en-US")
    deactivate = _leaf(
        accounts, "deactivate", commands.accounts_deactivate, "deactivate an account"
    )
    deactivate.add_argument("account_id", metavar="ACCOUNT_ID")
    password = _leaf(
        accounts, "set-password", commands.accounts_set_password,
        "set a new password (invalidates the account's refresh tokens)",
    )  # fmt: skip
    password.add_argument("account_id", metavar="ACCOUNT_ID")
    password.add_argument("--password", required=True, help="at least 8 characters; - reads stdin")


def _sites(groups: Groups) -> None:
    sites = _group(groups, "sites", "sites (tenants) and their members")
    create = _leaf(sites, "create", commands.sites_create, "create a site")
    create.add_argument("--name", required=True)
    create.add_argument("--url", default=None, help="default: https://<name>.atlassian.example")
    create.add_argument("--products", required=True, help="comma-separated, e.g. jira,confluence")
    add = _leaf(sites, "add-member", commands.sites_add_member, "make an account a member")
    add.add_argument("cloud_id", metavar="CLOUD_ID")
    add.add_argument("account_id", metavar="ACCOUNT_ID")
    add.add_argument("--products", default=None, help="default: all products of the site")
    add.add_argument("--admin", action="store_true", help="also make the account a site admin")
    remove = _leaf(sites, "remove-member", commands.sites_remove_member, "remove a member")
    remove.add_argument("cloud_id", metavar="CLOUD_ID")
    remove.add_argument("account_id", metavar="ACCOUNT_ID")


def _apps(groups: Groups) -> None:
    apps = _group(groups, "apps", "OAuth 2.0 (3LO) apps")
    create = _leaf(apps, "create", commands.apps_create, "register an app")
    create.add_argument("--name", required=True)
    create.add_argument("--owner", required=True, metavar="ACCOUNT_ID")
    create.add_argument(
        "--callback-url", action="append", required=True, dest="callback_urls", metavar="URL"
    )
    create.add_argument("--scopes", required=True, help='space-separated, e.g. "read:me"')
    create.add_argument("--public", action="store_true", help="no client secret; PKCE required")
    create.add_argument("--resource-level", action="store_true")
    create.add_argument("--distribution", choices=("private", "sharing"), default="private")


def _keys(groups: Groups) -> None:
    keys = _group(groups, "keys", "token signing keys")
    _leaf(keys, "rotate", commands.keys_rotate, "make a new signing key")
