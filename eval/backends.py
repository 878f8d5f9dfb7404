"""Which storage an in-process evaluation searches: the index directory (`--index`, the
embedded default) or the database's current version (`--backend postgres`)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any


def add_backend_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=("embedded", "postgres"), default=None,
                        help="in-process only: embedded (--index) or postgres (the database's "
                             "current version); default RTES_BACKEND")
    parser.add_argument("--database-url", default=None, help="default RTES_DATABASE_URL")


def backend_of(args: argparse.Namespace) -> str:
    from indexer.settings import Settings

    return getattr(args, "backend", None) or Settings().backend


def open_searcher(args: argparse.Namespace) -> Any:
    """The searcher the options name."""
    from indexer.settings import Settings

    if backend_of(args) == "postgres":
        from search_service.pg_loading import database_for, load_pg_searcher

        settings = Settings()
        url = args.database_url or settings.require_database_url()
        return load_pg_searcher(database_for(url, timeout_ms=60_000))
    from search_service.loading import load_searcher

    return load_searcher(args.index)


def private_ids(searcher: Any) -> set[str]:
    """The private resources of the searcher's version (for the leak check)."""
    return {r["id"] for r in searcher.data.resources if r["private"]}


def private_ids_of_index(index: Path | None) -> set[str]:
    """The private resources of an index directory's current version (none without one)."""
    if index is None:
        return set()
    from indexer.opening import resolve_version
    from indexer.store import RESOURCES_FILE

    version = resolve_version(index)
    rows = [json.loads(line) for line in (version / RESOURCES_FILE).read_text().splitlines()]
    return {r["id"] for r in rows if r["private"]}
