"""Open an index version: every file its manifest names is read and cross-checked.

`open_version` is the one way in (service, eval, inspect, update): FAISS, vectors, passages,
resources, sentences, the configuration file and each BM25 directory with its document count.
Any disagreement is an `IndexLoadError` naming the file at fault, raised before a model loads.
"""

from __future__ import annotations

import errno
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.errors import IndexLoadError
from indexer.lexical import Analyzer, load_bm25_per_visibility
from indexer.manifest import LexicalSection, Manifest
from indexer.schema import (
    PASSAGE,
    PASSAGE_OPTIONAL,
    RESOURCE,
    RESOURCE_OPTIONAL,
    SENTENCE,
    read_rows,
)
from indexer.search_config import SearchConfig, read_config
from indexer.store import (
    FAISS_FILE,
    MANIFEST_FILE,
    PASSAGES_FILE,
    RESOURCES_FILE,
    SENTENCE_VECTORS_FILE,
    SENTENCES_FILE,
    VECTORS_FILE,
    read_array,
)
from indexer.visibility import VISIBILITIES, visible_positions

NO_INDEX_HINT = "build one with `python -m indexer build SEEDS_DIR --out DIR`"


@dataclass
class IndexData:
    """An opened index version: everything the service needs to search."""

    path: Path
    manifest: Manifest
    config: SearchConfig
    resources: list[dict[str, Any]]
    passages: list[dict[str, Any]]
    vectors: np.ndarray
    faiss_index: Any
    sentences: list[dict[str, Any]] = field(default_factory=list)
    sentence_vectors: np.ndarray | None = None
    analyzer: Analyzer | None = None
    # Visibility (public, member) → the BM25 index over the passages it sees.
    bm25: dict[str, Any] = field(default_factory=dict)


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


def read_manifest(version: Path) -> Manifest:
    path = version / MANIFEST_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise IndexLoadError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise IndexLoadError(path, f"is not valid JSON ({exc})") from exc
    return Manifest.from_dict(data, path)


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


def _count(path: Path, rows: list[dict[str, Any]], what: str, expected: int) -> None:
    if len(rows) != expected:
        raise IndexLoadError(path, f"holds {len(rows)} {what}, the manifest says {expected}")


def open_version(path: Path) -> IndexData:
    """Open and cross-check the version at `path` (an index directory or a version)."""
    version = resolve_version(path)
    manifest = read_manifest(version)
    config = read_config(version / manifest.config.file, manifest.config.sha256)
    passages = read_rows(version / PASSAGES_FILE, PASSAGE, PASSAGE_OPTIONAL)
    resources = read_rows(version / RESOURCES_FILE, RESOURCE, RESOURCE_OPTIONAL)
    _count(version / PASSAGES_FILE, passages, "passages", manifest.corpus.passages)
    _count(version / RESOURCES_FILE, resources, "resources", manifest.corpus.resources)
    _check_references(version, passages, resources)
    dim = manifest.model.dimension
    vectors = read_array(version / VECTORS_FILE, (len(passages), dim))
    index = _check_faiss(version, passages, dim)
    sentences, sentence_vectors = _load_sentences(version, manifest, passages, dim)
    data = IndexData(version, manifest, config, resources, passages, vectors, index,
                     sentences, sentence_vectors)
    if manifest.lexical is not None:
        data.analyzer, data.bm25 = _load_lexical(version, manifest.lexical, data)
    return data


def _check_faiss(version: Path, passages: list[dict[str, Any]], dim: int) -> Any:
    import faiss

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
    return index


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


def _load_sentences(version: Path, manifest: Manifest, passages: list[dict[str, Any]],
                    dim: int) -> tuple[list[dict[str, Any]], np.ndarray | None]:
    """Sentence rows and vectors, when the manifest says the version has them."""
    if manifest.sentences is None:
        return [], None
    expected = manifest.sentences.count
    rows = read_rows(version / SENTENCES_FILE, SENTENCE)
    _count(version / SENTENCES_FILE, rows, "sentences", expected)
    vectors = read_array(version / SENTENCE_VECTORS_FILE, (expected, dim))
    for n, r in enumerate(rows, 1):
        if not 0 <= r["passage"] < len(passages) or not (
                0 <= r["start"] <= r["end"] <= len(passages[r["passage"]]["text"])):
            raise IndexLoadError(version / SENTENCES_FILE, f"row {n} names a passage or a "
                                 "span that does not exist")
    return rows, vectors


def _load_lexical(version: Path, lexical: LexicalSection, data: IndexData
                  ) -> tuple[Analyzer, dict[str, Any]]:
    """The analyzer, and the BM25 index of each visibility the version has (none for a
    visibility that sees no passage); each directory's document count is checked."""
    manifest_path = version / MANIFEST_FILE
    try:
        analyzer = Analyzer.from_dict(lexical.analyzer)
    except (KeyError, TypeError) as exc:
        raise IndexLoadError(manifest_path, f"its lexical analyzer is incomplete ({exc})") \
            from exc
    private_ids = {r["id"] for r in data.resources if r["private"]}
    private = [p["resource_id"] in private_ids for p in data.passages]
    counts = {who: len(visible_positions(private, who)) for who in VISIBILITIES}
    indexes = load_bm25_per_visibility(version, "lexical", lexical.directories,
                                       lexical.documents, counts)
    return analyzer, indexes


def require_model(data: IndexData, checksum: str, where: str) -> None:
    """The one model check: the version was built with the model at `where`."""
    built = data.manifest.model.checksum
    if built != checksum:
        raise IndexLoadError(
            data.path / MANIFEST_FILE,
            f"was built with model {built[:12]}…, the model at {where} is {checksum[:12]}…: "
            "rebuild the index with this model (`python -m indexer build SEEDS --out DIR`), "
            "or set RTES_CACHE_DIR to the model cache it was built with")
