"""Fixtures of the end-to-end suite: a seeded threelo, in-process or as a real process, and the
Incidents example app in front of it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from examples.incidents_app import Settings as IncidentsSettings
from examples.incidents_app import create_app as create_incidents_app
from examples.incidents_app.state import AppState
from threelo.core.ports import Store
from threelo.settings import Settings
from threelo.storage import open_store
from threelo.web.app import create_app

from .harness import (
    IN_PROCESS_CALLBACK,
    AsyncRecordingTransport,
    LureSite,
    Recorder,
    Seed,
    ServerThread,
    ThreeLOProcess,
    copy_database,
    free_port,
    seed_directory,
)

ISSUER = "http://threelo.test"  # in-process threelo: reached only through ASGITransport


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@dataclass(frozen=True)
class Ports:
    safe_app: int
    unsafe_app: int


@pytest.fixture(scope="session")
def ports() -> Ports:
    """The Incidents app's ports, fixed for the session: their callbacks are registered."""
    return Ports(free_port(), free_port())


@dataclass(frozen=True)
class Template:
    path: Path
    seed: Seed


@pytest.fixture(scope="session")
def template(tmp_path_factory: pytest.TempPathFactory, ports: Ports) -> Template:
    """A seeded, migrated SQLite file, copied for every threelo the tests start."""
    path = tmp_path_factory.mktemp("e2e-template") / "threelo.db"
    callbacks = [
        IN_PROCESS_CALLBACK,
        f"http://127.0.0.1:{ports.safe_app}/callback",
        f"http://127.0.0.1:{ports.unsafe_app}/callback",
    ]
    return Template(path, seed_directory(f"sqlite:///{path}", callbacks))


# --- threelo in-process ---------------------------------------------------------------------


@dataclass
class InProcess:
    """threelo's ASGI app on its own copy of the seeded database."""

    seed: Seed
    app: Starlette
    store: Store
    database_url: str

    def transport(self) -> httpx.ASGITransport:
        return httpx.ASGITransport(app=self.app)


@pytest.fixture
def threelo(template: Template, tmp_path: Path) -> Iterator[InProcess]:
    database_url = copy_database(template.path, tmp_path / "threelo.db")
    store = open_store(database_url, migrate=False)
    settings = Settings(database_url=database_url, issuer=ISSUER)
    try:
        yield InProcess(template.seed, create_app(settings, store=store), store, database_url)
    finally:
        store.close()


# --- threelo as a real process ----------------------------------------------------------------


@dataclass
class RealThreeLO:
    seed: Seed
    process: ThreeLOProcess

    @property
    def url(self) -> str:
        return self.process.url

    @property
    def database_url(self) -> str:
        return self.process.database_url


@pytest.fixture(scope="session")
def real_threelo(
    template: Template, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RealThreeLO]:
    """``threelo serve`` on 127.0.0.1 with its own SQLite file, for the whole session."""
    directory = tmp_path_factory.mktemp("e2e-server")
    database_url = copy_database(template.path, directory / "threelo.db")
    process = ThreeLOProcess(database_url, directory / "threelo.log")
    try:
        yield RealThreeLO(template.seed, process)
    finally:
        process.stop()


# --- the Incidents app on a real port ---------------------------------------------------------


@dataclass
class RunningIncidents:
    url: str
    recorder: Recorder  # every request the app sent to threelo
    state: AppState
    unsafe: bool

    def token_requests(self) -> int:
        return len(self.recorder.token_requests())


@pytest.fixture
def incidents(real_threelo: RealThreeLO, ports: Ports) -> Iterator[Callable[..., RunningIncidents]]:
    """``incidents(unsafe=False)``: a fresh Incidents app under uvicorn, pointed at threelo."""
    started: list[ServerThread] = []

    def start(*, unsafe: bool = False) -> RunningIncidents:
        port = ports.unsafe_app if unsafe else ports.safe_app
        recorder = Recorder()
        http = httpx.AsyncClient(
            transport=AsyncRecordingTransport(httpx.AsyncHTTPTransport(), recorder), timeout=10
        )
        seed = real_threelo.seed
        app = create_incidents_app(
            IncidentsSettings(
                client_id=seed.incidents_client_id,
                client_secret=seed.incidents_secret,
                threelo_url=real_threelo.url,
                public_url=f"http://127.0.0.1:{port}",
                unsafe_skip_state_check=unsafe,
                http_client=http,
            )
        )
        server = ServerThread(app, port, on_shutdown=[http.aclose])
        started.append(server)
        return RunningIncidents(server.url, recorder, app.state.incidents, unsafe)

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def lure_site() -> Iterator[LureSite]:
    site = LureSite()
    yield site
    site.stop()


@pytest.fixture
def new_context(browser: Any) -> Iterator[Callable[[], Any]]:
    """Fresh browser profiles (cookie jars), closed after the test."""
    made: list[Any] = []

    def make(**options: Any) -> Any:
        context = browser.new_context(**options)
        context.set_default_timeout(10_000)
        made.append(context)
        return context

    yield make
    for context in made:
        context.close()


# --- the Incidents app in-process (over ASGITransport) ----------------------------------------


@dataclass
class InProcessIncidents:
    app: Starlette
    recorder: Recorder
    http: httpx.AsyncClient

    @property
    def state(self) -> AppState:
        state: AppState = self.app.state.incidents
        return state


@pytest.fixture
async def incidents_in_process(threelo: InProcess) -> AsyncIterator[InProcessIncidents]:
    recorder = Recorder()
    http = httpx.AsyncClient(transport=AsyncRecordingTransport(threelo.transport(), recorder))
    app = create_incidents_app(
        IncidentsSettings(
            client_id=threelo.seed.incidents_client_id,
            client_secret=threelo.seed.incidents_secret,
            threelo_url=ISSUER,
            public_url=IN_PROCESS_CALLBACK.rsplit("/", 1)[0],
            http_client=http,
        )
    )
    yield InProcessIncidents(app, recorder, http)
    await http.aclose()
