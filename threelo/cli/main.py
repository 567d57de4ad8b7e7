"""Entry point of the ``threelo`` command: parse, load settings, run, report one line on error.

Exit status: 0 on success, 1 when the input is refused, 2 for a usage or settings error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from threelo.cli.context import Invocation, Output
from threelo.cli.parser import UsageError, build_parser
from threelo.core.directory import DirectoryError
from threelo.settings import Settings, SettingsError, load_settings

USAGE = 2
REFUSED = 1


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as err:
        return fail(str(err), USAGE)
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    try:
        settings = resolve_settings(args.database_url)
    except SettingsError as err:
        return fail(str(err), USAGE)
    try:
        args.handler(Invocation(args, settings, Output(args.json)))
    except SettingsError as err:
        return fail(str(err), USAGE)
    except DirectoryError as err:
        return fail(str(err), REFUSED)
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # one line, never a traceback (CONTRACT §3)
        return fail(describe(err), REFUSED)
    return 0


def resolve_settings(database_url: str | None) -> Settings:
    """``--database-url`` wins over ``THREELO_DATABASE_URL``, which wins over the default."""
    env = dict(os.environ)
    if database_url is not None:
        env["THREELO_DATABASE_URL"] = database_url
    return load_settings(env)


def describe(err: Exception) -> str:
    """Our own exceptions speak for themselves; foreign ones are named."""
    if type(err).__module__.startswith("threelo.") and str(err):
        return str(err)
    return f"{type(err).__name__}: {err}"


def fail(message: str, status: int) -> int:
    line = " ".join(message.split()) or "failed"
    print(f"threelo: error: {line}", file=sys.stderr, flush=True)
    return status
