"""The query log and /admin/analytics through the real service (`python -m search_service`
under uvicorn) writing a real SQLite file.

The servers allow-list 127.0.0.1 from the rate limit, as every test server does, so that
address is also the one whose searches are not logged; the searches that are logged come
from 127.0.0.2 (any loopback address reaches a server listening on 127.0.0.1).
"""

from __future__ import annotations

import http.client
import json
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import MEMBER_TOKEN, start_server, stop_server
from test_querylog import read_only, row

from eval.data import default_eval_dir, load_candidates, load_question_set
from search_service.querylog import QueryLog, connect

pytestmark = pytest.mark.slow

ADMIN = "jeton-admin-de-test"
LOGGED, EXEMPT = "127.0.0.2", "127.0.0.1"
OUT_OF_SCOPE = "délai pour renouveler une carte d'identité"
QUESTION = "comment une collectivité soutient une épicerie solidaire"
ENV = {"RTES_ADMIN_TOKENS": ADMIN, "RTES_RATE_LIMIT": "100000/minute"}


def call(base: str, path: str, *, source: str = LOGGED,
         headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """GET `path` from the client address `source`."""
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120,
                                      source_address=(source, 0))
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def search_path(q: str, **params: str) -> str:
    return "/api/search?" + urllib.parse.urlencode({"q": q, **params})


def analytics(base: str, since: str | None = None) -> dict:
    path = "/admin/analytics" + (f"?since={since}" if since else "")
    status, body = call(base, path, headers={"Authorization": f"Bearer {ADMIN}"})
    assert status == 200, body
    return body


def logged_queries(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [q for (q,) in conn.execute("SELECT query FROM searches ORDER BY id")]


@pytest.fixture(scope="module")
def served(seed_index: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A server logging to a file seeded with a row past the retention and one within it."""
    db = tmp_path_factory.mktemp("querylog") / "log.sqlite3"
    seeded = QueryLog(db, linger=0.0).start()
    now = datetime.now(UTC)
    seeded.record(row("question de l'an dernier", now=now - timedelta(days=200)))
    seeded.record(row("question du mois dernier", now=now - timedelta(days=20)))
    seeded.close()
    process, url = start_server(seed_index, {**ENV, "RTES_ANALYTICS_DB": str(db)})
    yield {"url": url, "db": db}
    stop_server(process)


def test_a_search_is_logged_masked_without_address_token_or_browser(served: dict):
    url, db = served["url"], served["db"]
    secret_ua, cookie = "Navigateur-Tres-Particulier/9.9", "session=biscuit-secret"
    q = "Écrire à marie.curie@example.org au 06 12 34 56 78 : épicerie solidaire"
    status, body = call(url, search_path(q, k="3"), headers={
        "Authorization": f"Bearer {MEMBER_TOKEN}", "User-Agent": secret_ua, "Cookie": cookie})
    assert status == 200 and body["results"]
    analytics(url)  # flushes the writer
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        found = conn.execute("SELECT * FROM searches WHERE query LIKE 'écrire à%'").fetchall()
    assert len(found) == 1
    logged = dict(found[0])
    assert logged["query"] == "écrire à <email> au <phone> : épicerie solidaire"
    assert logged["member"] == 1 and logged["language"] == "fr"
    assert logged["hour"] == datetime.now(UTC).strftime("%Y-%m-%dT%H:00Z")
    assert json.loads(logged["top_ids"]) == [r["resource"]["id"] for r in body["results"]]
    assert json.loads(logged["filters"])["k"] == 3 and logged["latency_ms"] > 0
    assert bool(logged["confident"]) == body["confident"]
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    for secret in (MEMBER_TOKEN, LOGGED, secret_ua, "biscuit-secret", "marie.curie",
                   "12 34 56"):
        assert secret.encode() not in raw, secret


def test_typing_and_allow_listed_searches_are_not_logged(served: dict):
    url, db = served["url"], served["db"]
    assert call(url, search_path("épicerie en cours de frappe", typing="1"))[0] == 200
    assert call(url, search_path("épicerie du banc d'essai"), source=EXEMPT)[0] == 200
    assert call(url, search_path("épicerie validée par la touche entrée"))[0] == 200
    analytics(url)
    queries = logged_queries(db)
    assert "épicerie validée par la touche entrée" in queries
    assert not any("frappe" in q or "banc d'essai" in q for q in queries)


def test_retention_pruned_the_old_row_at_start(served: dict):
    analytics(served["url"])  # the writer prunes at start, before the first flush returns
    queries = logged_queries(served["db"])
    assert "question du mois dernier" in queries
    assert "question de l'an dernier" not in queries


def test_analytics_needs_the_admin_token_and_keeps_members_apart(served: dict):
    url = served["url"]
    assert call(url, "/admin/analytics")[0] == 401
    status, body = call(url, "/admin/analytics", headers={"Authorization": "Bearer faux"})
    assert status == 401 and "results" not in body and "public" not in body
    assert call(url, search_path(OUT_OF_SCOPE))[0] == 200
    assert call(url, search_path("ordre du jour du conseil des membres"),
                headers={"Authorization": f"Bearer {MEMBER_TOKEN}"})[0] == 200
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    report = analytics(url, since)
    public, members = report["public"], report["members"]
    assert report["log"]["dropped_total"] == 0 and report["error"] is None
    public_qs = {q["query"] for q in public["top_questions"]}
    member_qs = {q["query"] for q in members["top_questions"]}
    assert OUT_OF_SCOPE in {q["query"] for q in public["top_unanswered"]}
    assert "ordre du jour du conseil des membres" in member_qs - public_qs
    assert "question du mois dernier" not in public_qs  # before `since`
    assert public["per_day"][-1]["day"] == datetime.now(UTC).date().isoformat()
    assert public["latency_ms"]["p50"] <= public["latency_ms"]["p95"]


def test_eval_harvest_writes_candidates_from_the_servers_log(served: dict, tmp_path: Path):
    url, db = served["url"], served["db"]
    assert call(url, search_path(OUT_OF_SCOPE))[0] == 200
    analytics(url)
    out = tmp_path / "candidates.jsonl"
    since = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    done = subprocess.run([sys.executable, "-m", "eval", "harvest", "--since", since,
                           "--db", str(db), "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    candidates = load_candidates(out)
    assert OUT_OF_SCOPE in [c.text for c in candidates]
    assert all(c.category == "no_answer" for c in candidates)
    assert "ordre du jour du conseil des membres" not in [c.text for c in candidates]


def test_a_read_only_log_does_not_break_search_and_drops_are_counted(seed_index: Path,
                                                                     tmp_path: Path):
    db = tmp_path / "log.sqlite3"
    connect(db).close()
    with read_only(db):
        process, url = start_server(seed_index, {**ENV, "RTES_ANALYTICS_DB": str(db),
                                                 "RTES_ANALYTICS_LINGER": "0"})
        try:
            for _ in range(5):
                status, body = call(url, search_path(QUESTION, k="3"))
                assert status == 200 and len(body["results"]) == 3
            log = analytics(url)["log"]
        finally:
            stop_server(process)
    assert log["written"] == 0 and log["dropped"] == {"unwritable": 5}
    assert "readonly" in log["last_error"] or "read-only" in log["last_error"]


def _timed(url: str, q: str) -> tuple[int, float]:
    started = time.perf_counter()
    status, _ = call(url, search_path(q, k="5"))
    return status, (time.perf_counter() - started) * 1000


def run_searches(url: str, queries: list[str], concurrency: int) -> tuple[list[int], list[float]]:
    """Every query once, `concurrency` at a time: statuses and latencies (ms)."""
    with ThreadPoolExecutor(concurrency) as pool:
        done = list(pool.map(lambda q: _timed(url, q), queries))
    return [s for s, _ in done], [ms for _, ms in done]


def thousand_queries() -> list[str]:
    texts = [q.text for q in load_question_set(default_eval_dir()).split("dev").queries]
    return [texts[i % len(texts)] for i in range(1000)]


@pytest.mark.parametrize("analytics_on", [True, False], ids=["logging", "no-logging"])
def test_a_thousand_searches_at_concurrency_8_are_all_answered_and_logged(
        seed_index: Path, tmp_path: Path, analytics_on: bool):
    db = tmp_path / "log.sqlite3"
    # Batches of up to 10,000 rows every 5 s: some written during the run, the rest at
    # shutdown, by the lifespan's flush. With RTES_ANALYTICS=off, no file at all.
    env = {**ENV, "RTES_ANALYTICS_DB": str(db), "RTES_ANALYTICS_BATCH": "10000",
           "RTES_ANALYTICS_LINGER": "5", "RTES_ANALYTICS": "on" if analytics_on else "off"}
    process, url = start_server(seed_index, env)
    try:
        statuses, latencies = run_searches(url, thousand_queries(), concurrency=8)
        # Not asked when on: the report would flush the writer before the shutdown does.
        off_status = None if analytics_on else call(
            url, "/admin/analytics", headers={"Authorization": f"Bearer {ADMIN}"})
    finally:
        stop_server(process)
    assert statuses == [200] * 1000
    if analytics_on:
        assert len(logged_queries(db)) == 1000
    else:
        assert off_status is not None and off_status[0] == 404 and not db.exists()
    cuts = statistics.quantiles(latencies, n=100)
    print(f"\n1,000 searches, concurrency 8, logging {'on' if analytics_on else 'off'}: "
          f"p50 {cuts[49]:.0f} ms, p95 {cuts[94]:.0f} ms")
