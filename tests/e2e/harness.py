"""The pieces the end-to-end tests are built from.

- ``seed_directory``: accounts, sites and apps written with threelo's own directory functions
  into a fresh SQLite database (the same code the ``threelo`` command line runs).
- ``ThreeLOProcess``: ``threelo serve`` as a real subprocess on 127.0.0.1, stopped by PID.
- ``ServerThread``: any ASGI app (the Incidents example) under uvicorn in a thread.
- ``LureSite``: the attacker's pages on 127.0.0.2 (another site), logging every request.
- ``ConsentDriver`` / ``AsyncConsentDriver``: a person at threelo's login and consent pages,
  driven over HTTP exactly as a browser submits the forms (used where no browser is needed).
- ``Recorder`` transports: every request an SDK or app sends, to count token requests.

Nothing here imitates threelo: every answer comes from the real server.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urljoin, urlsplit

import httpx
import uvicorn

from tests.processes import free_port
from threelo.core import directory
from threelo.storage import open_store

ROOT = Path(__file__).resolve().parents[2]

# Incidents asks for these (offline_access needs no registration on the app: CONTRACT §4.1).
APP_SCOPES = ("read:me", "read:jira-work", "write:jira-work")
SDK_SCOPES = ("read:me", "read:jira-work", "write:jira-work", "offline_access")
IN_PROCESS_CALLBACK = "http://127.0.0.1:8100/callback"  # never fetched: tests read Location
READER_CALLBACK = "http://127.0.0.1:9/callback"


@dataclass(frozen=True)
class Person:
    email: str
    password: str
    name: str
    account_id: str


@dataclass(frozen=True)
class Seed:
    """What ``seed_directory`` wrote: ids and secrets the tests need."""

    edward: Person
    mallory: Person
    alice: Person
    acme: str  # cloud id of edward's site
    mallory_labs: str  # cloud id of mallory's site
    incidents_client_id: str
    incidents_secret: str
    reader_client_id: str  # an app mallory registered for herself
    reader_secret: str
    callbacks: tuple[str, ...]


def seed_directory(database_url: str, callbacks: Sequence[str]) -> Seed:
    """Migrate ``database_url`` and write the people, sites and apps of every scenario."""
    store = open_store(database_url)
    try:
        people = {}
        for key, email, name in (
            ("edward", "edward@example.com", "Edward Example"),
            ("mallory", "mallory@example.com", "Mallory Example"),
            ("alice", "alice@example.com", "Alice Admin"),
        ):
            password = f"{key}-demo"
            account = directory.create_account(store, email, name, password)
            people[key] = Person(email, password, name, account.account_id)
        acme = directory.create_site(store, "Acme", ["jira"])
        labs = directory.create_site(store, "Mallory Labs", ["jira"])
        directory.add_member(store, acme.cloud_id, people["edward"].account_id)
        directory.add_member(store, acme.cloud_id, people["alice"].account_id, admin=True)
        directory.add_member(store, labs.cloud_id, people["mallory"].account_id, admin=True)
        incidents, incidents_secret = directory.create_app(
            store, "Incidents", people["alice"].account_id, callbacks, APP_SCOPES,
            distribution="sharing",
        )  # fmt: skip
        reader, reader_secret = directory.create_app(
            store, "Mallory's reader", people["mallory"].account_id, [READER_CALLBACK],
            ("read:me", "read:jira-work"),
        )  # fmt: skip
    finally:
        store.close()  # the last connection checkpoints the WAL: the file can be copied
    assert incidents_secret is not None and reader_secret is not None
    return Seed(
        edward=people["edward"],
        mallory=people["mallory"],
        alice=people["alice"],
        acme=acme.cloud_id,
        mallory_labs=labs.cloud_id,
        incidents_client_id=incidents.client_id,
        incidents_secret=incidents_secret,
        reader_client_id=reader.client_id,
        reader_secret=reader_secret,
        callbacks=tuple(callbacks),
    )


def copy_database(template: Path, target: Path) -> str:
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.05)


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THREELO_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def threelo_cli(database_url: str, *args: str, timeout: float = 30.0) -> dict[str, Any]:
    """Run the ``threelo`` command line (``--json``) against ``database_url``."""
    done = subprocess.run(
        [sys.executable, "-m", "threelo.cli", "--database-url", database_url, "--json", *args],
        capture_output=True, text=True, timeout=timeout, env=clean_env(), cwd=ROOT, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"threelo {' '.join(args[:2])} failed: {done.stderr.strip()}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# --- real server processes ------------------------------------------------------------------


class ThreeLOProcess:
    """``threelo serve`` on 127.0.0.1 in a subprocess of its own; stopped by its PID."""

    def __init__(self, database_url: str, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self._log = log_path.open("wb")
        env = clean_env()
        env["THREELO_SECRET_KEY"] = "e2e-" + "k" * 40
        self.process = subprocess.Popen(
            [sys.executable, "-m", "threelo.cli", "--database-url", database_url,
             "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=self._log, stderr=subprocess.STDOUT, env=env, cwd=ROOT,
        )  # fmt: skip
        self.log_path = log_path
        try:
            wait_until(self._ready, 30, f"threelo on {self.url}")
        except BaseException:
            self.stop()
            raise

    def _ready(self) -> bool:
        if self.process.poll() is not None:
            raise RuntimeError(f"threelo exited early:\n{self.log_path.read_text()[-2000:]}")
        try:
            response = httpx.get(f"{self.url}/.well-known/oauth-authorization-server", timeout=1)
        except httpx.TransportError:
            return False
        return response.status_code == 200

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()  # this very PID, nothing else
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._log.close()


class ServerThread:
    """An ASGI app under uvicorn, in a thread with its own event loop, on ``host:port``.

    ``on_shutdown`` coroutines run in that loop after the server stops (closing the app's
    ``httpx.AsyncClient`` where it was used).
    """

    def __init__(
        self,
        app: Any,
        port: int,
        host: str = "127.0.0.1",
        on_shutdown: Sequence[Callable[[], Any]] = (),
    ) -> None:
        self.url = f"http://{host}:{port}"
        config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
        self.server = uvicorn.Server(config)
        self._on_shutdown = on_shutdown
        self._error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name=f"uvicorn-{port}", daemon=True)
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), 15, self.url)
        if not self.server.started:
            raise RuntimeError(f"server on {self.url} did not start: {self._error!r}")

    def _run(self) -> None:
        async def main() -> None:
            try:
                await self.server.serve()
            finally:
                for close in self._on_shutdown:
                    await close()

        try:
            asyncio.run(main())
        except BaseException as exc:  # reported by the constructor or stop()
            self._error = exc

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


@dataclass
class LoggedRequest:
    path: str
    referer: str | None


class LureSite:
    """The attacker's site on 127.0.0.2: pages the test sets, and a log of every request."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.log: list[LoggedRequest] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.log.append(LoggedRequest(self.path, self.headers.get("Referer")))
                path = urlsplit(self.path).path
                if path.startswith("/pixel"):
                    body, kind = PIXEL, "image/gif"
                else:
                    body, kind = site.pages.get(path, "").encode(), "text/html; charset=utf-8"
                self.send_response(200 if body else 404)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        port = free_port("127.0.0.2")
        self.url = f"http://127.0.0.2:{port}"
        self.httpd = ThreadingHTTPServer(("127.0.0.2", port), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)


# --- recording what clients send ------------------------------------------------------------


@dataclass(frozen=True)
class Sent:
    method: str
    url: str
    grant_type: str | None
    bearer: str | None

    @property
    def path(self) -> str:
        return urlsplit(self.url).path


def _describe(request: httpx.Request) -> Sent:
    grant_type = None
    if urlsplit(str(request.url)).path.endswith("/oauth/token"):
        body = request.content.decode("utf-8", "replace")
        if "json" in request.headers.get("content-type", ""):
            grant_type = json.loads(body).get("grant_type")
        else:
            found = parse_qs(body).get("grant_type")
            grant_type = found[0] if found else None
    auth = request.headers.get("authorization", "")
    bearer = auth[len("Bearer ") :] if auth.startswith("Bearer ") else None
    return Sent(request.method, str(request.url), grant_type, bearer)


@dataclass
class Recorder:
    """Every request a client sent, in order; ``events`` is shared with a recording token store."""

    events: list[tuple[str, Any]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, request: httpx.Request) -> None:
        with self._lock:
            self.events.append(("sent", _describe(request)))

    def note(self, kind: str, value: Any) -> None:
        with self._lock:
            self.events.append((kind, value))

    @property
    def sent(self) -> list[Sent]:
        with self._lock:
            return [value for kind, value in self.events if kind == "sent"]

    def token_requests(self, grant_type: str | None = None) -> list[Sent]:
        return [
            s
            for s in self.sent
            if s.path.endswith("/oauth/token") and grant_type in (None, s.grant_type)
        ]


class RecordingTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, recorder: Recorder) -> None:
        self.inner, self.recorder = inner, recorder

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.record(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class AsyncRecordingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, recorder: Recorder) -> None:
        self.inner, self.recorder = inner, recorder

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.recorder.record(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


# --- a person at threelo's pages, over HTTP -------------------------------------------------


@dataclass
class Form:
    action: str
    method: str
    fields: list[tuple[str, str]]  # hidden and text inputs with a name
    checkboxes: list[tuple[str, str, bool]]  # (name, value, checked)
    buttons: list[tuple[str, str]]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.forms.append(Form(a.get("action", ""), a.get("method", "get").lower(), [], [], []))
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                self.forms[-1].checkboxes.append((a["name"], a.get("value", "on"), "checked" in a))
            elif kind in ("submit", "button"):
                self.forms[-1].buttons.append((a["name"], a.get("value", "")))
            else:
                self.forms[-1].fields.append((a["name"], a.get("value", "")))
        elif tag == "button" and a.get("name"):
            self.forms[-1].buttons.append((a["name"], a.get("value", "")))


def form_with_action(html: str, action: str) -> Form:
    parser = _Forms()
    parser.feed(html)
    found = [f for f in parser.forms if f.action == action]
    assert len(found) == 1, f"expected one form posting to {action}, found {len(found)}"
    return found[0]


def query_of(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query, keep_blank_values=True)


def _consent_submission(
    form: Form, decision: str, sites: Sequence[str] | None
) -> list[tuple[str, str]]:
    assert form.method == "post" and ("decision", decision) in form.buttons, form
    chosen = [v for _, v, checked in form.checkboxes if checked] if sites is None else sites
    return [*form.fields, *(("site", s) for s in chosen), ("decision", decision)]


def _login_submission(form: Form, person: Person) -> list[tuple[str, str]]:
    fields = [(k, v) for k, v in form.fields if k not in ("email", "password")]
    return [*fields, ("email", person.email), ("password", person.password)]


def form_body(fields: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """``httpx`` keyword arguments posting ``fields`` (repeats kept) as a browser would."""
    return {
        "content": urlencode(list(fields)).encode(),
        "headers": {"Content-Type": "application/x-www-form-urlencoded"},
    }


class ConsentDriver:
    """One person's cookie jar at threelo, driving the real pages with ``httpx.Client``."""

    def __init__(self, base_url: str, transport: httpx.BaseTransport | None = None) -> None:
        self.base_url = base_url
        self.http = httpx.Client(base_url=base_url, transport=transport, timeout=10)

    def sign_in(self, person: Person) -> None:
        page = self.http.get("/login")
        form = form_with_action(page.text, "/login")
        response = self.http.post("/login", **form_body(_login_submission(form, person)))
        assert response.status_code == 303, response.text

    def consent(
        self, authorization_url: str, decision: str = "allow", sites: Sequence[str] | None = None
    ) -> str:
        """The callback URL threelo redirects to after ``decision`` (never loaded)."""
        page = self.http.get(authorization_url)
        if page.status_code in (302, 303):
            return page.headers["location"]  # remembered consent, or an error response
        assert page.status_code == 200, page.text
        form = form_with_action(page.text, "/authorize/consent")
        answer = self.http.post(
            form.action, **form_body(_consent_submission(form, decision, sites))
        )
        assert answer.status_code in (302, 303), answer.text
        return urljoin(self.base_url, answer.headers["location"])

    def close(self) -> None:
        self.http.close()


class AsyncConsentDriver:
    """The same person, over ``httpx.AsyncClient`` (for threelo running in-process)."""

    def __init__(self, base_url: str, transport: httpx.AsyncBaseTransport) -> None:
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=10)

    async def sign_in(self, person: Person) -> None:
        page = await self.http.get("/login")
        form = form_with_action(page.text, "/login")
        response = await self.http.post("/login", **form_body(_login_submission(form, person)))
        assert response.status_code == 303, response.text

    async def consent(
        self, authorization_url: str, decision: str = "allow", sites: Sequence[str] | None = None
    ) -> str:
        page = await self.http.get(authorization_url)
        if page.status_code in (302, 303):
            return page.headers["location"]
        assert page.status_code == 200, page.text
        form = form_with_action(page.text, "/authorize/consent")
        answer = await self.http.post(
            form.action, **form_body(_consent_submission(form, decision, sites))
        )
        assert answer.status_code in (302, 303), answer.text
        return urljoin(self.base_url, answer.headers["location"])

    async def aclose(self) -> None:
        await self.http.aclose()


def without_params(url: str, *names: str) -> str:
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p.split("=", 1)[0] not in names]
    return parts._replace(query="&".join(kept)).geturl()


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    kept = [p for p in parts.query.split("&") if p.split("=", 1)[0] != name]
    kept.append(f"{name}={quote(value, safe='')}")
    return parts._replace(query="&".join(kept)).geturl()
