"""The HTTP routes: search, resources, health, and the admin reload."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from indexer.documents import KINDS
from indexer.search_config import AnswerConfig
from indexer.settings import Settings
from search_service.analytics_api import log_search
from search_service.bounds import MAX_K, MAX_QUERY_CHARS, YEAR_MAX, YEAR_MIN
from search_service.errors import ApiError, error_response
from search_service.pipeline import run_search_async
from search_service.query_text import has_content
from search_service.responses import resource_out, search_response
from search_service.results import ResourceInfo
from search_service.retrieval import Filters, Searcher
from search_service.schemas import (
    ErrorOut,
    ReadyOut,
    ReloadOut,
    ReloadRefusedOut,
    ResourceOut,
    SearchResponse,
)
from search_service.security import bearer, check_token

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")

router = APIRouter()


async def get_searcher(request: Request) -> Searcher:
    reloader = getattr(request.app.state, "reloader", None)
    if reloader is None:
        raise ApiError(503, "L'index n'est pas chargé.", "The index is not loaded.")
    if reloader.searcher is None:  # the database was down at start-up and still is
        why = reloader.unavailable or "no version loaded yet"
        raise ApiError(503, f"L'index n'est pas chargé : {why}.",
                       f"The index is not loaded: {why}.")
    return reloader.searcher


async def is_member(request: Request,
              authorization: Annotated[str | None, Header()] = None) -> bool:
    """True with a valid member token, False without one; a wrong token is a 401."""
    token = bearer(authorization)
    if token is None:
        return False
    check_token(request, token, request.app.state.settings.member_tokens,
                "Jeton de membre invalide.", "Invalid member token.")
    return True


async def rate_limited(request: Request) -> None:
    client = request.client.host if request.client else "unknown"
    request.app.state.rate_limit.check(client)


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
MemberDep = Annotated[bool, Depends(is_member)]


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


@router.get("/readyz", response_model=ReadyOut)
def readyz(searcher: SearcherDep) -> ReadyOut:
    """Readiness: the index is loaded. Counts are public ones only."""
    public = {r["id"] for r in searcher.data.resources if not r["private"]}
    passages = sum(p["resource_id"] in public for p in searcher.data.passages)
    manifest = searcher.data.manifest
    return ReadyOut(status="ready", resources=len(public), passages=passages,
                    model=manifest.model.spec, built_at=manifest.built_at,
                    version=searcher.data.path.name)


def clean_query(q: str) -> str:
    """Control characters dropped, blanks trimmed; then 1 to 500 characters holding a letter,
    a digit or a symbol, or a 422."""
    query = " ".join(_CONTROL.sub(" ", q).split())
    if not query or len(query) > MAX_QUERY_CHARS:
        raise ApiError(422, "La question doit faire entre 1 et 500 caractères.",
                       "The query must be 1 to 500 characters long.")
    if not has_content(query):
        raise ApiError(422, "La question ne contient aucune lettre, aucun chiffre ni aucun "
                       "symbole (seulement des caractères invisibles, de contrôle ou de la "
                       "ponctuation).",
                       "The query holds no letter, digit or symbol (only invisible or control "
                       "characters, or punctuation).")
    return query


@router.get("/api/search", response_model=SearchResponse, dependencies=[Depends(rate_limited)],
            responses={422: {"model": ErrorOut}, 401: {"model": ErrorOut},
                       429: {"model": ErrorOut}})
async def search(
    request: Request,
    searcher: SearcherDep,
    member: MemberDep,
    q: Annotated[str, Query(description="la question, 1 à 500 caractères",
                            examples=["comment une collectivité soutient une épicerie "
                                      "solidaire"])],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="nombre de ressources")] = 10,
    kind: Annotated[list[str] | None, Query(description="filtre de type (répétable)")] = None,
    year_from: Annotated[int | None, Query(ge=YEAR_MIN, le=YEAR_MAX)] = None,
    year_to: Annotated[int | None, Query(ge=YEAR_MIN, le=YEAR_MAX)] = None,
    mode: Annotated[str, Query(pattern="^(hybrid|dense|bm25)$")] = "hybrid",
    typing: Annotated[bool, Query(description="1 while the person is still typing (the "
                                  "widget's search-as-you-type): not logged")] = False,
) -> Response:
    """Search the resources; private ones only with a member token.

    A coroutine: the search's Python work runs on the event loop (no hop to a worker
    thread), and the loop serves other requests while the question's encoding runs in
    ONNX Runtime on the encoding pool (`search_service.encoding`)."""
    query = clean_query(q)
    unknown = sorted(set(kind or ()) - set(KINDS))
    if unknown:
        bad, known = ", ".join(unknown)[:200], ", ".join(KINDS)
        raise ApiError(422, f"Type inconnu : {bad} (types : {known}).",
                       f"Unknown kind: {bad} (kinds: {known}).")
    if year_from is not None and year_to is not None and year_from > year_to:
        raise ApiError(422, "year_from doit être inférieur ou égal à year_to.",
                       "year_from must not be after year_to.")
    filters = Filters(kinds=tuple(kind or ()), year_from=year_from, year_to=year_to,
                      member=member)
    response = search_response(await run_search_async(
        searcher, query, k=k, filters=filters, mode=mode,
        config=answer_config(searcher, request.app.state.settings)))
    log_search(request, response, filters=filters, mode=mode, k=k, typing=typing)
    # Already a valid SearchResponse: serialised once by pydantic (the same bytes as
    # FastAPI's JSONResponse, checked on 1,107 bodies), not validated again by FastAPI.
    return Response(response.model_dump_json(by_alias=True), media_type="application/json")


def answer_config(searcher: Searcher, settings: Settings) -> AnswerConfig:
    """The version's answer configuration (no setting overrides it: the old
    RTES_CONFIDENCE_THRESHOLD is refused at start-up, `indexer.settings`)."""
    return searcher.answer_config


@router.get("/api/resources/{resource_id}", response_model=ResourceOut,
            responses={404: {"model": ErrorOut}, 401: {"model": ErrorOut},
                       429: {"model": ErrorOut}})
def resource(resource_id: str, searcher: SearcherDep, member: MemberDep) -> ResourceOut:
    """One resource's metadata; a private one is a 404 without a member token."""
    found = searcher.resources.get(resource_id)
    if found is None or (found["private"] and not member):
        raise ApiError(404, "Ressource introuvable.", "Resource not found.")
    return resource_out(ResourceInfo.of(found))


@router.post("/admin/reload", response_model=ReloadOut, include_in_schema=False,
             responses={401: {"model": ErrorOut}, 409: {"model": ReloadRefusedOut},
                        429: {"model": ErrorOut}})
def reload(request: Request,
           authorization: Annotated[str | None, Header()] = None) -> ReloadOut | JSONResponse:
    """Load the version `current` points to now (the watcher also does it by itself).

    200 when `current` points at the live version or at one that loaded and was swapped in;
    409 with the reason (the file at fault) when the version it points to is refused, while
    the live version keeps serving.
    """
    check_token(request, bearer(authorization), request.app.state.settings.admin_tokens,
                "Jeton d'administration requis.", "Admin token required.")
    result = request.app.state.reloader.check(force=True)
    if result.error is not None:
        return error_response(
            409, f"Version refusée, la version {result.version} reste servie : {result.error}",
            f"Version refused, still serving {result.version}: {result.error}",
            extra={"reloaded": False, "version": result.version, "error": result.error})
    return ReloadOut(reloaded=result.reloaded, version=result.version)
