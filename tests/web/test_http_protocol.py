"""Each response goes to the socket in one write, and nothing is lost or reordered on the way
(web/http_protocol.py)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from tests.processes import free_port
from threelo.web.http_protocol import FLUSH_AT, HeldTransport
from threelo.web.server import HTTP_PROTOCOL


class _Recording:
    """Stands in for a socket transport: records each write and whether it was closed."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = False
        self.aborted = False

    def write(self, data: bytes) -> None:
        assert not self.closed, "written after close"
        self.writes.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 7


async def _turn() -> None:
    await asyncio.sleep(0)
    await asyncio.sleep(0)


def _held(recording: _Recording) -> HeldTransport:
    return HeldTransport(recording, asyncio.get_running_loop())  # type: ignore[arg-type]


@pytest.mark.asyncio
async def test_a_head_and_body_written_in_one_step_reach_the_socket_as_one_write() -> None:
    rec = _Recording()
    t = _held(rec)
    t.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n")
    t.write(b"{}")
    assert rec.writes == []  # held until the loop's next turn
    await _turn()
    assert rec.writes == [b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"]
    t.write(b"next")
    await _turn()
    assert rec.writes[1:] == [b"next"]


@pytest.mark.asyncio
async def test_close_writes_what_is_held_before_closing() -> None:
    rec = _Recording()
    t = _held(rec)
    t.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
    t.close()
    assert rec.writes == [b"HTTP/1.1 400 Bad Request\r\n\r\n"] and rec.closed
    await _turn()  # the scheduled flush finds nothing left and writes nothing after close
    assert len(rec.writes) == 1


@pytest.mark.asyncio
async def test_a_large_body_goes_out_at_once_instead_of_piling_up() -> None:
    rec = _Recording()
    t = _held(rec)
    t.write(b"h" * 100)
    t.write(b"b" * FLUSH_AT)
    assert rec.writes == [b"h" * 100 + b"b" * FLUSH_AT]
    await _turn()
    assert len(rec.writes) == 1


@pytest.mark.asyncio
async def test_empty_writes_are_ignored_and_other_calls_reach_the_real_transport() -> None:
    rec = _Recording()
    t = _held(rec)
    t.write(b"")
    await _turn()
    assert rec.writes == []
    assert t.get_write_buffer_size() == 7
    t.abort()
    assert rec.aborted


@pytest.mark.asyncio
async def test_writes_held_when_the_peer_went_away_are_dropped_not_raised() -> None:
    rec = _Recording()
    t = _held(rec)
    t.write(b"late")
    rec.closed = True  # the connection was lost before the loop's next turn
    await _turn()
    assert rec.writes == []


# Through a real uvicorn server with the protocol `threelo serve` uses.

STREAM_CHUNKS = 64  # x 16 KiB = 1 MiB in one streamed response


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    path = scope["path"]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for i in range(STREAM_CHUNKS):
            chunk = bytes([65 + i % 26]) * 16384
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
    body = path.encode()
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="module")
def served() -> Iterator[int]:
    port = free_port()
    config = uvicorn.Config(_app, host="127.0.0.1", port=port, log_level="error",
                            lifespan="off", http=HTTP_PROTOCOL)  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def _read_until_closed(sock: socket.socket) -> bytes:
    sock.settimeout(10)
    data = bytearray()
    while chunk := sock.recv(65536):
        data += chunk
    return bytes(data)


def test_pipelined_requests_on_one_connection_are_answered_in_order(served: int) -> None:
    paths = [f"/r{i}" for i in range(40)]
    wire = "".join(f"GET {p} HTTP/1.1\r\nhost: x\r\n\r\n" for p in paths)
    wire += "GET /last HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(wire.encode())
        data = _read_until_closed(sock)
    bodies = [part.split(b"\r\n\r\n", 1)[1] for part in data.split(b"HTTP/1.1 200 OK")[1:]]
    assert bodies == [p.encode() for p in paths] + [b"/last"]


def test_a_streamed_megabyte_arrives_whole_and_in_order(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(b"GET /stream HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        data = _read_until_closed(sock)
    head, _, chunked = data.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" in head.lower()
    body = bytearray()
    while True:
        size_line, _, chunked = chunked.partition(b"\r\n")
        size = int(size_line, 16)
        if size == 0:
            break
        body += chunked[:size]
        chunked = chunked[size + 2 :]
    assert bytes(body) == b"".join(bytes([65 + i % 26]) * 16384 for i in range(STREAM_CHUNKS))
