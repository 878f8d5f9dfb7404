"""Errors at the HTTP boundary: bilingual messages, never a stack trace."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from search_service.storage import StorageUnavailable

log = logging.getLogger("search_service")


class ApiError(Exception):
    """An error a client can act on, with the message in French and English."""

    def __init__(self, status: int, fr: str, en: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(en)
        self.status, self.fr, self.en, self.headers = status, fr, en, headers


def error_response(status: int, fr: str, en: str, headers: dict[str, str] | None = None,
                   extra: dict[str, object] | None = None) -> JSONResponse:
    return JSONResponse(status_code=status, headers=headers,
                        content={"detail": en, "message": {"fr": fr, "en": en}, **(extra or {})})


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.fr, exc.en, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e.get('loc', ())[1:]) or 'request'}: {e.get('msg')}"
            for e in exc.errors()
        )[:500]
        return error_response(422, f"Paramètres invalides — {problems}",
                              f"Invalid parameters — {problems}")

    @app.exception_handler(StorageUnavailable)
    async def unavailable(_: Request, exc: StorageUnavailable) -> JSONResponse:
        log.error("storage unavailable: %s", exc)
        return error_response(503, f"Base de données indisponible, réessayez : {exc}",
                              f"Database unavailable, retry later: {exc}",
                              headers={"Retry-After": "5"})

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return error_response(500, "Erreur interne du service.", "Internal server error.")
