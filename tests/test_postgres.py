"""The postgres backend on a real PostgreSQL (pgserver: PostgreSQL 16 with pgvector): what a
published version holds, the same candidates as the embedded path, reload through
`rtes_current`, pruning, and a database that goes down (503 with the reason) and comes back.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from pg_helpers import pg_directory, remove_pg, start_pg, stop_pg

from indexer.opening import open_version
from indexer.pg_store import PublishError, connect, publish, schema_for
from search_service.app import create_app
from search_service.pg_loading import database_for, load_pg_searcher
from search_service.retrieval import Filters
from search_service.settings import Settings

# In the fast lane: what a search over PostgreSQL returns. Out of it (the full run only):
# reload, database-down recovery and the HNSW bench, which wait on the server.
pytestmark = pytest.mark.slow

QUERIES = ["comment une collectivité soutient une épicerie solidaire", "Migracoop",
           "fiche n°110", "le restaurant social Balanzan à Vitry-sur-Seine", "ESS ANCT"]
PRIVATE_WORD = "balanzan"  # named only by a private newsletter


def pg_app(url: str, index_dir: Path, searcher=None, embedder=None, **overrides
           ) -> TestClient:
    settings = Settings(index_dir=index_dir, backend="postgres", database_url=url,
                        rate_limit_exempt=["testclient"], reload_interval=0,
                        admin_tokens=["admin"], analytics=False, **overrides)
    return TestClient(create_app(settings, searcher=searcher, embedder=embedder))


@pytest.mark.fast
def test_a_published_version_holds_its_rows_indexes_and_statistics(pg_seed, seed_index):
    data = open_version(seed_index)
    schema = schema_for(data.path.name)
    with connect(pg_seed) as conn:
        assert conn.execute("SELECT name FROM rtes_current").fetchone()[0] == data.path.name
        count = conn.execute(f"SELECT count(*) FROM {schema}.passages").fetchone()[0]
        assert count == len(data.passages)
        indexes = [r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = %s", (schema,))]
        assert sum("USING hnsw" in d for d in indexes) == 2
        assert any("USING hnsw" in d and "WHERE (NOT private)" in d for d in indexes)
        assert any("USING gin (tsv)" in d for d in indexes)
        stats = dict(conn.execute(f"SELECT who, n FROM {schema}.field_stats").fetchall())
        private = {r["id"] for r in data.resources if r["private"]}
        assert stats["member"] == len(data.passages)
        assert stats["public"] == sum(p["resource_id"] not in private for p in data.passages)
        seen = {who for (who,) in conn.execute(
            f"SELECT who FROM {schema}.term_stats WHERE term = %s", (PRIVATE_WORD,))}
        assert seen == {"member"}, "a private passage's term counted in the public statistics"


@pytest.mark.fast
@pytest.mark.parametrize("member", [False, True])
@pytest.mark.parametrize("query", QUERIES)
def test_candidates_equal_the_embedded_path(searcher, pg_searcher, query, member):
    """pgvector's inner product and the SQL BM25 give FAISS's and bm25s's scores."""
    filters = Filters(member=member)
    mask = searcher.allowed(filters)
    tokens, vector = searcher.query_tokens(query), searcher.encode_query(query)
    assert np.allclose(pg_searcher.dense_scores(vector, mask, filters),
                       searcher.dense_scores(vector, mask, filters), atol=1e-6)
    assert np.allclose(pg_searcher.lexical_scores(tokens, mask, member, filters),
                       searcher.lexical_scores(tokens, mask, member, filters), atol=1e-5)
    kinds = Filters(kinds=("fiche", "event"), year_from=2021, member=member)
    mask = searcher.allowed(kinds)
    assert np.allclose(pg_searcher.dense_scores(vector, mask, kinds),
                       searcher.dense_scores(vector, mask, kinds), atol=1e-6)


@pytest.mark.fast
def test_a_version_is_published_once(pg_seed, seed_index):
    with pytest.raises(PublishError, match="already in the database"):
        publish(pg_seed, open_version(seed_index))


@pytest.fixture(scope="module")
def own_pg(seed_index):
    """A second server of this module's own, which the tests below stop and restart."""
    pgdata = pg_directory("pgdata-own")
    url = start_pg(pgdata)
    publish(url, open_version(seed_index))
    yield pgdata, url
    remove_pg(pgdata)


def wait_for(client: TestClient, status: int, seconds: float = 20.0):
    deadline = time.monotonic() + seconds
    while True:
        reply = client.get("/api/search", params={"q": "Migracoop"})
        if reply.status_code == status or time.monotonic() > deadline:
            return reply
        client.post("/admin/reload", headers={"Authorization": "Bearer admin"})
        time.sleep(0.5)


def test_reload_follows_rtes_current_and_prunes(own_pg, seed_index, embedder):
    pgdata, url = own_pg
    searcher = load_pg_searcher(database_for(url), embedder=embedder)
    data = open_version(seed_index)
    with pg_app(url, seed_index, searcher) as client:
        first = client.get("/readyz").json()["version"]
        assert first == data.path.name
        for n in range(1, 5):
            publish(url, data, name=f"{data.path.name}-{n}")
        # The live version was pruned under the service: a 503 until it reloads, not a 500.
        reply = client.get("/api/search", params={"q": "Migracoop"})
        assert reply.status_code == 503 and "pruned" in reply.json()["message"]["en"]
        reply = client.post("/admin/reload", headers={"Authorization": "Bearer admin"})
        assert reply.json()["reloaded"] and reply.json()["version"] == f"{data.path.name}-4"
        assert client.get("/readyz").json()["version"] == f"{data.path.name}-4"
        assert client.get("/api/search", params={"q": "Migracoop"}).status_code == 200
    with connect(url) as conn:
        kept = [n for (n,) in conn.execute("SELECT name FROM rtes_versions ORDER BY name")]
        schemas = {n for (n,) in conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rtes_%'")}
    assert kept == [f"{data.path.name}-{n}" for n in (2, 3, 4)]
    assert schemas == {schema_for(n) for n in kept}


def test_database_down_mid_run_is_a_503_then_recovers(own_pg, seed_index, embedder):
    pgdata, url = own_pg
    searcher = load_pg_searcher(database_for(url), embedder=embedder)
    with pg_app(url, seed_index, searcher) as client:
        assert wait_for(client, 200).status_code == 200
        stop_pg(pgdata)
        try:
            reply = client.get("/api/search", params={"q": "Migracoop"})
            assert reply.status_code == 503
            assert "unavailable" in reply.json()["message"]["en"]
            assert "***" in reply.json()["message"]["en"] or "@" not in url
        finally:
            start_pg(pgdata)
        assert wait_for(client, 200).status_code == 200


def test_database_down_at_start_up_is_a_503_then_loads(own_pg, seed_index, embedder):
    pgdata, url = own_pg
    stop_pg(pgdata)
    try:
        client = pg_app(url, seed_index, embedder=embedder, database_timeout_ms=500)
        client.__enter__()
        reply = client.get("/api/search", params={"q": "Migracoop"})
        assert reply.status_code == 503
        assert "not loaded" in reply.json()["message"]["en"]
    finally:
        start_pg(pgdata)
    try:
        assert wait_for(client, 200, seconds=60).status_code == 200
    finally:
        client.__exit__(None, None, None)


@pytest.mark.real_model
def test_postgres_gives_the_recorded_run(pg_searcher):
    """The recorded run of the embedded path (`eval/fixtures/seed_run.jsonl`), unchanged on
    the postgres backend: same resources in the same order, same answers."""
    from dataclasses import asdict

    from eval.data import default_eval_dir, load_question_set
    from eval.fixture import DEFAULT_FIXTURE, FIXTURE_SPLITS, compare_runs, read_fixture, record
    from search_service.pipeline import run_search

    qs = load_question_set(default_eval_dir())
    questions = [(q.id, q.text) for q in qs.queries if q.split in FIXTURE_SPLITS]
    got = record(questions, lambda text: asdict(run_search(pg_searcher, text)))
    problems = compare_runs(read_fixture(DEFAULT_FIXTURE), got,
                            pg_searcher.answer_config.confidence_threshold)
    assert problems == [], "\n".join(problems[:20])


def test_bench_pgscale_measures_hnsw_against_exact(tmp_path, capsys):
    """`eval bench --parts pgscale`: a synthetic pgvector table, its HNSW and exact rows."""
    import json

    from eval.__main__ import main

    out = tmp_path / "bench.json"
    assert main(["bench", "--parts", "pgscale", "--pg-sizes", "2000", "--scale-queries", "8",
                 "--json", str(out)]) == 0
    assert "pgvector over 2000 synthetic rows" in capsys.readouterr().out
    (size,) = json.loads(out.read_text())["pgscale"]
    exact = size["rows"][-1]
    assert size["n"] == 2000 and exact["index"] == "exact (seq scan)"
    assert exact["recall_at_10"] == 1.0
    assert all(0.5 < r["recall_at_10"] <= 1.0 for r in size["rows"])


@pytest.mark.fast
def test_the_embedded_path_never_imports_psycopg():
    """The core and the embedded service load without the database driver."""
    import subprocess
    import sys

    code = ("import sys, search_service.app, search_service.loading, search_service.pipeline, "
            "indexer.build, eval.runner; print(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('psycopg', 'psycopg_pool', 'pgserver')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent)
    assert out.stdout.strip() == "[]"
