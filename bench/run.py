#!/usr/bin/env python3
"""Benchmark threelo against reference OAuth 2.0 servers on this machine, in one command.

    python3 bench/run.py                                  # everything, 10 s per scenario
    python3 bench/run.py --duration 20 --connections 64
    python3 bench/run.py --only threelo-sqlite,op-jwt     # a subset of targets
    python3 bench/run.py --only op-jwt --scenarios me,e2e
    python3 bench/run.py --sequential 300                 # + one-request-at-a-time latencies

What it does (see docs/performance.md):

1. Tools: installs ``wrk`` with apt-get if it is missing; copies the peer kit
   (``$PEERS_SRC``, default /work/shared/peers) to ``bench/work/peers`` on first use, creates its
   Python venv and runs ``npm ci`` there (only for the peers selected).
2. PostgreSQL: the peer kit's private instance (``scripts/pg.sh``: 127.0.0.1:5433, data in
   /tmp/peers-pg, trust auth on loopback).  threelo gets its own database ``threelo_bench``,
   dropped and created again for every run.  If this script started the instance, it stops it.
3. Targets, one after another, each on 127.0.0.1 only:
   ``threelo-sqlite`` (fresh SQLite file), ``threelo-pg`` (fresh PostgreSQL database), each
   seeded through the threelo CLI and served with ``threelo serve``; ``op-jwt``
   (node-oidc-provider), ``authlib`` (Authlib + Flask + PostgreSQL) and ``dot``
   (django-oauth-toolkit + PostgreSQL), started the way the peer kit's run-peers.sh starts them.
4. Load: the peer kit's harness (``bench/oauthbench.py``, wrk + Lua; run through
   ``bench/harness.py``, which only makes it skip the sign-out form on threelo's pages) with
   scenarios ``code``,
   ``refresh``, ``me``, ``e2e``, plus ``resources`` (GET /oauth/token/accessible-resources) and
   ``gateway`` (GET /ex/jira/<cloud id>/rest/api/3/myself), which are the harness's ``me``
   scenario on another path.  Every wrk run is bounded by --duration.
5. One table on stdout (ok/s, p50, p99, non-2xx, threelo ÷ peer measured in this run), and
   ``bench/results/<UTC stamp>.json`` + ``.md``.  Raw harness output stays in ``bench/work/``.

Every process it starts is stopped by its PID (SIGTERM, then SIGKILL of its own process group)
on success, failure and Ctrl+C.  One run at a time per checkout (``bench/work/run.lock``).
"""

# ruff: noqa: S603, S310  (fixed command lines; urlopen only on http://127.0.0.1)
from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
WORK = BENCH / "work"
RESULTS = BENCH / "results"
PEERS = WORK / "peers"
TARGET_TEMPLATE = BENCH / "targets" / "threelo.json"

ALL_TARGETS = ("threelo-sqlite", "threelo-pg", "op-jwt", "authlib", "dot")
CORE_SCENARIOS = ("code", "refresh", "me", "e2e")
ALL_SCENARIOS = (*CORE_SCENARIOS, "resources", "gateway")
PEER_NAMES = ("op-jwt", "authlib", "dot")

PG_PORT = 5433
PG_DB = "threelo_bench"
BENCH_EMAIL = "bench@example.test"
BENCH_PASSWORD = "bench-password-0123456789"
REDIRECT_URI = "http://127.0.0.1:9/callback"
SCOPES = "read:me read:jira-user read:jira-work offline_access"
SECRET_KEY = "bench-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def sh(
    cmd: list[str],
    *,
    cwd: Path | None = None,
    env: dict | None = None,
    timeout: float = 600,
    check: bool = True,
) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(
            f"{' '.join(cmd)} failed ({p.returncode}): {(p.stderr or p.stdout).strip()[-800:]}"
        )
    return p


# ------------------------------------------------------------------------------ processes
@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.popen.pid


STARTED: list[Proc] = []


def start(name: str, cmd: list[str], *, cwd: Path | None = None, env: dict | None = None) -> Proc:
    log_path = WORK / "logs" / f"{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as fh:
        p = subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    proc = Proc(name, p, log_path)
    STARTED.append(proc)
    log(f"started {name} pid {p.pid}: {' '.join(cmd)}")
    return proc


def stop(proc: Proc, grace: float = 15) -> None:
    """SIGTERM to the PID we started; if it lingers, SIGKILL its own process group."""
    p = proc.popen
    if p.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            log(f"{proc.name} pid {p.pid} ignored SIGTERM; killing its process group")
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGKILL)  # the group was created for this process
            p.wait(timeout=10)
    # children (uvicorn/gunicorn workers) share the group; make sure none outlives the parent
    try:
        os.killpg(p.pid, 0)
    except (ProcessLookupError, PermissionError):
        pass
    else:
        time.sleep(1)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
    if proc in STARTED:
        STARTED.remove(proc)
    log(f"stopped {proc.name} pid {p.pid}")


def stop_all() -> None:
    for proc in list(reversed(STARTED)):
        try:
            stop(proc)
        except Exception as exc:  # keep stopping the others
            log(f"could not stop {proc.name}: {exc}")


def port_free(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) != 0


def wait_http(proc: Proc, url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(
                f"{proc.name} exited ({proc.popen.returncode}): {tail(proc.log_path)}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                r.read()
                return
        except urllib.error.HTTPError as e:  # any HTTP answer means it is serving
            if e.code < 500:
                return
            last = str(e)
        except OSError as e:
            last = str(e)
        time.sleep(0.25)
    raise RuntimeError(f"{proc.name} did not answer {url} within {timeout:.0f}s ({last})")


def warm(url: str, n: int = 50) -> None:
    for _ in range(n):
        try:
            with urllib.request.urlopen(url, timeout=5) as r:
                r.read()
        except OSError:
            pass


def tail(path: Path, n: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


# ------------------------------------------------------------------------------ tools
def ensure_wrk() -> str:
    w = shutil.which("wrk")
    if w:
        return w
    log("wrk missing: apt-get install -y wrk")
    if sh(["apt-get", "install", "-y", "wrk"], check=False, timeout=600).returncode != 0:
        sh(["apt-get", "update"], timeout=600)
        sh(["apt-get", "install", "-y", "wrk"], timeout=600)
    w = shutil.which("wrk")
    if not w:
        raise RuntimeError("wrk could not be installed")
    return w


def ensure_peer_kit(src: Path, need_venv: bool, need_node: bool) -> None:
    if not (PEERS / "bench" / "oauthbench.py").exists():
        if not (src / "bench" / "oauthbench.py").exists():
            raise RuntimeError(f"peer kit not found at {src} (set PEERS_SRC or --peers-src)")
        log(f"copying the peer kit {src} -> {PEERS}")
        shutil.copytree(
            src,
            PEERS,
            ignore=shutil.ignore_patterns("node_modules", ".venv", "work"),
            dirs_exist_ok=True,
        )
        for root, dirs, files in os.walk(PEERS):
            for n in dirs + files:
                p = Path(root) / n
                p.chmod(p.stat().st_mode | 0o200)
        PEERS.chmod(PEERS.stat().st_mode | 0o200)
    if need_venv and not (PEERS / ".venv" / "bin" / "gunicorn").exists():
        log("creating the peers' venv (pip install -r requirements.txt -c requirements-lock.txt)")
        sh([sys.executable, "-m", "venv", str(PEERS / ".venv")])
        sh(
            [
                str(PEERS / ".venv" / "bin" / "pip"),
                "install",
                "-q",
                "-r",
                "requirements.txt",
                "-c",
                "requirements-lock.txt",
            ],
            cwd=PEERS,
            timeout=900,
        )
    if need_node and not (PEERS / "node_modules" / "oidc-provider").exists():
        if not shutil.which("npm"):
            raise RuntimeError("node/npm are needed for node-oidc-provider")
        log("npm ci (oidc-provider)")
        sh(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEERS, timeout=900)


# ------------------------------------------------------------------------------ PostgreSQL
class Postgres:
    def __init__(self) -> None:
        self.script = PEERS / "scripts" / "pg.sh"
        self.started_here = False
        self.pid: int | None = None

    def up(self) -> int:
        was_up = sh([str(self.script), "status"], check=False).returncode == 0
        sh([str(self.script), "start"], timeout=120)
        self.started_here = not was_up
        self.pid = int(sh([str(self.script), "pid"]).stdout.strip())
        log(
            f"PostgreSQL on 127.0.0.1:{PG_PORT} pid {self.pid}"
            f"{' (started by this run)' if self.started_here else ' (already running)'}"
        )
        return self.pid

    def psql(self, sql: str, db: str = "postgres") -> None:
        psql = shutil.which("psql") or "psql"
        sh(
            [
                psql,
                "-h",
                "127.0.0.1",
                "-p",
                str(PG_PORT),
                "-U",
                "postgres",
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                sql,
            ]
        )

    def fresh_db(self, name: str) -> str:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.psql(f'CREATE DATABASE "{name}"')
        return f"postgresql://postgres@127.0.0.1:{PG_PORT}/{name}"

    def down(self) -> None:
        if self.started_here:
            sh([str(self.script), "stop"], check=False, timeout=120)
            log(f"stopped PostgreSQL (pid {self.pid})")
            self.started_here = False


# ------------------------------------------------------------------------------ harness
@dataclass
class TargetRun:
    key: str  # threelo-sqlite, op-jwt, ...
    target_file: Path
    server: Proc | None = None
    db_pid: int | None = None
    extra_paths: dict[str, str] = field(default_factory=dict)  # scenario -> path (me-style)
    results: dict[str, dict] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    sequential: dict = field(default_factory=dict)
    round: int = 1  # --rounds: which pass over the targets this is

    @property
    def label(self) -> str:
        return self.key if ROUNDS[0] == 1 else f"{self.key} #{self.round}"


ROUNDS = [1]  # set from --rounds; labels carry the round only when there is more than one


def run_scenario(args, tr: TargetRun, scenario: str, stamp: str) -> None:
    raw = WORK / "raw" / stamp
    raw.mkdir(parents=True, exist_ok=True)
    out = raw / f"{tr.key}-{scenario}-{tr.round}.json"
    cmd = [
        sys.executable,
        str(BENCH / "harness.py"),
        "--harness",
        str(PEERS / "bench" / "oauthbench.py"),
        "--target",
        str(tr.target_file),
        "--duration",
        str(args.duration),
        "--connections",
        str(args.connections),
        "--threads",
        str(args.threads),
        "--pid",
        str(tr.server.pid),
        "--out",
        str(out),
        "--work",
        str(WORK / "harness"),
        "--wrk",
        args.wrk,
        "--pause",
        "1",
        "--mint-max-seconds",
        str(args.mint_max_seconds),
    ]
    if tr.db_pid:
        cmd += ["--db-pid", str(tr.db_pid)]
    if scenario in CORE_SCENARIOS:
        cmd += ["--scenarios", scenario]
    else:
        cmd += [
            "--scenarios",
            "me",
            "--set",
            "me=" + json.dumps({"path": tr.extra_paths[scenario]}),
        ]
    log(f"{tr.key} / {scenario}")
    limit = args.duration * 3 + 2 * args.mint_max_seconds + 120
    p = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        so, se = p.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(p.pid, signal.SIGKILL)  # the harness and the wrk it started
        so, se = p.communicate()
        tr.errors[scenario] = f"harness timed out after {limit:.0f}s"
        log(f"  {tr.errors[scenario]}")
        return
    except BaseException:  # Ctrl+C / SIGTERM: take the harness and its wrk down with us
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGKILL)
        p.wait()
        raise
    (raw / f"{tr.key}-{scenario}-{tr.round}.log").write_text(se + so)
    if p.returncode != 0 or not out.exists():
        lines = [x for x in se.strip().splitlines() if x.strip() and not x.startswith(("b'", 'b"'))]
        msg = (lines or ["(no output)"])[-1]
        tr.errors[scenario] = msg[:400]
        log(f"  FAILED: {msg[:400]}")
        if tr.server and tr.server.popen.poll() is not None:
            log(f"  server exited: {tail(tr.server.log_path)}")
        return
    data = json.loads(out.read_text())
    r = data["scenarios"]["me" if scenario not in CORE_SCENARIOS else scenario]
    tr.results[scenario] = compact(scenario, r)
    c = tr.results[scenario]
    log(
        f"  ok/s {c['ok_per_s']}, p50 {c['p50_ms']} ms, p99 {c['p99_ms']} ms, "
        f"non-2xx {c['non_2xx']}, status {c['status']}"
    )


def run_sequential(args, tr: TargetRun) -> None:
    """bench/sequential.py: one request at a time, median latency (+ SQL/request for threelo)."""
    cmd = [
        sys.executable,
        str(BENCH / "sequential.py"),
        "--harness",
        str(PEERS / "bench" / "oauthbench.py"),
        "--target",
        str(tr.target_file),
        "-n",
        str(args.sequential),
        "--json",
    ]
    cmd += [f"--path={k}={v}" for k, v in tr.extra_paths.items()]
    if tr.key.startswith("threelo"):
        cmd += ["--sql-count", str(WORK / "sqlcount" / tr.key)]
    log(f"{tr.key} / sequential ({args.sequential} requests of each kind)")
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        tr.errors["sequential"] = "timed out"
        return
    if p.returncode != 0:
        tr.errors["sequential"] = (p.stderr.strip().splitlines() or ["failed"])[-1][:300]
        log(f"  FAILED: {tr.errors['sequential']}")
        return
    tr.sequential = json.loads(p.stdout)
    log("  " + ", ".join(f"{k} {v['median_ms']} ms" for k, v in tr.sequential.items()))


def sequential_table(runs: list[TargetRun]) -> str:
    kinds = ["authorize", "code", "refresh", "me", "resources", "gateway"]
    rows = [r for r in runs if r.sequential]
    if not rows:
        return ""
    lines = [
        "| target | " + " | ".join(f"{k} ms" for k in kinds) + " |",
        "|---|" + "--:|" * len(kinds),
    ]
    for r in rows:
        cells = []
        for k in kinds:
            v = r.sequential.get(k)
            if not v:
                cells.append("-")
                continue
            sql = f" ({v['sql_per_request']:g} SQL)" if "sql_per_request" in v else ""
            cells.append(f"{v['median_ms']:.2f}{sql}")
        lines.append(f"| {r.key} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def compact(scenario: str, r: dict) -> dict:
    status = {int(k): v for k, v in r.get("status", {}).items()}
    non2xx = sum(
        v
        for k, v in status.items()
        if not (200 <= k < 300) and not (scenario == "e2e" and 300 <= k < 400)
    )
    cpu = r.get("cpu", {})
    busy = cpu.get("server_cores", 0) + cpu.get("db_cores", 0)
    ok = r.get("ok_per_s") or 0
    err = r.get("errors", {})
    return {
        "ok_per_s": ok,
        "wrk_rps": r.get("wrk_rps"),
        "p50_ms": round(r["lat_us"]["p50"] / 1000, 1),
        "p90_ms": round(r["lat_us"]["p90"] / 1000, 1),
        "p99_ms": round(r["lat_us"]["p99"] / 1000, 1),
        "status": {str(k): v for k, v in sorted(status.items())},
        "non_2xx": non2xx,
        "bad": r.get("bad", 0),
        "socket_errors": sum(err.get(k, 0) for k in ("connect", "read", "write", "timeout")),
        "exhausted_threads": r.get("exhausted_threads", 0),
        "server_cores": cpu.get("server_cores"),
        "db_cores": cpu.get("db_cores"),
        "wrk_cores": cpu.get("wrk_cores"),
        "machine_busy_pct": cpu.get("machine_busy_pct"),
        "cpu_ms_per_op": round(1000 * busy / ok, 2) if ok else None,
        # CPU used by processes outside this benchmark (other work on the machine) during the run
        "other_cores": round(
            max(
                0.0,
                cpu.get("machine_busy_pct", 0) / 100 * (os.cpu_count() or 1)
                - busy
                - cpu.get("wrk_cores", 0),
            ),
            2,
        )
        if cpu
        else None,
        "connections": r.get("connections"),
        "cmd": r.get("cmd"),
    }


# ------------------------------------------------------------------------------ threelo
def threelo_env(db_url: str, port: int, workers: int, extra: list[str] | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREELO_")}
    env.update(
        THREELO_DATABASE_URL=db_url,
        THREELO_ISSUER=f"http://127.0.0.1:{port}",
        THREELO_SECRET_KEY=SECRET_KEY,
        THREELO_WORKERS=str(workers),
        # The API face's per-app / per-site limits (defaults 10,000 and 1,000 a minute) would
        # answer 429 within seconds; lift them so throughput is measured (the limiter still runs).
        THREELO_API_RATE_LIMIT_APP="1000000000",
        THREELO_API_RATE_LIMIT_SITE="1000000000",
    )
    for kv in extra or []:
        k, _, v = kv.partition("=")
        env[k] = v
    return env


def cli_json(exe: str, env: dict, *argv: str) -> dict:
    p = sh([exe, *argv, "--json"], env=env, timeout=120)
    return json.loads(p.stdout)


def seed_threelo(exe: str, env: dict) -> dict:
    sh([exe, "db", "upgrade"], env=env, timeout=120)
    acct = cli_json(
        exe,
        env,
        "accounts",
        "create",
        "--email",
        BENCH_EMAIL,
        "--name",
        "Bench User",
        "--password",
        BENCH_PASSWORD,
    )["account_id"]
    site = cli_json(exe, env, "sites", "create", "--name", "Bench Site", "--products", "jira")["id"]
    sh([exe, "sites", "add-member", site, acct], env=env, timeout=120)
    app = cli_json(
        exe,
        env,
        "apps",
        "create",
        "--name",
        "Bench App",
        "--owner",
        acct,
        "--callback-url",
        REDIRECT_URI,
        "--scopes",
        SCOPES,
        "--distribution",
        "sharing",
    )
    return {
        "account_id": acct,
        "cloud_id": site,
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }


def start_threelo(args, key: str, db_url: str, db_pid: int | None) -> TargetRun:
    port = args.port
    if not port_free(port):
        raise RuntimeError(f"port {port} is already in use on 127.0.0.1")
    extra_env = list(args.threelo_env)
    if args.sequential:  # count SQL statements per request (bench/experiments/sitecustomize.py)
        prefix = WORK / "sqlcount" / key
        prefix.parent.mkdir(parents=True, exist_ok=True)
        for old in prefix.parent.glob(f"{key}.*"):
            old.unlink()
        if not any(kv.startswith("PYTHONPATH=") for kv in extra_env):
            extra_env.append(f"PYTHONPATH={BENCH / 'experiments'}")
        extra_env.append(f"BENCH_SQL_COUNT_FILE={prefix}")
    env = threelo_env(db_url, port, args.workers, extra_env)
    seed = seed_threelo(args.threelo, env)
    cfg = json.loads(TARGET_TEMPLATE.read_text())
    cfg["name"] = key
    cfg["base_url"] = f"http://127.0.0.1:{port}"
    cfg["client_id"], cfg["client_secret"] = seed["client_id"], seed["client_secret"]
    cfg["login"]["form"] = {"email": BENCH_EMAIL, "password": BENCH_PASSWORD}
    cfg["consent_form"]["site"] = seed["cloud_id"]
    extra = {
        k: v.replace("{cloud_id}", seed["cloud_id"]) for k, v in cfg.pop("extra_me_paths").items()
    }
    tf = WORK / "targets" / f"{key}.json"
    tf.parent.mkdir(parents=True, exist_ok=True)
    tf.write_text(json.dumps(cfg, indent=1))
    proc = start(
        key, [args.threelo, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=WORK
    )
    tr = TargetRun(
        key,
        tf,
        proc,
        db_pid,
        extra,
        info={
            "database": db_url.split("@")[-1],
            "workers": args.workers,
            "extra_env": args.threelo_env,
            "serve": f"THREELO_WORKERS={args.workers} threelo serve --host 127.0.0.1 --port {port}",
        },
    )
    wait_http(proc, f"http://127.0.0.1:{port}/login")
    warm(f"http://127.0.0.1:{port}/.well-known/oauth-authorization-server")
    return tr


# ------------------------------------------------------------------------------ peers
def start_peer(args, key: str, db_pid: int | None) -> TargetRun:
    venv = PEERS / ".venv" / "bin"
    guni = [
        "-w",
        "4",
        "-k",
        "gthread",
        "--threads",
        "2",
        "--keep-alive",
        "30",
        "--log-level",
        "warning",
    ]
    env = dict(os.environ)
    if key == "op-jwt":
        port, cwd, tfile = 3000, PEERS, PEERS / "targets" / "oidc-provider" / "target.json"
        cmd = ["node", "targets/oidc-provider/server.mjs"]
        env.update(TOKEN_FORMAT="jwt", JWT_ALG="RS256")
        warm_url, db_pid, extra = "/.well-known/openid-configuration", None, {}
    elif key == "authlib":
        port, cwd, tfile = (
            8002,
            PEERS / "targets" / "authlib",
            PEERS / "targets" / "authlib" / "target.json",
        )
        sh([str(venv / "python"), "setup_bench.py", "--reset"], cwd=cwd, timeout=300)
        env.update(AUTHLIB_JWT_ALG="RS256")
        cmd = [str(venv / "gunicorn"), "app:app", "-b", f"127.0.0.1:{port}", *guni]
        warm_url, extra = "/login", {"resources": "/oauth/token/accessible-resources"}
    elif key == "dot":
        port, cwd, tfile = (
            8001,
            PEERS / "targets" / "dot",
            PEERS / "targets" / "dot" / "target.json",
        )
        sh([str(venv / "python"), "setup_bench.py", "--reset"], cwd=cwd, timeout=300)
        cmd = [
            str(venv / "gunicorn"),
            "benchsite.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            *guni,
        ]
        warm_url, extra = "/accounts/login/", {}
    else:
        raise ValueError(key)
    if not port_free(port):
        raise RuntimeError(f"port {port} is already in use on 127.0.0.1")
    proc = start(key, cmd, cwd=cwd, env=env)
    wait_http(proc, f"http://127.0.0.1:{port}{warm_url}")
    warm(f"http://127.0.0.1:{port}{warm_url}")
    name = json.loads(tfile.read_text())["name"]
    return TargetRun(key, tfile, proc, db_pid, extra, info={"name": name, "cmd": " ".join(cmd)})


# ------------------------------------------------------------------------------ report
def ratio(a: dict | None, b: dict | None) -> str:
    if not a or not b or not b.get("ok_per_s"):
        return "-"
    return f"{a['ok_per_s'] / b['ok_per_s']:.2f}x"


def peer_match(peer: TargetRun, scenario: str) -> dict | None:
    """The peer's figure for the same scenario; for resources/gateway its plain /me."""
    return peer.results.get(scenario) or (
        peer.results.get("me") if scenario in ("resources", "gateway") else None
    )


def table(runs: list[TargetRun], scenarios: list[str]) -> str:
    peer_keys = list(dict.fromkeys(r.key for r in runs if r.key in PEER_NAMES))
    head = [
        "target",
        "scenario",
        "ok/s",
        "wrk req/s",
        "p50 ms",
        "p99 ms",
        "non-2xx",
        "sock err",
        "server cores",
        "db cores",
        "other cores",
        "CPU ms/op",
    ] + [f"÷ {k}" for k in peer_keys]
    lines = [
        "| " + " | ".join(head) + " |",
        "|" + "|".join(["---", "---"] + ["--:"] * (len(head) - 2)) + "|",
    ]
    for tr in runs:
        for sc in scenarios:
            r = tr.results.get(sc)
            if r is None:
                if sc in tr.errors:
                    lines.append(
                        f"| {tr.label} | {sc} | FAILED: {tr.errors[sc][:90]} |"
                        + " |" * (len(head) - 3)
                    )
                continue
            cells = [
                tr.label,
                sc,
                f"{r['ok_per_s']:.0f}",
                f"{r['wrk_rps'] or 0:.0f}",
                f"{r['p50_ms']:.1f}",
                f"{r['p99_ms']:.1f}",
                str(r["non_2xx"]),
                str(r["socket_errors"]),
                f"{r['server_cores']:.2f}" if r["server_cores"] is not None else "-",
                f"{r['db_cores']:.2f}" if r["db_cores"] is not None else "-",
                f"{r['other_cores']:.2f}" if r.get("other_cores") is not None else "-",
                f"{r['cpu_ms_per_op']:.2f}" if r["cpu_ms_per_op"] is not None else "-",
            ]
            same_round = {p.key: p for p in runs if p.round == tr.round}
            for k in peer_keys:
                peer = same_round.get(k)
                mine = tr.key.startswith("threelo") and peer is not None
                cells.append(ratio(r, peer_match(peer, sc)) if mine and peer else "")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def bar_check(runs: list[TargetRun]) -> list[str]:
    """threelo ÷ node-oidc-provider per scenario: each round's ratio (threelo and node measured
    in the same round) and, over several rounds, their median, which the verdict uses."""
    out = []
    rounds = sorted({r.round for r in runs})
    for key in ("threelo-sqlite", "threelo-pg"):
        for sc in CORE_SCENARIOS:
            ratios, cpus = [], []
            for n in rounds:
                by = {r.key: r for r in runs if r.round == n}
                tl, op = by.get(key), by.get("op-jwt")
                a = tl.results.get(sc) if tl else None
                b = op.results.get(sc) if op else None
                if a and b and b["ok_per_s"]:
                    ratios.append(a["ok_per_s"] / b["ok_per_s"])
                    if a.get("cpu_ms_per_op") and b.get("cpu_ms_per_op"):
                        cpus.append((a["cpu_ms_per_op"], b["cpu_ms_per_op"]))
            if not ratios:
                continue
            x = statistics.median(ratios)
            cpu = ""
            if cpus:
                mine = statistics.median(c[0] for c in cpus)
                theirs = statistics.median(c[1] for c in cpus)
                cpu = f"; CPU per op {mine:.2f} ms vs {theirs:.2f} ms ({mine / theirs:.1f}x)"
            each = (
                " (rounds: " + ", ".join(f"{r:.2f}x" for r in ratios) + ")"
                if len(ratios) > 1
                else ""
            )
            out.append(
                f"{key} {sc}: {x:.2f}x node-oidc-provider's ok/s{each} -> "
                f"{'meets' if x >= 1 else 'within noise of' if x >= 0.9 else 'below'} "
                f"the 1x bar{cpu}"
            )
    return out


def versions(args) -> dict:
    def out(cmd: list[str]) -> str:
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
            return (
                (p.stdout or p.stderr).strip().splitlines()[0]
                if (p.stdout or p.stderr).strip()
                else ""
            )
        except (OSError, subprocess.TimeoutExpired):
            return ""

    v = {
        "python": platform.python_version(),
        "node": out(["node", "--version"]),
        "wrk": " ".join(out([args.wrk, "--version"]).split()[:2]),
        "threelo_git": out(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]),
        "threelo_tree_changes": len(
            out_all(["git", "-C", str(REPO), "status", "--porcelain"]).splitlines()
        ),
        "nproc": os.cpu_count(),
        "cpu": cpu_model(),
        "kernel": platform.release(),
    }
    return v


def out_all(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.TimeoutExpired):
        return ""


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


# ------------------------------------------------------------------------------ main
def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--duration", type=float, default=10, help="seconds per timed scenario (default 10)"
    )
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument(
        "--only",
        default=",".join(ALL_TARGETS),
        help=f"comma-separated targets out of {','.join(ALL_TARGETS)}",
    )
    ap.add_argument(
        "--scenarios",
        default=",".join(ALL_SCENARIOS),
        help=f"comma-separated, out of {','.join(ALL_SCENARIOS)}",
    )
    ap.add_argument(
        "--workers",
        type=int,
        default=0,
        help="THREELO_WORKERS for threelo serve (default 0: threelo's own choice, two processes "
        "for a SQLite file on two or more cores and one per core for PostgreSQL)",
    )
    ap.add_argument("--port", type=int, default=18000, help="loopback port for threelo")
    default_threelo = (
        shutil.which("threelo", path=str(REPO / ".venv" / "bin"))
        or shutil.which("threelo", path="/work/venv/bin")
        or shutil.which("threelo")
        or "threelo"
    )
    ap.add_argument(
        "--threelo",
        default=default_threelo,
        help="threelo executable (default /work/venv/bin/threelo)",
    )
    ap.add_argument("--peers-src", default=os.environ.get("PEERS_SRC", "/work/shared/peers"))
    ap.add_argument("--mint-max-seconds", type=float, default=40)
    ap.add_argument(
        "--keep-pg", action="store_true", help="leave PostgreSQL running if this run started it"
    )
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="pass over the targets this many times; ratios are taken within a round and the "
        "verdict uses their median (the machine is shared: load from others drifts over minutes)",
    )
    ap.add_argument("--label", default="", help="free text stored with the results")
    ap.add_argument(
        "--sequential",
        type=int,
        default=0,
        metavar="N",
        help="also time N requests of each kind one at a time (bench/sequential.py); "
        "threelo then counts SQL statements per request",
    )
    ap.add_argument(
        "--threelo-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for threelo serve (experiments), repeatable",
    )
    args = ap.parse_args()
    if args.rounds < 1:
        ap.error("--rounds must be 1 or more")
    ROUNDS[0] = args.rounds

    only = [t.strip() for t in args.only.split(",") if t.strip()]
    scenarios = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    for t in only:
        if t not in ALL_TARGETS:
            ap.error(f"unknown target {t!r}")
    for s in scenarios:
        if s not in ALL_SCENARIOS:
            ap.error(f"unknown scenario {s!r}")
    order = [t for t in ALL_TARGETS if t in only]

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    # One run at a time: a second one would drop and recreate the first's PostgreSQL database
    # and share its ports, and both would report failures that are not the servers'.
    lock = open(WORK / "run.lock", "w")  # noqa: SIM115 -- held until the process exits
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print("another bench/run.py is running on this checkout; wait for it", file=sys.stderr)
        return 2

    def on_signal(signum, _frame):
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, on_signal)

    pg = Postgres()
    runs: list[TargetRun] = []
    t0 = time.monotonic()
    git_at_start = out_all(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"]).strip()
    try:
        args.wrk = ensure_wrk()
        ensure_peer_kit(
            Path(args.peers_src),
            need_venv=any(t in order for t in ("authlib", "dot")),
            need_node="op-jwt" in order,
        )
        pg_pid = pg.up() if any(t in order for t in ("threelo-pg", "authlib", "dot")) else None
        passes = [(n, key) for n in range(1, args.rounds + 1) for key in order]
        for round_no, key in passes:
            log(f"=== {key}" + (f" (round {round_no} of {args.rounds})" if args.rounds > 1 else ""))
            try:
                if key == "threelo-sqlite":
                    d = WORK / "threelo-sqlite"
                    shutil.rmtree(d, ignore_errors=True)
                    d.mkdir(parents=True)
                    tr = start_threelo(args, key, f"sqlite:///{d / 'threelo.db'}", None)
                elif key == "threelo-pg":
                    tr = start_threelo(args, key, pg.fresh_db(PG_DB), pg_pid)
                else:
                    tr = start_peer(args, key, pg_pid if key in ("authlib", "dot") else None)
            except Exception as exc:  # a target that cannot start is reported, the others still run
                tr = TargetRun(key, Path("-"), round=round_no)
                tr.errors = {s: f"could not start: {exc}" for s in scenarios}
                log(f"  {key} could not start: {exc}")
                runs.append(tr)
                stop_all()
                continue
            tr.round = round_no
            runs.append(tr)
            try:
                for sc in scenarios:
                    if sc in CORE_SCENARIOS or sc in tr.extra_paths:
                        run_scenario(args, tr, sc, stamp)
                        if tr.server.popen.poll() is not None:
                            log(f"  {key} server died: {tail(tr.server.log_path)}")
                            break
                if args.sequential and tr.server.popen.poll() is None:
                    run_sequential(args, tr)
            finally:
                stop(tr.server)
                time.sleep(2)
    except KeyboardInterrupt:
        log("interrupted: stopping what this run started")
    finally:
        stop_all()
        if not args.keep_pg:
            pg.down()

    tbl = table(runs, scenarios)
    bar = bar_check(runs)
    ver = versions(args)
    if git_at_start and git_at_start != ver["threelo_git"]:  # others committed during the run
        ver["threelo_git"] = f"{git_at_start}..{ver['threelo_git']}"
    summary = {
        "when": stamp,
        "label": args.label,
        "elapsed_s": round(time.monotonic() - t0),
        "params": {
            "duration_s": args.duration,
            "connections": args.connections,
            "wrk_threads": args.threads,
            "threelo_workers": args.workers,
            "targets": order,
            "scenarios": scenarios,
            "rounds": args.rounds,
        },
        "host": ver,
        "targets": {
            r.label: {
                "info": r.info,
                "results": r.results,
                "errors": r.errors,
                "sequential": r.sequential,
            }
            for r in runs
        },
        "bar": bar,
    }
    (RESULTS / f"{stamp}.json").write_text(json.dumps(summary, indent=1) + "\n")
    md = [
        f"# Benchmark run {stamp}",
        "",
        f"{ver['nproc']} cores ({ver['cpu']}), Python {ver['python']}, Node {ver['node']}, "
        f"{ver['wrk']}; "
        f"threelo {ver['threelo_git']} (+{ver['threelo_tree_changes']} uncommitted paths), "
        f"THREELO_WORKERS={args.workers}.  wrk -t{args.threads} -c{args.connections}, "
        f"{args.duration:g} s per scenario, all on 127.0.0.1.  Command: `python3 bench/run.py "
        f"--duration {args.duration:g} --connections {args.connections} --workers {args.workers} "
        + (f"--rounds {args.rounds} " if args.rounds > 1 else "")
        + f"--only {','.join(order)}"
        + (f" --sequential {args.sequential}" if args.sequential else "")
        + "".join(f" --threelo-env {kv}" for kv in args.threelo_env)
        + "`"
        + (f"  ({args.label})" if args.label else ""),
        "",
        tbl,
        "",
        "`÷ peer` = threelo ok/s ÷ that peer's ok/s in this run (resources/gateway: ÷ the peer's "
        "/oauth/token/accessible-resources if it has one, else its /me).  non-2xx excludes the "
        "expected 302s of e2e.  other cores = CPU used during the run by processes outside the "
        "benchmark (the machine is shared); CPU ms/op = (server + db cores) ÷ ok/s.",
        "",
    ]
    if bar:
        md += ["Bar (threelo ≥ 1x node-oidc-provider):", ""] + [f"* {b}" for b in bar] + [""]
    seq = sequential_table(runs)
    if seq:
        md += [
            f"One request at a time ({args.sequential} of each kind, one connection), "
            "median ms (SQL statements per request):",
            "",
            seq,
            "",
        ]
    (RESULTS / f"{stamp}.md").write_text("\n".join(md))
    print(tbl)
    if seq:
        print("\none request at a time, median ms:\n" + seq)
    if bar:
        print()
        print("\n".join(bar))
    print(f"\nresults: {RESULTS / (stamp + '.json')} and .md ({summary['elapsed_s']} s)")
    return 0 if runs and not any(r.errors for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
