"""Rate limits that hold and valid input that passes, on a real server (issue 12, §3 and §4).

Loopback has many addresses (127.0.0.0/8), so each test is its own client: the limits count
the TCP peer, or what a trusted proxy forwards, and nothing else.
"""

from __future__ import annotations

import http.client
import json
import urllib.parse

import pytest
from conftest import MEMBER_TOKEN, start_server, stop_server

from indexer.documents import KINDS
from search_service.bounds import (
    MAX_K,
    MAX_QUERY_CHARS,
    MAX_RAW_URL_CHARS,
    MAX_URL_CHARS,
    longest_search_target,
)

pytestmark = pytest.mark.slow
ADMIN = "jeton-admin-limites"
PROXY = "127.0.0.9"


@pytest.fixture(scope="module")
def server(seed_index):
    server, url = start_server(seed_index, {
        "RTES_RATE_LIMIT": "5/minute", "RTES_TRUSTED_PROXIES": PROXY,
        "RTES_RATE_LIMIT_EXEMPT": "127.0.0.3,127.0.0.4,127.0.0.5", "RTES_ADMIN_TOKENS": ADMIN})
    yield urllib.parse.urlsplit(url).port
    stop_server(server)


def call(port: int, source: str, target: str, method: str = "GET",
         headers: dict[str, str] | None = None) -> tuple[int, dict, dict[str, str]]:
    """One request from the loopback address `source`: status, JSON body, headers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120, source_address=(source, 0))
    try:
        conn.request(method, target, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read() or b"null"), dict(response.headers)
    finally:
        conn.close()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_rotating_forwarded_for_from_loopback_does_not_lift_the_limit(server):
    codes = [call(server, "127.0.0.2", "/api/search?q=ESS",
                  headers={"X-Forwarded-For": f"10.0.0.{i}"})[0] for i in range(8)]
    assert codes == [200] * 5 + [429] * 3


def test_a_trusted_proxy_forwards_its_clients_addresses(server):
    rotating = [call(server, PROXY, "/api/search?q=ESS",
                     headers={"X-Forwarded-For": f"10.1.0.{i}"})[0] for i in range(8)]
    assert rotating == [200] * 8  # eight clients behind the proxy, one request each
    same = [call(server, PROXY, "/api/search?q=ESS",
                 headers={"X-Forwarded-For": "10.2.0.1"})[0] for _ in range(6)]
    assert same == [200] * 5 + [429]  # one client behind the proxy is still limited


def test_the_eleventh_wrong_token_in_a_minute_is_a_429(server):
    source = "127.0.0.3"  # exempt from the search limit: that does not lift this one
    codes = [call(server, source, "/api/resources/fiche-110", headers=bearer(f"faux-{i}"))[0]
             for i in range(10)]
    assert codes == [401] * 10
    status, body, headers = call(server, source, "/api/resources/fiche-110",
                                 headers=bearer("faux-11"))
    assert status == 429 and 1 <= int(headers["retry-after"]) <= 60
    assert body["message"]["fr"].startswith("Trop de jetons refusés")
    # Locked: even the right token is refused now, so guessing learns nothing more.
    assert call(server, source, "/api/resources/fiche-110", headers=bearer(MEMBER_TOKEN))[0] \
        == 429
    assert call(server, source, "/api/search?q=ESS")[0] == 200  # anonymous search goes on


def test_every_token_check_shares_the_budget(server):
    source = "127.0.0.4"
    codes = [call(server, source, "/api/resources/fiche-110", headers=bearer("x"))[0]
             for _ in range(4)]
    codes += [call(server, source, "/admin/reload", "POST", bearer("y"))[0] for _ in range(2)]
    codes += [call(server, source, "/admin/reload", "POST")[0]]  # no token at all
    codes += [call(server, source, "/api/search?q=ESS", headers=bearer("z"))[0]
              for _ in range(3)]
    assert codes == [401] * 10
    status, _, headers = call(server, source, "/admin/reload", "POST", bearer(ADMIN))
    assert status == 429 and int(headers["retry-after"]) >= 1


def longest(q: str, mode: str = "hybrid") -> str:
    params = [("q", q), ("k", MAX_K), *(("kind", kind) for kind in KINDS),
              ("year_from", 1900), ("year_to", 2100), ("mode", mode)]
    return "/api/search?" + urllib.parse.urlencode(params)


QUESTIONS = {
    "chinese": "社会团结经济" * (MAX_QUERY_CHARS // 6) + "社会",
    "emoji": "😀" * MAX_QUERY_CHARS,
    "emoji with selectors": "🏘️" * (MAX_QUERY_CHARS // 2),
    "french": ("é" * 9 + " ") * (MAX_QUERY_CHARS // 10 - 1) + "é" * 10,
}


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize("name", QUESTIONS)
def test_500_characters_with_every_parameter_at_its_longest_pass(server, name, mode):
    question = QUESTIONS[name]
    assert len(question.strip()) == MAX_QUERY_CHARS
    status, body, _ = call(server, "127.0.0.5", longest(question, mode))
    assert status == 200, body
    assert body["query"] == question.strip()


def test_the_url_limit_stays_finite(server):
    assert len(longest_search_target()) <= MAX_URL_CHARS < MAX_RAW_URL_CHARS < 20_000
    status, body, _ = call(server, "127.0.0.5", longest("a" * (MAX_QUERY_CHARS + 1)))
    assert status == 422 and "500" in body["message"]["en"]
    padding = "&pad=" + "b" * MAX_URL_CHARS
    status, body, _ = call(server, "127.0.0.5", longest("ESS") + padding)
    assert status == 414 and body["message"]["fr"] == "Adresse trop longue."
    status, _, _ = call(server, "127.0.0.5", "/api/search?q=" + "%F0%9F%98%80" * MAX_URL_CHARS)
    assert status == 414
