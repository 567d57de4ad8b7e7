#!/usr/bin/env python3
"""Developer entry point: ``python3 dev.py demo`` and ``python3 dev.py test``.

Standard library only, so it runs on a fresh machine with nothing but Python 3.11+. It keeps a
virtual environment in ``.venv`` with threelo installed in editable mode (plus the test tools),
and reinstalls whenever ``pyproject.toml`` changes.

    python3 dev.py demo [threelo demo options]   # e.g. --port 8001
    python3 dev.py test [pytest options]         # ruff, mypy --strict, then pytest
"""

# ruff: noqa: S603, S606, UP036 -- runs fixed tool commands; the version check is for older Pythons

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".threelo-install-stamp"
NO_TESTS_COLLECTED = 5  # pytest's exit status when it found nothing to run


def main(argv: list[str]) -> int:
    if sys.version_info < (3, 11):
        print("threelo needs Python 3.11 or newer", file=sys.stderr)
        return 2
    if not argv or argv[0] not in ("demo", "test"):
        print("usage: python3 dev.py demo [threelo demo options]", file=sys.stderr)
        print("       python3 dev.py test [pytest options]", file=sys.stderr)
        return 2
    ensure_environment()
    command, rest = argv[0], argv[1:]
    return demo(rest) if command == "demo" else test(rest)


def ensure_environment() -> None:
    """Create ``.venv`` when missing and (re)install threelo when pyproject.toml changed."""
    python = BIN / "python"
    if not python.exists():
        print("==> creating .venv", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    wanted = _install_fingerprint(python)
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("==> installing threelo and its test tools into .venv", flush=True)
    pip = [str(python), "-m", "pip", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", "--quiet", "-e", ".[test]"], cwd=ROOT, check=True)
    STAMP.write_text(wanted)


def _install_fingerprint(python: Path) -> str:
    version = subprocess.run(
        [str(python), "-c", "import sys; print(sys.version)"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    content = (ROOT / "pyproject.toml").read_bytes()
    return hashlib.sha256(content + version.encode()).hexdigest()


def demo(args: list[str]) -> int:
    program = str(BIN / "threelo")
    if os.name == "posix":
        os.execv(program, [program, "demo", *args])
    try:
        return subprocess.call([program, "demo", *args], cwd=ROOT)
    except KeyboardInterrupt:
        return 130


def test(pytest_args: list[str]) -> int:
    steps = [
        ("ruff", [str(BIN / "ruff"), "check", "threelo", "tests"]),
        ("mypy", [str(BIN / "mypy")]),
        ("pytest", [str(BIN / "python"), "-m", "pytest", *pytest_args]),
    ]
    failed = []
    for name, command in steps:
        print(f"==> {name}: {' '.join([Path(command[0]).name, *command[1:]])}", flush=True)
        status = subprocess.call(command, cwd=ROOT)
        if status != 0:
            if name == "pytest" and status == NO_TESTS_COLLECTED:
                print("pytest collected no tests", file=sys.stderr)
            failed.append(f"{name} (exit {status})")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
