"""The FastAPI application factory: routes, privacy, errors. Heavy loading happens in lifespan."""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from indexer.documents import KINDS
from search_service.pipeline import AnswerConfig, resource_out, run_search
from search_service.retrieval import Filters, Searcher
from search_service.schemas import ErrorOut, ReadyOut, ResourceOut, SearchResponse
from search_service.settings import Settings, get_settings

log = logging.getLogger("search_service")
MAX_QUERY_CHARS = 500


class ApiError(Exception):
    """An error a client can act on, with the message in French and English."""

    def __init__(self, status: int, fr: str, en: str) -> None:
        super().__init__(en)
        self.status, self.fr, self.en = status, fr, en


def _error(status: int, fr: str, en: str) -> JSONResponse:
    return JSONResponse(status_code=status,
                        content={"detail": en, "message": {"fr": fr, "en": en}})


def get_searcher(request: Request) -> Searcher:
    searcher = getattr(request.app.state, "searcher", None)
    if searcher is None:
        raise ApiError(503, "L'index n'est pas chargé.", "The index is not loaded.")
    return searcher


def is_member(request: Request,
              authorization: Annotated[str | None, Header()] = None) -> bool:
    """True with a valid member token, False without one; a wrong token is a 401."""
    if authorization is None:
        return False
    scheme, _, token = authorization.partition(" ")
    tokens: list[str] = request.app.state.settings.member_tokens
    valid = scheme.lower() == "bearer" and token.strip() != ""
    # Compare against every token, in constant time, so timing reveals nothing.
    match = False
    for candidate in tokens:
        match |= hmac.compare_digest(token.strip().encode(), candidate.encode())
    if not (valid and match):
        raise ApiError(401, "Jeton de membre invalide.", "Invalid member token.")
    return True


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
MemberDep = Annotated[bool, Depends(is_member)]


def create_app(settings: Settings | None = None, searcher: Searcher | None = None) -> FastAPI:
    """The app; with `searcher` given (tests), nothing is loaded at start-up."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if app.state.searcher is None:
            from search_service.loading import load_searcher

            app.state.searcher = load_searcher(settings.index_dir)
        yield

    app = FastAPI(title="RTES search", version="0.1.0", lifespan=lifespan,
                  description="Recherche sémantique dans les ressources du RTES.")
    app.state.settings = settings
    app.state.searcher = searcher
    _install_error_handlers(app)

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=ReadyOut)
    def readyz(searcher: SearcherDep) -> ReadyOut:
        """Readiness: the index is loaded. Counts are public ones only."""
        public = [r for r in searcher.data.resources if not r["private"]]
        public_ids = {r["id"] for r in public}
        passages = sum(p["resource_id"] in public_ids for p in searcher.data.passages)
        return ReadyOut(status="ready", resources=len(public), passages=passages,
                        model=searcher.data.manifest["model"]["spec"],
                        built_at=searcher.data.manifest["built_at"],
                        version=searcher.data.path.name)

    @app.get("/api/search", response_model=SearchResponse,
             responses={422: {"model": ErrorOut}, 401: {"model": ErrorOut}})
    def search(
        searcher: SearcherDep,
        member: MemberDep,
        q: Annotated[str, Query(description="la question, 1 à 500 caractères")],
        k: Annotated[int, Query(ge=1, le=50, description="nombre de ressources")] = 10,
        kind: Annotated[list[str] | None, Query(description="filtre de type (répétable)")] = None,
        year_from: Annotated[int | None, Query(ge=1900, le=2100)] = None,
        year_to: Annotated[int | None, Query(ge=1900, le=2100)] = None,
        mode: Annotated[str, Query(pattern="^(hybrid|dense|bm25)$")] = "hybrid",
    ) -> SearchResponse:
        """Search the resources; private ones only with a member token."""
        query = q.strip()
        if not query or len(query) > MAX_QUERY_CHARS:
            raise ApiError(422, "La question doit faire entre 1 et 500 caractères.",
                           "The query must be 1 to 500 characters long.")
        unknown = sorted(set(kind or ()) - set(KINDS))
        if unknown:
            bad, known = ", ".join(unknown), ", ".join(KINDS)
            raise ApiError(422, f"Type inconnu : {bad} (types : {known}).",
                           f"Unknown kind: {bad} (kinds: {known}).")
        if year_from is not None and year_to is not None and year_from > year_to:
            raise ApiError(422, "year_from doit être inférieur ou égal à year_to.",
                           "year_from must not be after year_to.")
        filters = Filters(kinds=tuple(kind or ()), year_from=year_from, year_to=year_to,
                          member=member)
        config = AnswerConfig(confidence_threshold=settings.confidence_threshold)
        return run_search(searcher, query, k=k, filters=filters,
                          mode=mode, config=config)

    @app.get("/api/resources/{resource_id}", response_model=ResourceOut,
             responses={404: {"model": ErrorOut}})
    def resource(resource_id: str, searcher: SearcherDep, member: MemberDep) -> ResourceOut:
        """One resource's metadata; a private one is a 404 without a member token."""
        found = searcher.resources.get(resource_id)
        if found is None or (found["private"] and not member):
            raise ApiError(404, "Ressource introuvable.", "Resource not found.")
        return resource_out(found)

    return app


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.fr, exc.en)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}"
            for e in exc.errors()
        )
        return _error(422, f"Paramètres invalides — {problems}", f"Invalid parameters — {problems}")

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return _error(500, "Erreur interne du service.", "Internal server error.")
