"""Open the current index version from PostgreSQL: the same `IndexData` as a directory gives.

The rows (resources, passages, sentences and their vectors), the manifest and the search
configuration (its checksum checked) are read once; the in-memory ranking signals the core
uses besides the SQL candidates — the stemmed and edge n-gram BM25 fields, from which RM3,
the field lexicon's expansion and the no-answer vocabulary read — are rebuilt from the
stored embedded texts, per visibility, by the indexer's own functions, so they equal the
embedded build's. FAISS is not loaded: dense candidates come from pgvector.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import IndexLoadError
from indexer.lexical import Analyzer, build_bm25_per_visibility
from indexer.manifest import Manifest
from indexer.ngrams import MANIFEST_KEY, NgramSettings, build_ngram_bm25
from indexer.opening import IndexData
from indexer.pg_store import schema_for
from indexer.search_config import CONFIG_FILE, SearchConfig, checksum

# IndexData.path of a database version: not a directory, the version's name under it.
PG_ROOT = Path("/postgres")


@dataclass
class PgVersion:
    """An opened database version: its rows and the signals rebuilt from them."""

    data: IndexData
    schema: str
    ngram: tuple[NgramSettings, dict[str, Any]]
    resource_vectors: np.ndarray


def current_name(conn: Any) -> str | None:
    """The version `rtes_current` names (None: nothing published yet)."""
    row = conn.execute("SELECT name FROM rtes_current").fetchone() \
        if _has_catalog(conn) else None
    return row[0] if row else None


def _has_catalog(conn: Any) -> bool:
    row = conn.execute("SELECT to_regclass('rtes_current') IS NOT NULL").fetchone()
    return bool(row and row[0])


def parse_vectors(texts: list[str], dim: int) -> np.ndarray:
    """pgvector text forms → a float32 matrix."""
    if not texts:
        return np.zeros((0, dim), dtype=np.float32)
    joined = ",".join(t[1:-1] for t in texts)
    return np.array(joined.split(","), dtype=np.float32).reshape(len(texts), dim)


def _manifest(conn: Any, schema: str, where: Path) -> tuple[Manifest, SearchConfig]:
    manifest_json, config_text = conn.execute(
        f"SELECT manifest, config_text FROM {schema}.version").fetchone()
    manifest = Manifest.from_dict(manifest_json, where / "manifest.json")
    if checksum(config_text) != manifest.config.sha256:
        raise IndexLoadError(where / CONFIG_FILE, "differs from the checksum its manifest "
                                                  "records: publish the version again")
    return manifest, SearchConfig.from_dict(json.loads(config_text), where / CONFIG_FILE)


def _rows(conn: Any, schema: str, dim: int) -> dict[str, Any]:
    resources = conn.execute(f"SELECT body, vector::text FROM {schema}.resources "
                             "ORDER BY pos").fetchall()
    passages = conn.execute(f"SELECT body, embedded_text FROM {schema}.passages "
                            "ORDER BY pos").fetchall()
    sentences = conn.execute(f"SELECT body, embedding::text FROM {schema}.sentences "
                             "ORDER BY pos").fetchall()
    return {"resources": [r for r, _ in resources],
            "resource_vectors": parse_vectors([v for _, v in resources], dim),
            "passages": [p for p, _ in passages], "texts": [t for _, t in passages],
            "sentences": [s for s, _ in sentences],
            "sentence_vectors": parse_vectors([v for _, v in sentences], dim)}


def open_pg_version(conn: Any, name: str) -> PgVersion:
    """Read version `name` and rebuild its in-memory signals; a problem names the version."""
    schema, where = schema_for(name), PG_ROOT / name
    if not conn.execute("SELECT to_regnamespace(%s) IS NOT NULL", (schema,)).fetchone()[0]:
        raise IndexLoadError(where, f"has no schema {schema} in the database")
    manifest, config = _manifest(conn, schema, where)
    dim = manifest.model.dimension
    rows = _rows(conn, schema, dim)
    if len(rows["passages"]) != manifest.corpus.passages:
        raise IndexLoadError(where, f"holds {len(rows['passages'])} passages, the manifest "
                                    f"says {manifest.corpus.passages}")
    if manifest.lexical is None or manifest.sentences is None:
        raise IndexLoadError(where, "has no lexical or sentences section: rebuild it")
    analyzer = Analyzer.from_dict(manifest.lexical.analyzer)
    private_ids = {r["id"] for r in rows["resources"] if r["private"]}
    private = [p["resource_id"] in private_ids for p in rows["passages"]]
    data = IndexData(where, manifest, config, rows["resources"], rows["passages"],
                     np.zeros((0, dim), dtype=np.float32), None, rows["sentences"],
                     rows["sentence_vectors"], analyzer,
                     build_bm25_per_visibility(rows["texts"], private, analyzer))
    section = manifest.to_dict().get(MANIFEST_KEY)
    if not isinstance(section, dict):
        raise IndexLoadError(where, f"has no {MANIFEST_KEY} section: rebuild it")
    settings = NgramSettings.from_dict(section)
    ngram = (settings, build_ngram_bm25(rows["texts"], private, analyzer, settings))
    return PgVersion(data, schema, ngram, rows["resource_vectors"])
