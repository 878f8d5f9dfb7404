"""The FastAPI application factory. The index and the model load once, in lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from search_service.analytics_api import open_querylog
from search_service.analytics_api import router as analytics_router
from search_service.errors import install_error_handlers
from search_service.feedback import install_feedback
from search_service.reload import Reloader, Watcher, describe
from search_service.retrieval import Searcher
from search_service.routes import router
from search_service.security import AuthFailures, Guard, RateLimit
from search_service.settings import Settings, get_settings

STATIC_DIR = Path(__file__).parent / "static"
log = logging.getLogger("search_service")


def _reloader(settings: Settings, searcher: Searcher | None, embedder: Any = None
              ) -> Reloader:
    """The live searcher (loaded now unless given) and how to follow its pointer: the
    `current` link of the index directory, or the database's `rtes_current`."""
    from search_service.loading import encoder_options, load_searcher

    options = {"cache_dir": settings.model_cache(), **encoder_options(settings)}
    if settings.backend == "postgres":
        return _pg_reloader(settings, searcher, options, embedder)
    live = searcher or load_searcher(settings.index_dir, **options)
    return Reloader(settings.index_dir, live,
                    lambda d: load_searcher(d, embedder=live.embedder, **options))


def _pg_reloader(settings: Settings, searcher: Searcher | None, options: dict[str, Any],
                 embedder: Any = None) -> Reloader:
    """As `_reloader`, from the database; down at start-up, the service answers 503 and
    loads the version as soon as the database is back (the watcher's next check)."""
    from search_service.pg_loading import current_version, load_pg_searcher, settings_database
    from search_service.storage import StorageUnavailable

    database = settings_database(settings)
    live, unavailable = searcher, None
    if live is None:
        try:
            live = load_pg_searcher(database, embedder=embedder, **options)
        except StorageUnavailable as exc:
            log.error("starting without an index: %s", exc)
            unavailable = str(exc)
    current = [live.embedder if live else embedder]

    def load(_: Path) -> Searcher:
        fresh = load_pg_searcher(database, embedder=current[0], **options)
        current[0] = fresh.embedder
        return fresh

    reloader = Reloader(settings.index_dir, live, load, target=lambda: current_version(database))
    reloader.unavailable = unavailable
    return reloader


def _lifespan(settings: Settings, searcher: Searcher | None, embedder: Any = None
              ) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """Load the index (unless `searcher` is given), keep a reloader, watch `current`."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.reloader = _reloader(settings, searcher, embedder)
        live = app.state.reloader.searcher
        log.info("serving index version %s", describe(live) if live else "none yet")
        watcher = None
        if settings.reload_interval > 0:
            watcher = Watcher(app.state.reloader, settings.reload_interval)
            watcher.start()
        app.state.querylog = open_querylog(settings)
        yield
        if watcher is not None:
            watcher.stop()
        if app.state.querylog is not None:
            app.state.querylog.close()  # writes what is still queued

    return lifespan


def _add_guards(app: FastAPI, settings: Settings) -> None:
    """Rate limits, failed-token limits, error handlers, request guard, CORS."""
    app.state.rate_limit = RateLimit(settings.rate_limit, settings.rate_limit_exempt)
    app.state.auth_failures = AuthFailures(settings.auth_fail_limit)
    install_error_handlers(app)
    app.add_middleware(Guard)
    if settings.cors_origins:
        # Only the configured origins; no credentials (the member token is a header).
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                           allow_methods=["GET", "POST"],
                           allow_headers=["Authorization", "Content-Type"],
                           allow_credentials=False, max_age=600)


def _add_pages(app: FastAPI) -> None:
    """The demo page, the widget and the static files."""
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def demo() -> FileResponse:
        """The demo page: the widget embedded as the RTES site would."""
        return FileResponse(STATIC_DIR / "index.html")

    @app.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
    def widget() -> FileResponse:
        return FileResponse(STATIC_DIR / "widget.js", media_type="text/javascript")


def create_app(settings: Settings | None = None, searcher: Searcher | None = None,
               embedder: Any = None) -> FastAPI:
    """The app; with `searcher` given (tests), no index is read at start-up; `embedder`
    (tests) is the encoder a postgres version loaded later uses."""
    settings = settings or get_settings()
    app = FastAPI(title="RTES search", version="0.1.0",
                  lifespan=_lifespan(settings, searcher, embedder),
                  description="Recherche sémantique dans les ressources du RTES : fiches "
                              "« Déniché pour vous », conférences, newsletters, catalogue.")
    app.state.settings = settings
    _add_guards(app, settings)
    app.include_router(router)
    app.include_router(analytics_router)
    install_feedback(app, settings)
    _add_pages(app)
    return app
