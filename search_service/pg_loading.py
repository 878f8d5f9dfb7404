"""Load the searcher from PostgreSQL and follow its `rtes_current` pointer.

The counterpart of `search_service.loading.load_searcher` for `RTES_BACKEND=postgres`:
the version `rtes_current` names is read whole (`indexer.pg_open`), and the searcher's
candidates come from the database (`PostgresStorage`). Imported only for that backend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from indexer.embed import Embedder
from indexer.errors import IndexLoadError
from indexer.pg_open import PG_ROOT, PgVersion, current_name, open_pg_version
from indexer.search_config import RetrievalConfig
from search_service.lexicon import load_lexicon
from search_service.loading import limit_search_threads, searcher_for
from search_service.pg_storage import Database, PostgresStorage
from search_service.retrieval import Searcher
from search_service.storage import StorageUnavailable

_databases: dict[tuple[str, int, int], Database] = {}


def database_for(url: str, timeout_ms: int = 2000, size: int = 4) -> Database:
    """One pool per database and process, shared by every version loaded from it."""
    key = (url, timeout_ms, size)
    if key not in _databases:
        _databases[key] = Database(url, timeout_ms, size)
    return _databases[key]


def current_version(database: Database) -> Path | None:
    """Where `rtes_current` points, as a path under `/postgres` (None: nothing published,
    or the database is down: the live version keeps serving)."""
    try:
        name = database.run(current_name)
    except StorageUnavailable:
        return None
    return PG_ROOT / name if name else None


def _read(database: Database) -> PgVersion:
    def work(conn: Any) -> PgVersion:
        with conn.transaction():
            conn.execute("SET LOCAL statement_timeout = 0")  # a whole version, at load only
            name = current_name(conn)
            if name is None:
                raise IndexLoadError(PG_ROOT, "no version published yet: run `python -m "
                                              "indexer build SEEDS --backend postgres`")
            return open_pg_version(conn, name)

    return database.run(work)


def load_pg_searcher(database: Database, config: RetrievalConfig | None = None,
                     embedder: Embedder | None = None, cache_dir: Path | None = None,
                     encoder: str | None = None, query_cache: int = 0) -> Searcher:
    """The searcher of the database's current version; `StorageUnavailable` when the
    database is down, `IndexLoadError` when what it holds is not a servable version."""
    limit_search_threads()
    version = _read(database)
    signals = {"ngram": version.ngram, "resource_vectors": version.resource_vectors,
               "lexicon": load_lexicon()}
    storage = PostgresStorage(database, version.schema, len(version.data.passages))
    return searcher_for(version.data, signals, config, embedder, cache_dir, encoder,
                        query_cache, storage=storage)


def settings_database(settings: Any) -> Database:
    """The pool the settings name (`RTES_DATABASE_URL`, timeout, size)."""
    return database_for(settings.require_database_url(), settings.database_timeout_ms,
                        settings.database_pool)
