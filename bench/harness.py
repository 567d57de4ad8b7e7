#!/usr/bin/env python3
"""The peer kit's harness (bench/oauthbench.py) with one change for threelo's pages.

The harness auto-submits "the first <form>" of a login or consent page. threelo's pages carry a
sign-out form in the header before the consent form, so the first form is the wrong one. This
wrapper picks the first form that is not a sign-out form and otherwise runs the harness unchanged
(same arguments, same Lua scripts, same output).

    python3 bench/harness.py --harness bench/work/peers/bench/oauthbench.py <oauthbench arguments>
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType


def load(path: Path) -> ModuleType:
    """Import the harness from ``path`` with the sign-out form skipped."""
    spec = importlib.util.spec_from_file_location("oauthbench", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules["oauthbench"] = mod
    spec.loader.exec_module(mod)
    original = mod._first_form

    def first_form(page: str):  # type: ignore[no-untyped-def]
        for m in re.finditer(r"<form\b([^>]*)>.*?</form>", page, re.S | re.I):
            action = re.search(r'action\s*=\s*"([^"]*)"', m.group(1), re.I)
            if action and action.group(1).rstrip("/").endswith("/logout"):
                continue
            return original(m.group(0))
        return original(page)

    mod._first_form = first_form
    return mod


def main() -> None:
    argv = sys.argv[1:]
    if len(argv) < 2 or argv[0] != "--harness":
        raise SystemExit("usage: harness.py --harness PATH/oauthbench.py [oauthbench args...]")
    ob = load(Path(argv[1]))
    sys.argv = [argv[1], *argv[2:]]
    ob.main()


if __name__ == "__main__":
    main()
