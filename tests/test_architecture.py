"""Dependency direction (STYLE.md): ``threelo.core`` knows nothing of HTTP, SQL or templates."""

from __future__ import annotations

import ast
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import threelo

FORBIDDEN = (
    "starlette", "sqlalchemy", "alembic", "jinja2", "uvicorn", "httpx", "fastapi", "flask",
    "django", "redis", "psycopg", "multipart", "aiohttp", "requests",
)  # fmt: skip
CORE = Path(threelo.__file__).parent / "core"


def _core_modules() -> list[str]:
    found = ["threelo.core"]
    for info in pkgutil.walk_packages([str(CORE)], prefix="threelo.core."):
        found.append(info.name)
    return sorted(found)


def test_core_has_modules_to_check() -> None:
    modules = _core_modules()
    assert "threelo.core.models" in modules and "threelo.core.directory" in modules


def test_importing_all_of_core_loads_no_framework_orm_or_template_engine() -> None:
    program = (
        "import importlib, json, sys\n"
        f"for name in {_core_modules()!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == []


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def _imported_threelo_packages(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        found.update(".".join(n.split(".")[:2]) for n in names if n.startswith("threelo."))
    return found


def test_no_core_source_file_imports_a_framework_even_lazily() -> None:
    offenders = {
        str(path.relative_to(CORE)): sorted(_imported_roots(path) & set(FORBIDDEN))
        for path in CORE.rglob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_core_imports_only_core_from_threelo() -> None:
    offenders = {
        str(path.relative_to(CORE)): sorted(_imported_threelo_packages(path) - {"threelo.core"})
        for path in CORE.rglob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}
