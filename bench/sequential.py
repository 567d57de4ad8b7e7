#!/usr/bin/env python3
"""One request at a time: median latency of each request kind, and SQL statements per request.

No concurrency, one keep-alive connection, so the figures are per-request cost without queueing
(plus ~0.2 ms of this Python client). Uses the peer kit's harness for login/consent/token calls.

    python3 bench/sequential.py --harness bench/work/peers/bench/oauthbench.py \
        --target bench/work/targets/threelo-sqlite.json -n 300 \
        [--path resources=/oauth/token/accessible-resources] [--sql-count /tmp/prefix] [--json]

--sql-count reads the totals written by bench/experiments/sitecustomize.py in the server
(BENCH_SQL_COUNT_FILE=<prefix>).
"""

from __future__ import annotations

import argparse
import glob
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--harness", required=True, help="path to the peer kit's bench/oauthbench.py")
    ap.add_argument("--target", required=True)
    ap.add_argument("-n", type=int, default=300, help="requests of each kind")
    ap.add_argument(
        "--path",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help="another Bearer-protected GET to time, like /me",
    )
    ap.add_argument("--sql-count", help="prefix of the server's SQL statement counter files")
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    a = ap.parse_args()
    ob = harness.load(Path(a.harness))
    t = ob.Target(a.target)

    def sql_total() -> int:
        if not a.sql_count:
            return 0
        time.sleep(0.5)  # the counter is flushed every 0.2 s
        return sum(int(Path(p).read_text() or 0) for p in glob.glob(a.sql_count + ".*"))

    results: dict[str, dict] = {}

    def timed(name: str, calls) -> list:  # type: ignore[no-untyped-def]
        before, lat, out = sql_total(), [], []
        for call in calls:
            start = time.perf_counter()
            out.append(call())
            lat.append(time.perf_counter() - start)
        lat.sort()
        results[name] = {
            "median_ms": round(1000 * statistics.median(lat), 2),
            "p90_ms": round(1000 * lat[int(0.9 * len(lat))], 2),
        }
        if a.sql_count:
            results[name]["sql_per_request"] = round((sql_total() - before) / len(lat), 1)
        return out

    client, _ = ob.login_and_authorize(t)
    codes = timed("authorize", [lambda: ob.get_code(t, client)] * a.n)
    toks = timed("code", [lambda c=c: ob.token_call(t, client, t.code_params(c)) for c in codes])
    chain = [toks[0].get("refresh_token")]

    def refresh() -> dict:
        r = ob.token_call(t, client, t.refresh_params(chain[0]))
        chain[0] = r["refresh_token"]
        return r

    if chain[0]:
        timed("refresh", [refresh] * a.n)
    at = toks[-1]["access_token"]
    paths = {"me": t.me["path"]} if t.me else {}
    paths.update(kv.split("=", 1) for kv in a.path)
    for name, path in paths.items():
        t.me = {"path": path}

        def call(path: str = path) -> int:
            status, body = ob.me_call(t, client, at)
            if status != 200:
                raise SystemExit(f"{path}: {status} {body[:200]!r}")
            return status

        timed(name, [call] * a.n)
    if a.json:
        print(json.dumps(results))
        return
    for name, r in results.items():
        sql = f"  SQL/request {r['sql_per_request']}" if "sql_per_request" in r else ""
        print(f"{name:10s} median {r['median_ms']:6.2f} ms  p90 {r['p90_ms']:6.2f} ms{sql}")


if __name__ == "__main__":
    main()
