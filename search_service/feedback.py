"""Feedback on answers: « Cette réponse vous a-t-elle aidé ? », stored beside the query log.

Every search response carries an opaque random `query_id`. POST /api/feedback
`{query_id, helpful, comment?}` stores one row in the log's file (same retention, same rules:
the hour, never who sent it; e-mails and phone numbers in the comment masked). An id the
service did not hand out, or no longer remembers, is a 404.

The ids handed out recently are remembered in memory (`RecentSearches`, bounded). A search
sent while typing is not logged, but its row is kept there: if the person rates its answer,
the search counts as settled and its row is logged with the feedback.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import threading
from collections import OrderedDict
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel, Field

from search_service.errors import ApiError
from search_service.masking import hour_of, mask
from search_service.querylog import FeedbackRow, QueryLog, SearchRow
from search_service.security import RateLimit
from search_service.settings import Settings

MAX_COMMENT = 500
RECENT = 50_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

router = APIRouter()


def new_query_id() -> str:
    return secrets.token_urlsafe(12)


def install_feedback(app: FastAPI, settings: Settings) -> None:
    """The route, its own rate limit, and the memory of recent query ids."""
    app.state.recent_searches = RecentSearches()
    app.state.feedback_limit = RateLimit(settings.feedback_rate_limit,
                                         settings.rate_limit_exempt)
    app.include_router(router)


def clean_comment(comment: str | None) -> str | None:
    """Control characters out, e-mails and phone numbers masked; stored as text, never HTML."""
    if comment is None:
        return None
    text = _CONTROL.sub(" ", comment).strip()
    return mask(text)[:MAX_COMMENT] or None


class RecentSearches:
    """query_id → the search's row, for the last `size` searches; `logged` says whether the
    row is already in the log (a typing search's is not, until it is rated)."""

    def __init__(self, size: int = RECENT) -> None:
        self.size = size
        self._rows: OrderedDict[str, tuple[SearchRow, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, query_id: str, row: SearchRow, logged: bool) -> None:
        with self._lock:
            self._rows[query_id] = (row, logged)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)

    def settle(self, query_id: str) -> SearchRow | None | bool:
        """The row to log now (a typing search rated), True when it is already logged,
        None when the id is unknown."""
        with self._lock:
            found = self._rows.get(query_id)
            if found is None:
                return None
            row, logged = found
            self._rows[query_id] = (row, True)
        return True if logged else row


class FeedbackIn(BaseModel):
    query_id: str = Field(min_length=1, max_length=64)
    helpful: bool
    comment: str | None = Field(None, max_length=MAX_COMMENT)


class FeedbackOut(BaseModel):
    recorded: bool


def _known_in_file(querylog: QueryLog, query_id: str) -> bool:
    """An id from before a restart: looked up in the log itself."""
    from search_service.analytics import open_read_only

    try:
        conn = open_read_only(querylog.path)
    except sqlite3.Error:
        return False
    try:
        found = conn.execute("SELECT 1 FROM searches WHERE query_id = ? LIMIT 1",
                             (query_id,)).fetchone()
    except sqlite3.Error:
        return False
    finally:
        conn.close()
    return found is not None


def check_origin(request: Request) -> None:
    """A browser's POST from a page on another site that is not in RTES_CORS_ORIGINS is
    refused here, not only left unreadable by CORS (a form could still send it)."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    own = f"{request.url.scheme}://{request.url.netloc}"
    if origin != own and origin not in request.app.state.settings.cors_origins:
        raise ApiError(403, "Origine non autorisée.", "Origin not allowed.")


def feedback_limited(request: Request) -> None:
    client = request.client.host if request.client else "unknown"
    request.app.state.feedback_limit.check(client)


@router.post("/api/feedback", response_model=FeedbackOut, status_code=201,
             dependencies=[Depends(check_origin), Depends(feedback_limited)])
def feedback(request: Request, body: FeedbackIn) -> FeedbackOut:
    """Rate the answer of one search (its response's `query_id`)."""
    querylog: QueryLog | None = getattr(request.app.state, "querylog", None)
    recent: RecentSearches | None = getattr(request.app.state, "recent_searches", None)
    if querylog is None or recent is None:
        raise ApiError(404, "Les avis sont désactivés (RTES_ANALYTICS=off).",
                       "Feedback is off (RTES_ANALYTICS=off).")
    settled = recent.settle(body.query_id)
    if settled is None and not _known_in_file(querylog, body.query_id):
        raise ApiError(404, "Recherche inconnue.", "Unknown query_id.")
    if isinstance(settled, SearchRow):
        querylog.record(settled)  # a search made while typing, settled by its rating
    querylog.record(FeedbackRow(hour=hour_of(datetime.now(UTC)), query_id=body.query_id,
                                helpful=body.helpful, comment=clean_comment(body.comment)))
    return FeedbackOut(recorded=True)
