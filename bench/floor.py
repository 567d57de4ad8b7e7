#!/usr/bin/env python3
"""The trivial-ASGI floor on this machine: what uvicorn answers when the app does nothing.

    python3 bench/floor.py [--duration 8] [--connections 32] [--workers 2]

Serves an app that answers every request with a fixed 2-byte JSON body, under uvicorn with
uvloop and httptools, first with uvicorn's own HTTP protocol and then with threelo's one-write
protocol (``threelo/web/http_protocol.py``), each with ``--workers`` processes on 127.0.0.1,
and loads each with wrk for ``--duration`` seconds. Prints one line per protocol with the
requests per second; threelo's ``/me`` figure from ``bench/run.py`` is read against these
(docs/performance.md, "The moonshot"). Every process it starts is stopped by its PID.
"""

# ruff: noqa: S603  (fixed command lines)
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PORT = 18090
BODY = b"{}"


async def app(scope: dict, receive: object, send: object) -> None:  # the trivial app
    if scope["type"] != "http":
        return
    await send(  # type: ignore[operator]
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": BODY})  # type: ignore[operator]


def _wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("uvicorn exited before listening")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listening on {port} after {timeout:.0f}s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def measure(protocol: str, args: argparse.Namespace, wrk: str) -> float:
    cmd = [
        sys.executable, "-m", "uvicorn", "bench.floor:app", "--host", "127.0.0.1",
        "--port", str(PORT), "--workers", str(args.workers), "--loop", "uvloop",
        "--http", protocol, "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(cmd, cwd=ROOT, start_new_session=True)
    try:
        _wait_listening(PORT, server)
        time.sleep(1)  # every worker up
        out = subprocess.run(
            [wrk, "-t2", f"-c{args.connections}", f"-d{args.duration}s",
             f"http://127.0.0.1:{PORT}/"],
            capture_output=True, text=True, timeout=args.duration + 60, check=True,
        ).stdout  # fmt: skip
    finally:
        _stop(server)
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not found or re.search(r"Non-2xx", out):
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    return float(found.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk is needed: apt-get install -y wrk", file=sys.stderr)
        return 2
    protocols = {
        "uvicorn httptools": "httptools",
        "threelo one-write": "threelo.web.http_protocol:CoalescingHttpToolsProtocol",
    }
    for label, protocol in protocols.items():
        rate = measure(protocol, args, wrk)
        print(f"trivial ASGI app, {args.workers} workers, {label:18}: {rate:9.0f} req/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
