"""An index is a directory with a manifest, written beside the old one and switched atomically.

Layout: `INDEX_DIR/versions/<timestamp>/{vectors.faiss, vectors.npy, passages.jsonl,
resources.jsonl, manifest.json}` and `INDEX_DIR/current`, a symlink to the live version.
A version directory is complete before `current` points at it, so a reader never sees half.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import IndexerError

FAISS_FILE = "vectors.faiss"
VECTORS_FILE = "vectors.npy"
PASSAGES_FILE = "passages.jsonl"
RESOURCES_FILE = "resources.jsonl"
MANIFEST_FILE = "manifest.json"
SENTENCES_FILE = "sentences.jsonl"
SENTENCE_VECTORS_FILE = "sentences.npy"
FORMAT_VERSION = 1
FLAT_LIMIT = 50_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 200
HNSW_EF_SEARCH = 128


class IndexLoadError(IndexerError):
    """An index file that is missing, corrupt or disagrees with the rest."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        super().__init__(f"{self.path}: {reason}")


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


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def switch_current(index_dir: Path, version_dir: Path) -> None:
    """Point `current` at `version_dir` with one atomic rename."""
    tmp_link = index_dir / f".current-{os.getpid()}"
    if tmp_link.is_symlink() or tmp_link.exists():
        tmp_link.unlink()
    tmp_link.symlink_to(os.path.relpath(version_dir, index_dir))
    os.replace(tmp_link, index_dir / "current")
    _fsync_dir(index_dir)


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
    versions.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    tmp = versions / f".tmp-{stamp}"
    tmp.mkdir()
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


def list_versions(index_dir: Path) -> list[Path]:
    versions = index_dir / "versions"
    if not versions.is_dir():
        return []
    return sorted(p for p in versions.iterdir() if p.is_dir() and not p.name.startswith("."))


def prune_versions(index_dir: Path, keep: int = 3) -> list[Path]:
    """Remove all but the newest `keep` versions, never the live one."""
    live = (index_dir / "current").resolve() if (index_dir / "current").exists() else None
    removed = []
    for version in list_versions(index_dir)[:-keep] if keep > 0 else []:
        if version.resolve() != live:
            shutil.rmtree(version, ignore_errors=True)
            removed.append(version)
    return removed


def resolve_version(path: Path) -> Path:
    """An index directory (follows `current`) or a version directory itself."""
    if not path.exists():
        raise IndexLoadError(path, "no such index directory; build one with "
                                   "`python -m indexer build SEEDS_DIR --out DIR`")
    if (path / MANIFEST_FILE).is_file():
        return path
    current = path / "current"
    if current.is_symlink() or current.exists():
        target = current.resolve()
        if not (target / MANIFEST_FILE).is_file():
            raise IndexLoadError(current, "points to a version without manifest.json")
        return target
    raise IndexLoadError(path, "holds neither manifest.json nor a `current` version; "
                               "build one with `python -m indexer build SEEDS_DIR --out DIR`")


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    rows = []
    try:
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise IndexLoadError(path, f"line {n} is not JSON ({exc.msg})") from exc
    except OSError as exc:
        raise IndexLoadError(path, f"cannot be read ({exc.strerror})") from exc
    return rows


def read_manifest(version: Path) -> dict[str, Any]:
    path = version / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IndexLoadError(path, f"cannot be read ({exc.strerror})") from exc
    except json.JSONDecodeError as exc:
        raise IndexLoadError(path, f"is not valid JSON ({exc.msg})") from exc
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexLoadError(path, f"format version {manifest.get('format_version')!r}, "
                                   f"this code reads {FORMAT_VERSION}: rebuild the index")
    return manifest


def _read_faiss(path: Path) -> Any:
    import faiss

    if not path.is_file():
        raise IndexLoadError(path, "is missing")
    try:
        return faiss.read_index(str(path))
    except RuntimeError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "unreadable"
        raise IndexLoadError(path, f"is corrupt or truncated ({first[:200]})") from exc


def _read_vectors(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise IndexLoadError(path, f"is corrupt or unreadable ({exc})") from exc


def load_index(path: Path, expected_model_checksum: str | None = None) -> IndexData:
    """Load and cross-check a version; every disagreement names the file at fault."""
    import faiss

    version = resolve_version(path)
    manifest = read_manifest(version)
    if expected_model_checksum is not None:
        got = manifest.get("model", {}).get("checksum")
        if got != expected_model_checksum:
            raise IndexLoadError(
                version / MANIFEST_FILE,
                f"was built with another model (checksum {str(got)[:12]}…, the loaded model "
                f"is {expected_model_checksum[:12]}…): rebuild the index with this model",
            )
    passages = _read_jsonl(version / PASSAGES_FILE)
    resources = _read_jsonl(version / RESOURCES_FILE)
    vectors = _read_vectors(version / VECTORS_FILE)
    index = _read_faiss(version / FAISS_FILE)
    dim = manifest["model"]["dimension"]
    counts = manifest["corpus"]
    if len(passages) != counts["passages"]:
        raise IndexLoadError(version / PASSAGES_FILE, f"holds {len(passages)} passages, "
                             f"the manifest says {counts['passages']}")
    if len(resources) != counts["resources"]:
        raise IndexLoadError(version / RESOURCES_FILE, f"holds {len(resources)} resources, "
                             f"the manifest says {counts['resources']}")
    if vectors.ndim != 2 or vectors.shape != (len(passages), dim):
        raise IndexLoadError(version / VECTORS_FILE, f"has shape {vectors.shape}, expected "
                             f"({len(passages)}, {dim}) from passages.jsonl and the manifest")
    if index.ntotal != len(passages) or index.d != dim:
        raise IndexLoadError(version / FAISS_FILE, f"holds {index.ntotal} vectors of dimension "
                             f"{index.d}, expected {len(passages)} of {dim}")
    ids = faiss.vector_to_array(index.id_map)
    if [str(i) for i in ids.tolist()] != [p["id"] for p in passages]:
        raise IndexLoadError(version / FAISS_FILE, "its ids disagree with passages.jsonl")
    known = {r["id"] for r in resources}
    orphans = {p["resource_id"] for p in passages} - known
    if orphans:
        missing = sorted(orphans)[:3]
        raise IndexLoadError(version / PASSAGES_FILE,
                             f"names resources missing from {RESOURCES_FILE}: {missing}")
    sentences, sentence_vectors = _load_sentences(version, manifest, len(passages), dim)
    return IndexData(version, manifest, resources, passages, vectors, index, sentences,
                     sentence_vectors)


def _load_sentences(version: Path, manifest: dict[str, Any], n_passages: int,
                    dim: int) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    """Sentence rows and vectors, when the manifest says the version has them."""
    expected = manifest.get("sentences", {}).get("count")
    if expected is None:
        return [], None
    rows = _read_jsonl(version / SENTENCES_FILE)
    vectors = _read_vectors(version / SENTENCE_VECTORS_FILE)
    if len(rows) != expected:
        raise IndexLoadError(version / SENTENCES_FILE,
                             f"holds {len(rows)} sentences, the manifest says {expected}")
    if vectors.shape != (expected, dim):
        raise IndexLoadError(version / SENTENCE_VECTORS_FILE,
                             f"has shape {vectors.shape}, expected ({expected}, {dim})")
    if any(not 0 <= r["passage"] < n_passages for r in rows):
        raise IndexLoadError(version / SENTENCES_FILE, "names passages that do not exist")
    return rows, vectors
