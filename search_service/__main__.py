"""`python -m search_service --index DIR --host H --port N`.

The index is loaded before the server starts: a broken one is one line on stderr naming
the file at fault, and exit status 2, never a traceback. Every log line (the service's and
uvicorn's, access log included) carries a timestamp and a level.
"""

from __future__ import annotations

import argparse
import logging
import logging.config
from pathlib import Path
from typing import Any

from search_service.settings import Settings

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
log = logging.getLogger("search_service")


def log_config(level: str = "INFO") -> dict[str, Any]:
    """One format for every logger, handed to uvicorn so its own lines follow it too."""
    handler = {"class": "logging.StreamHandler", "formatter": "plain",
               "stream": "ext://sys.stderr"}
    logger = {"handlers": ["stderr"], "level": level, "propagate": False}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"plain": {"format": LOG_FORMAT, "datefmt": "%Y-%m-%dT%H:%M:%S%z"}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": "WARNING"},
        "loggers": {name: logger for name in ("uvicorn", "uvicorn.access", "search_service",
                                              "indexer")}
                   | {"uvicorn.error": {"level": level}}
                   | {"bm25s": {"level": "WARNING"}},  # it logs each index it builds
    }


def proxy_options(settings: Settings) -> dict[str, Any]:
    """Believe X-Forwarded-For only from the configured proxies (uvicorn's default trusts
    127.0.0.1, which would let anything on the host pick its address)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(settings.trusted_proxies)}


def _pg_searcher(settings: Settings) -> Any:
    """The database's current version; None while the database is down (the service
    starts, answers 503 with the reason and loads the version once the database is back)."""
    from search_service.loading import encoder_options
    from search_service.pg_loading import load_pg_searcher, settings_database
    from search_service.storage import StorageUnavailable

    try:
        return load_pg_searcher(settings_database(settings), cache_dir=settings.model_cache(),
                                **encoder_options(settings))
    except StorageUnavailable as exc:
        log.error("starting without an index (retried every %.0f s): %s",
                  settings.reload_interval, exc)
        return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="search_service", description=__doc__)
    parser.add_argument("--index", type=Path, help="index directory (follows its `current` link)")
    parser.add_argument("--host", default=None)
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    config = log_config()
    logging.config.dictConfig(config)

    import uvicorn
    from pydantic import ValidationError

    from indexer.errors import IndexerError
    from search_service.app import create_app
    from search_service.loading import encoder_options, load_searcher

    overrides = {k: v for k, v in
                 {"index_dir": args.index, "host": args.host, "port": args.port}.items()
                 if v is not None}
    try:
        settings = Settings(**overrides)
    except ValidationError as exc:
        log.error("invalid settings: %s", "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
        return 2
    try:
        searcher = (_pg_searcher(settings) if settings.backend == "postgres" else
                    load_searcher(settings.index_dir, cache_dir=settings.model_cache(),
                                  **encoder_options(settings)))
    except (IndexerError, ValueError) as exc:
        log.error("cannot start: %s", " ".join(str(exc).split()))
        return 2
    uvicorn.run(create_app(settings, searcher=searcher), host=settings.host,
                port=settings.port, log_config=config, **proxy_options(settings))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
