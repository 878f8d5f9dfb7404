"""The query log in the service: opened in lifespan, fed by /api/search, read by
GET /admin/analytics (admin token, the same check as POST /admin/reload)."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import FileResponse

from search_service.analytics import report
from search_service.errors import ApiError
from search_service.feedback import RecentSearches, new_query_id
from search_service.querylog import QueryLog, SearchRow
from search_service.retrieval import Filters
from search_service.schemas import SearchResponse
from search_service.security import bearer, check_token
from search_service.settings import Settings

DEFAULT_DAYS = 30
ADMIN_PAGE = Path(__file__).parent / "static" / "admin.html"
log = logging.getLogger("search_service.querylog")
router = APIRouter()


def db_path(settings: Settings) -> Path:
    """`RTES_ANALYTICS_DB`, or `querylog.sqlite3` in the directory that holds the index."""
    if settings.analytics_db is not None:
        return settings.analytics_db
    return Path(settings.index_dir).resolve().parent / "querylog.sqlite3"


def open_querylog(settings: Settings) -> QueryLog | None:
    """The started log, or None with `RTES_ANALYTICS=off`."""
    if not settings.analytics:
        return None
    return QueryLog(db_path(settings), retention_days=settings.analytics_retention_days,
                    queue_size=settings.analytics_queue, batch=settings.analytics_batch,
                    linger=settings.analytics_linger).start()


def log_search(request: Request, response: SearchResponse, *, filters: Filters, mode: str,
               k: int, typing: bool = False) -> None:
    """Give the response its `query_id` and queue the row of a settled search; nothing when
    the log is off or the client is allow-listed (`RTES_RATE_LIMIT_EXEMPT`: benchmarks and load
    runs). A search sent while typing is only remembered (feedback on its answer settles it).
    Never raises into the search."""
    querylog: QueryLog | None = getattr(request.app.state, "querylog", None)
    recent: RecentSearches | None = getattr(request.app.state, "recent_searches", None)
    if querylog is None or recent is None:
        return
    client = request.client.host if request.client else "unknown"
    if client in request.app.state.settings.rate_limit_exempt:
        return
    try:
        _log(querylog, recent, response, filters, mode, k, typing)
    except Exception:  # a bug here must cost a log row, never the search
        response.query_id = None
        querylog.stats.drop("error", 1)
        log.exception("query log: row not recorded")


def _log(querylog: QueryLog, recent: RecentSearches, response: SearchResponse,
         filters: Filters, mode: str, k: int, typing: bool) -> None:
    response.query_id = new_query_id()
    row = SearchRow.of(
        query=response.query, language=response.language,
        filters={"kinds": sorted(filters.kinds), "year_from": filters.year_from,
                 "year_to": filters.year_to, "mode": mode, "k": k},
        member=filters.member, result_ids=[r.resource.id for r in response.results],
        confident=response.confident, confidence=response.confidence,
        latency_ms=response.took_ms, query_id=response.query_id)
    recent.add(response.query_id, row, logged=not typing)
    if not typing:
        querylog.record(row)


@router.api_route("/admin", methods=["GET", "HEAD"], include_in_schema=False)
def admin_page() -> FileResponse:
    """The analytics page; it shows nothing until the service accepts its admin token."""
    return FileResponse(ADMIN_PAGE)


@router.get("/admin/analytics", include_in_schema=False)
def analytics(request: Request,
              since: Annotated[date | None, Query(description="first day (YYYY-MM-DD), "
                                                   f"default {DEFAULT_DAYS} days ago")] = None,
              authorization: Annotated[str | None, Header()] = None) -> dict:
    """Top questions, top questions with no confident answer, searches per day, share
    unanswered, latency percentiles, dropped rows; member searches apart from public ones."""
    settings: Settings = request.app.state.settings
    check_token(request, bearer(authorization), settings.admin_tokens,
                "Jeton d'administration requis.", "Admin token required.")
    querylog: QueryLog | None = getattr(request.app.state, "querylog", None)
    if querylog is None:
        raise ApiError(404, "Le journal des recherches est désactivé (RTES_ANALYTICS=off).",
                       "The query log is off (RTES_ANALYTICS=off).")
    since = since or (datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)).date()
    flushed = querylog.flush(timeout=5.0)
    return {"since": since.isoformat(), "retention_days": querylog.retention_days,
            "log": querylog.stats.to_dict() | {"flushed": flushed},
            **report(querylog.path, since)}
