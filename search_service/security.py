"""Who may see what, and how much: member tokens, the rate limit, request limits, headers."""

from __future__ import annotations

import hmac
import time
from collections.abc import Awaitable, Callable

from fastapi import Request, Response
from limits import RateLimitItem, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from search_service.errors import ApiError, error_response

MAX_URL_CHARS = 4096
MAX_BODY_BYTES = 16_384


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
            reset, _ = self._limiter.get_window_stats(self.item, "search", client)
            retry = max(1, int(reset - time.time()) + 1)
            raise ApiError(429, f"Trop de requêtes : réessayez dans {retry} s.",
                           f"Too many requests: retry in {retry} s.",
                           headers={"Retry-After": str(retry)})


SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
# The demo page: its own scripts and styles only (the widget's shadow DOM uses a <style>).
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'")


async def guard(request: Request,
                call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Refuse oversized requests before routing; add security headers to every response."""
    if len(str(request.url)) > MAX_URL_CHARS:
        return error_response(414, "Adresse trop longue.", "URL too long.")
    length = request.headers.get("content-length", "0")
    if not length.isdigit() or int(length) > MAX_BODY_BYTES:
        return error_response(413, "Requête trop volumineuse.", "Request too large.")
    response = await call_next(request)
    response.headers.update(SECURITY_HEADERS)
    path = request.url.path
    if path == "/" or path.endswith(".html"):
        response.headers["Content-Security-Policy"] = PAGE_CSP
        response.headers["X-Frame-Options"] = "DENY"
    if path == "/widget.js":
        # Other sites load the widget's script; that is its purpose.
        response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
