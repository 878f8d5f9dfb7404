"""The PostgreSQL backend's candidates: pgvector for the dense half, BM25 over tsvectors for
the lexical half, visibility and filters in the WHERE clause of both.

Privacy: an anonymous query's SQL says `NOT private` before it ranks, so a private row takes
no rank; its HNSW index is a partial one built over public passages only, so even the
approximate graph it walks never held a private vector; the inner product depends on the
query and the row alone; and the BM25 reads its document frequencies, document count and
average length from `term_stats` / `field_stats` rows counted over the passages of the
caller's visibility (`indexer.pg_store.STATS`). No statistic a private row influences
reaches an anonymous score. (`ts_rank` would also meet that rule — it uses no corpus
statistic — but it is not BM25 and would change the embedded path's ranking.)

Imported only when `RTES_BACKEND=postgres`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import numpy as np
import psycopg
from psycopg_pool import ConnectionPool, PoolTimeout

from indexer.lexical import BM25_PARAMS
from indexer.pg_store import first_line, redact, vector_text
from indexer.visibility import MEMBER
from search_service.retrieval import Filters
from search_service.storage import StorageUnavailable

log = logging.getLogger("search_service.postgres")
T = TypeVar("T")
# bm25s's `lucene` method: Lucene's IDF, and tf / (tf + k1 (1 - b + b dl / avgdl)) without
# the classic (k1 + 1) numerator (a constant factor, but min-max scaling is not all it meets).
# Lexical candidates kept per query: every match at the seeds' size, as bm25s scores them all.
LEXICAL_LIMIT = 10_000
# HNSW's candidate list (pgvector's default is 40), set per connection so a search is one
# statement; a search asking more candidates than this sets it for its own transaction.
EF_SEARCH = 100

LEXICAL_SQL = """
WITH q AS (SELECT s.term, s.df, count(*) AS qtf
           FROM unnest(%(terms)s::text[]) AS t (term)
           JOIN {s}.term_stats s ON s.term = t.term AND s.who = %(who)s
           GROUP BY s.term, s.df),
     f AS (SELECT n, avgdl FROM {s}.field_stats WHERE who = %(who)s)
SELECT p.pos, sum(q.qtf * ln(1 + (f.n - q.df + 0.5) / (q.df + 0.5))
                  * cardinality(l.positions)
                  / (cardinality(l.positions)
                     + %(k1)s * (1 - %(b)s + %(b)s * p.length / f.avgdl))) AS score
FROM {s}.passages p CROSS JOIN f
CROSS JOIN LATERAL unnest(p.tsv) AS l (lexeme, positions, weights)
JOIN q ON q.term = l.lexeme
WHERE p.tsv @@ %(query)s::tsquery {where}
GROUP BY p.pos ORDER BY score DESC, p.pos LIMIT %(limit)s
"""


def where_clause(filters: Filters) -> tuple[str, dict[str, Any]]:
    """The filters as SQL (`AND …`), visibility first, as `Searcher.allowed` reads them."""
    parts, params = [], {}
    if not filters.member:
        parts.append("NOT p.private")
    if filters.kinds:
        parts.append("p.kind = ANY(%(kinds)s)")
        params["kinds"] = list(filters.kinds)
    if filters.year_from is not None:
        parts.append("p.year >= %(year_from)s")
        params["year_from"] = filters.year_from
    if filters.year_to is not None:
        parts.append("p.year >= 0 AND p.year <= %(year_to)s")
        params["year_to"] = filters.year_to
    return "".join(f" AND {p}" for p in parts), params


def tsquery_text(terms: Sequence[str]) -> str:
    """Any of the terms, quoted (the analyzer's terms, matched as they are)."""
    quoted = ("'" + t.replace("\\", "\\\\").replace("'", "''") + "'" for t in terms)
    return " | ".join(dict.fromkeys(quoted))


class Database:
    """A connection pool with a statement timeout; every failure a `StorageUnavailable`."""

    def __init__(self, url: str, timeout_ms: int = 2000, size: int = 4) -> None:
        self.url = url
        self.pool = ConnectionPool(
            url, min_size=1, max_size=size, open=False, timeout=timeout_ms / 1000,
            check=ConnectionPool.check_connection, name="rtes",
            kwargs={"options": f"-c statement_timeout={timeout_ms} -c hnsw.ef_search="
                               f"{EF_SEARCH}", "connect_timeout": 5, "autocommit": True})
        self.pool.open(wait=False)

    def run(self, work: Callable[[Any], T]) -> T:
        """`work(connection)` in a transaction; a database that is down or too slow is a
        `StorageUnavailable` naming the database (never its password)."""
        try:
            with self.pool.connection() as conn:
                return work(conn)
        except (psycopg.OperationalError, PoolTimeout, psycopg.errors.QueryCanceled,
                psycopg.errors.AdminShutdown) as exc:
            raise StorageUnavailable(f"database {redact(self.url)} unavailable: "
                                     f"{first_line(exc)}") from exc
        except psycopg.errors.UndefinedTable as exc:  # pruned while it was still live
            raise StorageUnavailable("the version being served was pruned from the database; "
                                     "the service loads the current one at its next check"
                                     ) from exc

    def close(self) -> None:
        self.pool.close()


class PostgresStorage:
    """Candidates from the version's schema; positions are the rows' `pos`."""

    def __init__(self, database: Database, schema: str, size: int) -> None:
        self.database = database
        self.schema = schema
        self.size = size

    def dense_scores(self, query_vector: np.ndarray, mask: np.ndarray, filters: Filters,
                     k: int) -> np.ndarray:
        where, params = where_clause(filters)
        params.update(vector=vector_text(query_vector), k=max(k, 1))
        sql = (f"SELECT p.pos, -(p.embedding <#> %(vector)s::vector) FROM {self.schema}"
               f".passages p WHERE true{where} ORDER BY p.embedding <#> %(vector)s::vector "
               "LIMIT %(k)s")

        def work(conn: Any) -> list[tuple[int, float]]:
            if k <= EF_SEARCH:
                return conn.execute(sql, params).fetchall()
            with conn.transaction():
                conn.execute(f"SET LOCAL hnsw.ef_search = {min(k, 1000)}")
                return conn.execute(sql, params).fetchall()

        scores = np.full(self.size, -1.0, dtype=np.float32)
        for pos, sim in self.database.run(work):
            scores[pos] = sim
        return np.where(mask, scores, -1.0).astype(np.float32)

    def lexical_scores(self, tokens: Sequence[str], who: str, mask: np.ndarray,
                       filters: Filters) -> np.ndarray:
        scores = np.zeros(self.size, dtype=np.float32)
        if not tokens:
            return scores
        where, params = where_clause(Filters(filters.kinds, filters.year_from,
                                             filters.year_to, member=who == MEMBER))
        params.update(terms=list(tokens), who=who, query=tsquery_text(tokens),
                      k1=BM25_PARAMS["k1"], b=BM25_PARAMS["b"], limit=LEXICAL_LIMIT)
        sql = LEXICAL_SQL.format(s=self.schema, where=where)
        for pos, score in self.database.run(lambda conn: conn.execute(sql, params).fetchall()):
            scores[pos] = score
        return np.where(mask, scores, 0.0).astype(np.float32)
