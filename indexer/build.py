"""Seeds in, a new index version out: parse, chunk, embed what changed, write, switch.

Vectors of passages whose embedded text and model are unchanged are taken from
the live version instead of being encoded again, so a rebuild after a small
edit costs only the edited resources.
"""

from __future__ import annotations

import hashlib
import json
import logging
import platform
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from indexer.chunk import ChunkSettings, chunk_resources
from indexer.documents import Passage, Resource
from indexer.embed import Embedder, embedding_text
from indexer.errors import IndexerError
from indexer.lexical import LEXICAL_DIRS, Analyzer, build_bm25_per_visibility, save_bm25
from indexer.parse import parse_seeds, seed_files
from indexer.ranking_files import build_ranking_files
from indexer.sentences import split_sentences
from indexer.store import (
    FLAT_LIMIT,
    FORMAT_VERSION,
    HNSW_EF_CONSTRUCTION,
    HNSW_EF_SEARCH,
    HNSW_M,
    IndexData,
    choose_index_type,
    load_index,
    write_version,
)

log = logging.getLogger(__name__)


@dataclass
class BuildSummary:
    version_dir: Path
    kinds: Counter[str]
    private: int
    resources: int
    passages: int
    embedded: int
    reused: int
    seconds: float
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    embedded_resources: list[str] = field(default_factory=list)
    sentences: int = 0
    sentences_embedded: int = 0
    ignored: list[str] = field(default_factory=list)
    skipped: list[IndexerError] = field(default_factory=list)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(resource: Resource) -> str:
    """Changes whenever anything that is indexed about the resource changes."""
    body = {"meta": resource.metadata(), "text": [p.text for p in resource.paragraphs],
            "sections": [p.section for p in resource.paragraphs]}
    return _sha(json.dumps(body, ensure_ascii=False, sort_keys=True))


def corpus_hash(seeds_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in seed_files(seeds_dir):
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _library_versions() -> dict[str, str]:
    import faiss
    import sentence_transformers
    import torch

    return {"python": platform.python_version(), "faiss": faiss.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__, "numpy": np.__version__}


def _previous(index_dir: Path) -> IndexData | None:
    """The live version, if any and readable: the source of reusable vectors."""
    if not (index_dir / "current").exists():
        return None
    try:
        return load_index(index_dir)
    except IndexerError as exc:
        log.warning("not reusing the live version: %s", exc)
        return None


def _reusable(previous: IndexData | None, embedder: Embedder
              ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Text hash → vector for passages and sentences of a previous version built the same way."""
    if previous is None:
        return {}, {}
    model = previous.manifest.get("model", {})
    if (model.get("checksum") != embedder.info.checksum
            or previous.manifest.get("encoding") != embedder.settings.to_dict()):
        log.info("model or encoding changed since the live version: re-embedding everything")
        return {}, {}
    passages = {p["embedding_sha"]: previous.vectors[i]
                for i, p in enumerate(previous.passages) if "embedding_sha" in p}
    sentences = {}
    if previous.sentence_vectors is not None:
        sentences = {r["sha"]: previous.sentence_vectors[i]
                     for i, r in enumerate(previous.sentences)}
    return passages, sentences


def _embed(texts: list[str], reuse: dict[str, np.ndarray], embedder: Embedder,
           batch_size: int, progress: bool) -> tuple[np.ndarray, list[str], list[int]]:
    """Vectors for `texts` (as passages), taking reusable ones; also their hashes and the
    indices that had to be encoded."""
    shas = [_sha(t) for t in texts]
    vectors = np.zeros((len(texts), embedder.dimension), dtype=np.float32)
    todo = []
    for i, sha in enumerate(shas):
        if sha in reuse:
            vectors[i] = reuse[sha]
        else:
            todo.append(i)
    if todo:
        vectors[todo] = embedder.encode_passages([texts[i] for i in todo],
                                                 batch_size=batch_size, progress=progress)
    return vectors, shas, todo


def _sentence_rows(passages: list[Passage]) -> tuple[list[dict[str, Any]], list[str]]:
    rows, texts = [], []
    for index, passage in enumerate(passages):
        for sentence in split_sentences(passage.text):
            rows.append({"passage": index, "start": sentence.start, "end": sentence.end})
            texts.append(sentence.text)
    return rows, texts


def _manifest(embedder: Embedder, chunking: ChunkSettings, analyzer: Analyzer,
              resources: list[Resource], n_passages: int, n_sentences: int, flat_limit: int,
              seeds_dir: Path, lexical_documents: dict[str, int]) -> dict[str, Any]:
    return {
        "format_version": FORMAT_VERSION,
        "built_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": {**embedder.info.to_dict(), "dimension": embedder.dimension},
        "encoding": embedder.settings.to_dict(),
        "chunking": {"unit": "paragraphs", "min_words": chunking.min_words,
                     "max_words": chunking.max_words},
        "faiss": {"type": choose_index_type(n_passages, flat_limit), "metric": "inner_product",
                  "id_map": "IndexIDMap2", "flat_limit": flat_limit, "hnsw_m": HNSW_M,
                  "hnsw_ef_construction": HNSW_EF_CONSTRUCTION, "hnsw_ef_search": HNSW_EF_SEARCH},
        "lexical": {**analyzer.to_dict(), "text": "embedding_text",
                    "directories": {v: LEXICAL_DIRS[v] for v in lexical_documents},
                    "documents": lexical_documents},
        "sentences": {"count": n_sentences, "prompt": embedder.settings.passage_prompt,
                      "header": False},
        "corpus": {"hash": corpus_hash(seeds_dir), "resources": len(resources),
                   "passages": n_passages, "private": sum(r.private for r in resources)},
        "libraries": _library_versions(),
    }


def save_lexical(indexes: dict[str, Any], version_dir: Path) -> None:
    for who, index in indexes.items():
        save_bm25(index, version_dir / LEXICAL_DIRS[who])


def build_index(
    seeds_dir: Path,
    index_dir: Path,
    embedder: Embedder,
    *,
    skip_invalid: bool = False,
    chunking: ChunkSettings | None = None,
    batch_size: int = 16,
    flat_limit: int = FLAT_LIMIT,
    progress: bool = True,
    analyzer: Analyzer | None = None,
    keep: Callable[[Resource], bool] | None = None,
) -> BuildSummary:
    """Build a new version of the index in `index_dir` and make it current.

    `keep` chooses the resources to index (all by default): `lambda r: not r.private`
    builds a public-only index, the reference the visibility test compares against.
    """
    started = time.perf_counter()
    chunking = chunking or ChunkSettings()
    analyzer = analyzer or Analyzer()
    parsed = parse_seeds(seeds_dir, skip_invalid=skip_invalid)
    resources = [r for r in parsed.resources if keep is None or keep(r)]
    by_id = {r.id: r for r in resources}
    passages = chunk_resources(resources, chunking)
    texts = [embedding_text(p, by_id[p.resource_id], embedder.settings.header_format)
             for p in passages]
    previous = _previous(index_dir)
    reuse_passages, reuse_sentences = _reusable(previous, embedder)
    vectors, shas, todo = _embed(texts, reuse_passages, embedder, batch_size, progress)
    sentence_rows, sentence_texts = _sentence_rows(passages)
    sentence_vectors, sentence_shas, sentence_todo = _embed(
        sentence_texts, reuse_sentences, embedder, 32, progress)
    for row, sha in zip(sentence_rows, sentence_shas, strict=True):
        row["sha"] = sha

    hashes = {r.id: content_hash(r) for r in resources}
    old = {r["id"]: r.get("content_hash") for r in previous.resources} if previous else {}
    # Corpus statistics are built per visibility: see indexer.visibility for the rule.
    bm25 = build_bm25_per_visibility(texts, [by_id[p.resource_id].private for p in passages],
                                     analyzer)
    manifest = _manifest(embedder, chunking, analyzer, resources, len(passages),
                         len(sentence_rows), flat_limit, seeds_dir,
                         {v: int(index.scores["num_docs"]) for v, index in bm25.items()})
    ranking = build_ranking_files(resources, passages, texts, analyzer, embedder,
                                  previous.path if previous else None)
    manifest.update(ranking.manifest)
    manifest["build_seconds"] = round(time.perf_counter() - started, 2)
    version = write_version(
        index_dir, manifest,
        [{**r.metadata(), "content_hash": hashes[r.id]} for r in resources],
        [{**p.to_dict(), "embedding_sha": sha} for p, sha in zip(passages, shas, strict=True)],
        vectors,
        write_extra=lambda tmp: (save_lexical(bm25, tmp), ranking.write(tmp)),
        sentences=sentence_rows, sentence_vectors=sentence_vectors,
    )
    return BuildSummary(
        version_dir=version,
        kinds=Counter(r.kind for r in resources),
        private=sum(r.private for r in resources),
        resources=len(resources),
        passages=len(passages),
        embedded=len(todo),
        reused=len(passages) - len(todo),
        seconds=time.perf_counter() - started,
        added=sorted(set(hashes) - set(old)),
        changed=sorted(k for k in hashes if k in old and old[k] != hashes[k]),
        removed=sorted(set(old) - set(hashes)),
        embedded_resources=sorted({passages[i].resource_id for i in todo}),
        sentences=len(sentence_rows),
        sentences_embedded=len(sentence_todo),
        ignored=parsed.ignored,
        skipped=list(parsed.skipped),
    )
