"""An index version in PostgreSQL: its own schema, written whole, then `current` switched.

`indexer build|update --backend postgres` builds the version as always (a staging index
directory, whose live version is where unchanged vectors are reused from), then publishes it
here: one schema per version (`rtes_<version>`) with its resources, passages (a `vector`
column and a `tsvector` of the French analyzer's terms), sentences, manifest and search
configuration, the HNSW and GIN indexes and the per-visibility BM25 statistics. The whole
schema is written in one transaction, so a failed publish leaves nothing; the one-row
`rtes_current` table is switched in a second one, and the service follows it.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from indexer.embed import format_embedding_text
from indexer.errors import IndexerError
from indexer.lexical import Analyzer
from indexer.opening import IndexData
from indexer.resource_vectors import load_resource_vectors
from indexer.visibility import MEMBER, PUBLIC

SCHEMA_PREFIX = "rtes_"
# tsvector limits (PostgreSQL): positions above 16383 are clamped, 256 per lexeme at most;
# past them a term frequency would be wrong, so such a passage is refused.
MAX_POSITION = 16383
MAX_POSITIONS_PER_TERM = 256
HNSW = "WITH (m = 16, ef_construction = 64)"

CATALOG = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS rtes_versions (
    name text PRIMARY KEY, created timestamptz NOT NULL DEFAULT now(), passages int NOT NULL);
CREATE TABLE IF NOT EXISTS rtes_current (
    one boolean PRIMARY KEY DEFAULT true CHECK (one),
    name text NOT NULL REFERENCES rtes_versions (name),
    switched timestamptz NOT NULL DEFAULT now());
"""

TABLES = """
CREATE TABLE {s}.version (manifest jsonb NOT NULL, config_text text NOT NULL);
CREATE TABLE {s}.resources (pos int PRIMARY KEY, id text UNIQUE NOT NULL,
    private boolean NOT NULL, body jsonb NOT NULL, vector vector({d}));
CREATE TABLE {s}.passages (pos int PRIMARY KEY, id bigint UNIQUE NOT NULL,
    resource_id text NOT NULL REFERENCES {s}.resources (id), private boolean NOT NULL,
    kind text NOT NULL, year int NOT NULL, length int NOT NULL, tsv tsvector NOT NULL,
    embedding vector({d}) NOT NULL, embedded_text text NOT NULL, body jsonb NOT NULL);
CREATE TABLE {s}.sentences (pos int PRIMARY KEY, passage int NOT NULL,
    body jsonb NOT NULL, embedding vector({d}) NOT NULL);
CREATE TABLE {s}.term_stats (who text, term text, df int NOT NULL, PRIMARY KEY (who, term));
CREATE TABLE {s}.field_stats (who text PRIMARY KEY, n int NOT NULL, avgdl float8 NOT NULL);
"""

# Statistics per visibility, counted over the passages it sees (`indexer.visibility`).
STATS = f"""
INSERT INTO {{s}}.term_stats
SELECT w.who, l.lexeme, count(*) FROM {{s}}.passages p CROSS JOIN LATERAL unnest(p.tsv) l
JOIN (VALUES ('{PUBLIC}'), ('{MEMBER}')) w (who) ON w.who = '{MEMBER}' OR NOT p.private
GROUP BY w.who, l.lexeme;
INSERT INTO {{s}}.field_stats
SELECT w.who, count(*), avg(p.length) FROM {{s}}.passages p
JOIN (VALUES ('{PUBLIC}'), ('{MEMBER}')) w (who) ON w.who = '{MEMBER}' OR NOT p.private
GROUP BY w.who;
"""

# The anonymous HNSW graph is built over public passages only (a partial index).
INDEXES = f"""
CREATE INDEX ON {{s}}.passages USING hnsw (embedding vector_ip_ops) {HNSW};
CREATE INDEX ON {{s}}.passages USING hnsw (embedding vector_ip_ops) {HNSW} WHERE NOT private;
CREATE INDEX ON {{s}}.passages USING gin (tsv);
CREATE INDEX ON {{s}}.sentences (passage);
"""


class PublishError(IndexerError):
    """A version that cannot be published into PostgreSQL; names the row at fault."""


@contextmanager
def connect(url: str) -> Iterator[Any]:
    """One connection for the indexer (the service uses a pool, `search_service.pg_storage`)."""
    import psycopg

    try:
        conn = psycopg.connect(url, connect_timeout=10)
    except psycopg.OperationalError as exc:
        raise PublishError(f"database {redact(url)}: cannot connect ({first_line(exc)})") \
            from exc
    with conn:
        yield conn


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


def first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def schema_for(version: str) -> str:
    """`rtes_<version>`, lower case, only letters, digits and underscores."""
    return SCHEMA_PREFIX + re.sub(r"[^a-z0-9_]", "_", version.lower())


def vector_text(vector: np.ndarray) -> str:
    """pgvector's text form; float32 → repr → float4 gives back the same float."""
    return "[" + ",".join(map(repr, vector.astype(np.float32).tolist())) + "]"


def tsvector_text(terms: Sequence[str], where: str) -> str:
    """The analyzer's terms as a tsvector literal with positions (their frequencies)."""
    if len(terms) > MAX_POSITION:
        raise PublishError(f"{where}: {len(terms)} terms, more than a tsvector's "
                           f"{MAX_POSITION} positions")
    positions: dict[str, list[int]] = {}
    for at, term in enumerate(terms, 1):
        positions.setdefault(term, []).append(at)
    parts = []
    for term, found in positions.items():
        if len(found) > MAX_POSITIONS_PER_TERM:
            raise PublishError(f"{where}: term {term!r} occurs {len(found)} times, more "
                               f"than a tsvector keeps ({MAX_POSITIONS_PER_TERM})")
        quoted = term.replace("\\", "\\\\").replace("'", "''")
        parts.append(f"'{quoted}':{','.join(map(str, found))}")
    return " ".join(parts)


def embedded_texts(data: IndexData) -> list[str]:
    """The text each passage was embedded and BM25-indexed as (`indexer.embed.
    embedding_text`), checked against the hash the build recorded."""
    header = data.manifest.encoding.header_format
    resources = {r["id"]: r for r in data.resources}
    texts = []
    for row in data.passages:
        resource = resources[row["resource_id"]]
        section = f" — {row['section']}" if row.get("section") else ""
        text = format_embedding_text(header, title=resource["title"], kind=resource["kind"],
                                     section=section, text=row["text"])
        sha = row.get("embedding_sha")
        if sha is not None and hashlib.sha256(text.encode("utf-8")).hexdigest() != sha:
            raise PublishError(f"passage {row['id']}: its embedded text cannot be rebuilt "
                               "from its row (the embedding hash differs)")
        texts.append(text)
    return texts


def year_of(resource: dict[str, Any]) -> int:
    year = (resource.get("date") or "")[:4]
    return int(year) if year.isdigit() else -1


def _copy_resources(cur: Any, schema: str, data: IndexData) -> None:
    manifest = data.manifest.to_dict()
    dim = data.manifest.model.dimension
    vectors = load_resource_vectors(data.path, manifest, [r["id"] for r in data.resources], dim)
    with cur.copy(f"COPY {schema}.resources (pos, id, private, body, vector) FROM STDIN") as cp:
        for pos, row in enumerate(data.resources):
            cp.write_row((pos, row["id"], bool(row["private"]),
                          json.dumps(row, ensure_ascii=False), vector_text(vectors[pos])))


def _copy_passages(cur: Any, schema: str, data: IndexData, analyzer: Analyzer) -> None:
    resources = {r["id"]: r for r in data.resources}
    columns = "pos, id, resource_id, private, kind, year, length, tsv, embedding, " \
              "embedded_text, body"
    with cur.copy(f"COPY {schema}.passages ({columns}) FROM STDIN") as cp:
        for pos, (row, text) in enumerate(zip(data.passages, embedded_texts(data),
                                              strict=True)):
            resource = resources[row["resource_id"]]
            terms = analyzer.tokens(text)
            cp.write_row((pos, int(row["id"]), row["resource_id"], bool(resource["private"]),
                          resource["kind"], year_of(resource), len(terms),
                          tsvector_text(terms, f"passage {row['id']}"),
                          vector_text(data.vectors[pos]), text,
                          json.dumps(row, ensure_ascii=False)))


def _copy_sentences(cur: Any, schema: str, data: IndexData) -> None:
    if data.sentence_vectors is None:
        return
    with cur.copy(f"COPY {schema}.sentences (pos, passage, body, embedding) FROM STDIN") as cp:
        for pos, row in enumerate(data.sentences):
            cp.write_row((pos, row["passage"], json.dumps(row, ensure_ascii=False),
                          vector_text(data.sentence_vectors[pos])))


def write_schema(conn: Any, data: IndexData, name: str) -> str:
    """Every table of the version `name`, its indexes and statistics, in one transaction."""
    if data.analyzer is None:
        raise PublishError(f"{data.path}: the version has no lexical section")
    schema = schema_for(name)
    dim = data.manifest.model.dimension
    config_text = (data.path / data.manifest.config.file).read_text(encoding="utf-8")
    with conn.transaction(), conn.cursor() as cur:
        cur.execute(CATALOG)
        if cur.execute("SELECT 1 FROM rtes_versions WHERE name = %s", (name,)).fetchone():
            raise PublishError(f"version {name} is already in the database")
        cur.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")  # never registered: a leftover
        cur.execute(f"CREATE SCHEMA {schema}")
        cur.execute(TABLES.format(s=schema, d=dim))
        cur.execute(f"INSERT INTO {schema}.version VALUES (%s, %s)",
                    (json.dumps(data.manifest.to_dict(), ensure_ascii=False), config_text))
        _copy_resources(cur, schema, data)
        _copy_passages(cur, schema, data, data.analyzer)
        _copy_sentences(cur, schema, data)
        cur.execute(STATS.format(s=schema))
        cur.execute(INDEXES.format(s=schema))
        cur.execute(f"ANALYZE {schema}.passages")
        cur.execute("INSERT INTO rtes_versions (name, passages) VALUES (%s, %s)",
                    (name, len(data.passages)))
    return schema


def switch_current(conn: Any, name: str) -> None:
    """Point `rtes_current` at `name`, in one transaction (the service polls it)."""
    with conn.transaction():
        conn.execute("INSERT INTO rtes_current (one, name) VALUES (true, %s) ON CONFLICT (one) "
                     "DO UPDATE SET name = excluded.name, switched = now()", (name,))


def prune(conn: Any, keep: int = 3) -> list[str]:
    """Drop all but the `keep` newest versions (never the current one)."""
    rows = conn.execute("SELECT name FROM rtes_versions WHERE name NOT IN "
                        "(SELECT name FROM rtes_current) ORDER BY created DESC, name DESC"
                        ).fetchall()
    dropped = [name for (name,) in rows[max(keep - 1, 0):]]
    for name in dropped:
        with conn.transaction():
            conn.execute(f"DROP SCHEMA IF EXISTS {schema_for(name)} CASCADE")
            conn.execute("DELETE FROM rtes_versions WHERE name = %s", (name,))
    return dropped


def publish(url: str, data: IndexData, keep: int = 3, name: str | None = None
            ) -> tuple[str, list[str]]:
    """Write the opened version `data` into the database (as `name`, default its directory's
    name), make it current, prune; returns its name and the versions dropped."""
    name = name or data.path.name
    with connect(url) as conn:
        write_schema(conn, data, name)
        switch_current(conn, name)
        return name, prune(conn, keep)
