"""An index is a directory with a manifest, written beside the old one and switched atomically.

Layout: `INDEX_DIR/versions/<timestamp>/{vectors.faiss, vectors.npy, passages.jsonl,
resources.jsonl, sentences.jsonl, sentences.npy, bm25/, bm25-public/, config.json,
manifest.json}` and
`INDEX_DIR/current`, a symlink to the live version (`indexer.versions`). A version directory
is complete before `current` points at it, so a reader never sees half. Loading checks every
file and row (`indexer.opening`); any disagreement is an `IndexLoadError` naming the file.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import IndexLoadError
from indexer.manifest import FORMAT_VERSION, Manifest
from indexer.search_config import CONFIG_FILE, SearchConfig, checksum, config_text
from indexer.versions import list_versions, new_temp_version, prune_versions, switch_current

FAISS_FILE = "vectors.faiss"
VECTORS_FILE = "vectors.npy"
PASSAGES_FILE = "passages.jsonl"
RESOURCES_FILE = "resources.jsonl"
MANIFEST_FILE = "manifest.json"
SENTENCES_FILE = "sentences.jsonl"
SENTENCE_VECTORS_FILE = "sentences.npy"
FLAT_LIMIT = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128

__all__ = ["FORMAT_VERSION", "IndexLoadError", "build_faiss", "choose_index_type", "list_versions",
           "prune_versions", "switch_current",
           "read_array", "write_version"]


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


def _write_vectors(tmp: Path, manifest: Manifest, passages: list[dict[str, Any]],
                   vectors: np.ndarray) -> None:
    """The FAISS index (of the manifest's type, carrying the passage ids) and the vectors."""
    import faiss

    ids = np.array([int(p["id"]) for p in passages], dtype=np.int64)
    faiss.write_index(build_faiss(vectors, ids, manifest.faiss.type), str(tmp / FAISS_FILE))
    np.save(tmp / VECTORS_FILE, np.ascontiguousarray(vectors, dtype=np.float32))


def _write_rows(tmp: Path, resources: list[dict[str, Any]], passages: list[dict[str, Any]],
                sentences: list[dict[str, Any]] | None,
                sentence_vectors: np.ndarray | None) -> None:
    """Passages and resources; the sentences and their vectors when both are given."""
    _write_jsonl(tmp / PASSAGES_FILE, passages)
    _write_jsonl(tmp / RESOURCES_FILE, resources)
    if sentences is not None and sentence_vectors is not None:
        _write_jsonl(tmp / SENTENCES_FILE, sentences)
        np.save(tmp / SENTENCE_VECTORS_FILE,
                np.ascontiguousarray(sentence_vectors, dtype=np.float32))


def write_version(
    index_dir: Path,
    manifest: Manifest,
    config: SearchConfig,
    resources: list[dict[str, Any]],
    passages: list[dict[str, Any]],
    vectors: np.ndarray,
    write_extra: Callable[[Path], None] | None = None,
    sentences: list[dict[str, Any]] | None = None,
    sentence_vectors: np.ndarray | None = None,
) -> Path:
    """Write a complete new version, then switch `current` to it. Returns the version dir.

    `write_extra(tmp_dir)` adds files that belong to the version (the BM25 index); `config`
    is written as the version's configuration file, which the manifest must name.
    """
    text = config_text(config)
    if (manifest.config.file, manifest.config.sha256) != (CONFIG_FILE, checksum(text)):
        raise ValueError("the manifest does not name this configuration (use config_section)")

    versions = index_dir / "versions"
    tmp, stamp = new_temp_version(versions)
    try:
        _write_vectors(tmp, manifest, passages, vectors)
        _write_rows(tmp, resources, passages, sentences, sentence_vectors)
        if write_extra is not None:
            write_extra(tmp)
        (tmp / CONFIG_FILE).write_text(text, encoding="utf-8")
        (tmp / MANIFEST_FILE).write_text(
            json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8")
        final = versions / stamp
        os.rename(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    switch_current(index_dir, final)
    return final


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


