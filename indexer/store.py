"""An index is a directory with a manifest, written beside the old one and switched atomically.

Layout: `INDEX_DIR/versions/<timestamp>/{vectors.faiss, vectors.npy, passages.jsonl,
resources.jsonl, sentences.jsonl, sentences.npy, bm25/, bm25-public/, manifest.json}` and
`INDEX_DIR/current`, a symlink to the live version (`indexer.versions`). A version directory
is complete before `current` points at it, so a reader never sees half. Loading checks every
file and row (`indexer.schema`); any disagreement is an `IndexLoadError` naming the file.
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import IndexLoadError
from indexer.schema import (
    PASSAGE,
    PASSAGE_OPTIONAL,
    RESOURCE,
    RESOURCE_OPTIONAL,
    SENTENCE,
    check_manifest,
    read_rows,
)
from indexer.versions import list_versions, new_temp_version, prune_versions, switch_current

FAISS_FILE = "vectors.faiss"
VECTORS_FILE = "vectors.npy"
PASSAGES_FILE = "passages.jsonl"
RESOURCES_FILE = "resources.jsonl"
MANIFEST_FILE = "manifest.json"
SENTENCES_FILE = "sentences.jsonl"
SENTENCE_VECTORS_FILE = "sentences.npy"
# 2: BM25 per visibility (bm25/ for members, bm25-public/ for anonymous callers).
FORMAT_VERSION = 2
FLAT_LIMIT = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128

# Re-exported: callers import the whole index API from here.
__all__ = ["IndexData", "IndexLoadError", "list_versions", "load_index", "prune_versions",
           "read_manifest", "resolve_version", "switch_current", "write_version"]


@dataclass
class IndexData:
    """A loaded index version: everything the service needs to search."""

    path: Path
    manifest: dict[str, Any]
    resources: list[dict[str, Any]]
    passages: list[dict[str, Any]]
    vectors: np.ndarray
    faiss_index: Any
    sentences: list[dict[str, Any]] = field(default_factory=list)
    sentence_vectors: np.ndarray | None = None


def choose_index_type(n_vectors: int, flat_limit: int = FLAT_LIMIT) -> str:
    """Exact search while it is fast enough; HNSW above `flat_limit` vectors."""
    return "flat" if n_vectors < flat_limit else "hnsw"


def build_faiss(vectors: np.ndarray, ids: np.ndarray, index_type: str) -> Any:
    """Inner product on unit vectors, inside an IndexIDMap2 that carries the passage ids.

    HNSW cannot remove vectors, so changes always rebuild from the stored vectors.
    """
    import faiss

    dim = vectors.shape[1]
    if index_type == "flat":
        inner = faiss.IndexFlatIP(dim)
    elif index_type == "hnsw":
        inner = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
        inner.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        inner.hnsw.efSearch = HNSW_EF_SEARCH
    else:
        raise ValueError(f"unknown index type {index_type!r} (flat or hnsw)")
    index = faiss.IndexIDMap2(inner)
    if len(vectors):
        index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                           np.ascontiguousarray(ids, dtype=np.int64))
    return index


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def write_version(
    index_dir: Path,
    manifest: dict[str, Any],
    resources: list[dict[str, Any]],
    passages: list[dict[str, Any]],
    vectors: np.ndarray,
    write_extra: Callable[[Path], None] | None = None,
    sentences: list[dict[str, Any]] | None = None,
    sentence_vectors: np.ndarray | None = None,
) -> Path:
    """Write a complete new version, then switch `current` to it. Returns the version dir.

    `write_extra(tmp_dir)` adds files that belong to the version (the BM25 index).
    """
    import faiss

    versions = index_dir / "versions"
    tmp, stamp = new_temp_version(versions)
    try:
        ids = np.array([int(p["id"]) for p in passages], dtype=np.int64)
        index = build_faiss(vectors, ids, manifest["faiss"]["type"])
        faiss.write_index(index, str(tmp / FAISS_FILE))
        np.save(tmp / VECTORS_FILE, np.ascontiguousarray(vectors, dtype=np.float32))
        _write_jsonl(tmp / PASSAGES_FILE, passages)
        _write_jsonl(tmp / RESOURCES_FILE, resources)
        if sentences is not None and sentence_vectors is not None:
            _write_jsonl(tmp / SENTENCES_FILE, sentences)
            np.save(tmp / SENTENCE_VECTORS_FILE,
                    np.ascontiguousarray(sentence_vectors, dtype=np.float32))
        if write_extra is not None:
            write_extra(tmp)
        (tmp / MANIFEST_FILE).write_text(
            json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        final = versions / stamp
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    switch_current(index_dir, final)
    return final


NO_INDEX_HINT = "build one with `python -m indexer build SEEDS_DIR --out DIR`"


def _follow_current(current: Path) -> Path:
    """The version `current` points to; a loop or a dangling link names the link."""
    try:
        target = Path(os.path.realpath(current, strict=True))
    except OSError as exc:
        try:
            points_to = os.readlink(current)
        except OSError:
            points_to = "?"
        if exc.errno == errno.ELOOP:
            raise IndexLoadError(current, f"is a symlink loop (it points to {points_to!r})") \
                from exc
        raise IndexLoadError(current, f"points to {points_to!r}, which does not exist "
                                      f"({exc.strerror or exc})") from exc
    if not (target / MANIFEST_FILE).is_file():
        raise IndexLoadError(current, f"points to {target}, a version without {MANIFEST_FILE}")
    return target


def resolve_version(path: Path) -> Path:
    """An index directory (follows `current`) or a version directory itself."""
    current = path / "current"
    if current.is_symlink():
        return _follow_current(current)
    if not path.is_dir():
        raise IndexLoadError(path, f"no such index directory; {NO_INDEX_HINT}")
    if (path / MANIFEST_FILE).is_file():
        return path
    if current.exists():
        return _follow_current(current)
    raise IndexLoadError(path, f"holds neither {MANIFEST_FILE} nor a `current` version; "
                               f"{NO_INDEX_HINT}")


def read_manifest(version: Path) -> dict[str, Any]:
    path = version / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IndexLoadError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexLoadError(path, f"is not valid JSON ({exc})") from exc
    version_seen = manifest.get("format_version") if isinstance(manifest, dict) else None
    if version_seen != FORMAT_VERSION:
        raise IndexLoadError(path, f"format version {version_seen!r}, "
                                   f"this code reads {FORMAT_VERSION}: rebuild the index")
    check_manifest(path, manifest)
    return manifest


def _read_faiss(path: Path) -> Any:
    import faiss

    if not path.is_file():
        raise IndexLoadError(path, "is missing")
    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        first = re.sub(r"^Error in .*? at \S+:\d+: ", "", first)  # faiss's C++ location
        raise IndexLoadError(path, f"is corrupt or truncated (faiss: {first[:200]})") from exc


def read_array(path: Path, shape: tuple[int, ...] | None = None,
               dtype: Any = np.float32) -> np.ndarray:
    """A .npy file, checked for its dtype (None: any) and (when given) its shape."""
    try:
        array = np.load(path, allow_pickle=False)
    except FileNotFoundError as exc:
        raise IndexLoadError(path, "is missing") from exc
    except (OSError, ValueError, EOFError) as exc:
        raise IndexLoadError(path, f"is corrupt or truncated ({exc})") from exc
    if dtype is not None and array.dtype != np.dtype(dtype):
        raise IndexLoadError(path, f"holds {array.dtype} values, expected {np.dtype(dtype)}")
    if shape is not None and array.shape != shape:
        raise IndexLoadError(path, f"has shape {array.shape}, expected {shape}")
    return array


def _count(path: Path, rows: list[dict[str, Any]], what: str, expected: int) -> None:
    if len(rows) != expected:
        raise IndexLoadError(path, f"holds {len(rows)} {what}, the manifest says {expected}")


def load_index(path: Path, expected_model_checksum: str | None = None) -> IndexData:
    """Load and cross-check a version; every disagreement names the file at fault."""
    import faiss

    version = resolve_version(path)
    manifest = read_manifest(version)
    if expected_model_checksum is not None:
        got = manifest["model"]["checksum"]
        if got != expected_model_checksum:
            raise IndexLoadError(
                version / MANIFEST_FILE,
                f"was built with another model (checksum {str(got)[:12]}…, the loaded model "
                f"is {expected_model_checksum[:12]}…): rebuild the index with this model",
            )
    passages = read_rows(version / PASSAGES_FILE, PASSAGE, PASSAGE_OPTIONAL)
    resources = read_rows(version / RESOURCES_FILE, RESOURCE, RESOURCE_OPTIONAL)
    _count(version / PASSAGES_FILE, passages, "passages", manifest["corpus"]["passages"])
    _count(version / RESOURCES_FILE, resources, "resources", manifest["corpus"]["resources"])
    _check_references(version, passages, resources)
    dim = manifest["model"]["dimension"]
    vectors = read_array(version / VECTORS_FILE, (len(passages), dim))
    index = _read_faiss(version / FAISS_FILE)
    if index.ntotal != len(passages) or index.d != dim:
        raise IndexLoadError(version / FAISS_FILE, f"holds {index.ntotal} vectors of dimension "
                             f"{index.d}, expected {len(passages)} of {dim}")
    try:
        ids = faiss.vector_to_array(index.id_map)
    except AttributeError as exc:
        raise IndexLoadError(version / FAISS_FILE, "has no id map (IndexIDMap2)") from exc
    if [str(i) for i in ids.tolist()] != [p["id"] for p in passages]:
        raise IndexLoadError(version / FAISS_FILE, f"its ids disagree with {PASSAGES_FILE}")
    sentences, sentence_vectors = _load_sentences(version, manifest, passages, dim)
    return IndexData(version, manifest, resources, passages, vectors, index, sentences,
                     sentence_vectors)


def _check_references(version: Path, passages: list[dict[str, Any]],
                      resources: list[dict[str, Any]]) -> None:
    """Passage ids are 63-bit integers; every passage names a resource that exists."""
    bad = next((p["id"] for p in passages if not p["id"].isdigit() or int(p["id"]) >= 2**63),
               None)
    if bad is not None:
        raise IndexLoadError(version / PASSAGES_FILE, f"passage id {bad[:40]!r} is not a "
                             "63-bit integer")
    orphans = {p["resource_id"] for p in passages} - {r["id"] for r in resources}
    if orphans:
        raise IndexLoadError(version / PASSAGES_FILE, f"names resources missing from "
                             f"{RESOURCES_FILE}: {sorted(orphans)[:3]}")


def _load_sentences(version: Path, manifest: dict[str, Any], passages: list[dict[str, Any]],
                    dim: int) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    """Sentence rows and vectors, when the manifest says the version has them."""
    expected = manifest.get("sentences", {}).get("count")
    if expected is None:
        return [], None
    rows = read_rows(version / SENTENCES_FILE, SENTENCE)
    _count(version / SENTENCES_FILE, rows, "sentences", expected)
    vectors = read_array(version / SENTENCE_VECTORS_FILE, (expected, dim))
    for n, r in enumerate(rows, 1):
        if not 0 <= r["passage"] < len(passages) or not (
                0 <= r["start"] <= r["end"] <= len(passages[r["passage"]]["text"])):
            raise IndexLoadError(version / SENTENCES_FILE, f"row {n} names a passage or a "
                                 "span that does not exist")
    return rows, vectors
