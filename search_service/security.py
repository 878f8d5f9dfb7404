"""Who may see what, and how much: member tokens, the rate limits, request limits, headers.

The client address the limits count is the TCP peer, or the address a trusted proxy
(`RTES_TRUSTED_PROXIES`, none by default) forwards in X-Forwarded-For: uvicorn rewrites it
before the app sees the request, and only for those proxies (see `search_service.__main__`).
"""

from __future__ import annotations

import hmac
import time
import urllib.parse

from fastapi import Request, Response
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from search_service.bounds import MAX_BODY_BYTES, MAX_RAW_URL_CHARS, MAX_URL_CHARS
from search_service.errors import ApiError, error_response


def token_matches(token: str, tokens: list[str]) -> bool:
    """Compare against every configured token in constant time, so timing reveals nothing."""
    match = False
    for candidate in tokens:
        match |= hmac.compare_digest(token.encode(), candidate.encode())
    return match and bool(token)


def bearer(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def _retry_after(limiter: MovingWindowRateLimiter, item: RateLimitItem, *keys: str) -> int:
    reset, _ = limiter.get_window_stats(item, *keys)
    return max(1, int(reset - time.time()) + 1)


class RateLimit:
    """A moving-window limit per client address (the `limits` library), with an allow-list."""

    def __init__(self, rule: str, exempt: list[str]) -> None:
        self.item: RateLimitItem = parse(rule)
        self.exempt = set(exempt)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, client: str) -> None:
        if client in self.exempt:
            return
        if not self._limiter.hit(self.item, "search", client):
            retry = _retry_after(self._limiter, self.item, "search", client)
            raise ApiError(429, f"Trop de requêtes : réessayez dans {retry} s.",
                           f"Too many requests: retry in {retry} s.",
                           headers={"Retry-After": str(retry)})


class AuthFailures:
    """Failed token checks per client (`RTES_AUTH_FAIL_LIMIT`), with no allow-list.

    Once a client has used its budget, every request from it that needs a token check is a
    429 before the token is even compared, right or wrong, so guessing learns nothing more.
    """

    def __init__(self, rule: str) -> None:
        self.item: RateLimitItem = parse(rule)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def check(self, client: str) -> None:
        if not self._limiter.test(self.item, "auth", client):
            retry = _retry_after(self._limiter, self.item, "auth", client)
            raise ApiError(429, f"Trop de jetons refusés : réessayez dans {retry} s.",
                           f"Too many failed token checks: retry in {retry} s.",
                           headers={"Retry-After": str(retry)})

    def failed(self, client: str) -> None:
        self._limiter.hit(self.item, "auth", client)


def check_token(request: Request, token: str | None, tokens: list[str],
                fr: str, en: str) -> None:
    """A bearer token that must be one of `tokens`: a 401 when it is not (missing or wrong),
    counted against the client's failure budget; a 429 once that budget is used."""
    failures: AuthFailures = request.app.state.auth_failures
    client = request.client.host if request.client else "unknown"
    failures.check(client)
    if not token or not token_matches(token, tokens):
        failures.failed(client)
        raise ApiError(401, fr, en)


def _decoded_length(raw: bytes) -> int:
    return len(urllib.parse.unquote_to_bytes(raw).decode("utf-8", errors="replace"))


def target_too_long(raw_path: bytes, query: bytes) -> bool:
    """Is the request target over MAX_URL_CHARS characters once percent-decoded?"""
    if len(raw_path) + 1 + len(query) > MAX_RAW_URL_CHARS:
        return True
    return _decoded_length(raw_path) + 1 + _decoded_length(query) > MAX_URL_CHARS


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The demo page: its own scripts and styles only (the widget's shadow DOM uses a <style>).
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'")


class Guard:
    """Refuse oversized requests before routing; add security headers to every response.

    A plain ASGI middleware (not `BaseHTTPMiddleware`, whose task group and streams cost
    every request a few hops between threads and tasks)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        extra = _page_headers(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _refusal(scope: Scope) -> Response | None:
    """A 414 for a target over the limits, a 413 for a body over them (or no number)."""
    if target_too_long(scope.get("raw_path") or scope["path"].encode(),
                       scope.get("query_string", b"")):
        return error_response(414, "Adresse trop longue.", "URL too long.")
    length = Headers(scope=scope).get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return error_response(413, "Requête trop volumineuse.", "Request too large.")
    return None


def _page_headers(path: str) -> dict[str, str]:
    """The headers every response gets, and those of the pages and of the widget's script."""
    headers = dict(SECURITY_HEADERS)
    if path in ("/", "/admin") or path.endswith(".html"):
        headers["Content-Security-Policy"] = PAGE_CSP
        headers["X-Frame-Options"] = "DENY"
    if path == "/widget.js":
        # Other sites load the widget's script; that is its purpose.
        headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return headers
