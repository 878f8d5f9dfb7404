"""Seeds in, a new index version out: parse, chunk, embed what changed, write, switch.

Vectors of passages whose embedded text and model are unchanged are taken from
the live version instead of being encoded again, so a rebuild after a small
edit costs only the edited resources.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from indexer.build_manifest import build_manifest
from indexer.chunk import ChunkSettings, chunk_resources
from indexer.documents import Passage, Resource
from indexer.embed import Embedder, embedding_text
from indexer.encoders import built_with, encoder_section
from indexer.errors import IndexerError
from indexer.lexical import Analyzer, build_bm25_per_visibility, save_bm25_per_visibility
from indexer.manifest import Manifest
from indexer.opening import IndexData, open_version
from indexer.parse import ParseResult, parse_seeds
from indexer.ranking_files import RankingFiles, build_ranking_files
from indexer.search_config import SearchConfig, default_config
from indexer.sentences import split_sentences
from indexer.store import FLAT_LIMIT, write_version

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


def _previous(index_dir: Path) -> IndexData | None:
    """The live version, if any and readable: the source of reusable vectors."""
    if not (index_dir / "current").exists():
        return None
    try:
        return open_version(index_dir)
    except IndexerError as exc:
        log.warning("not reusing the live version: %s", exc)
        return None


def _reusable(previous: IndexData | None, embedder: Embedder
              ) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Text hash → vector for passages and sentences of a previous version built the same way."""
    if previous is None:
        return {}, {}
    manifest = previous.manifest
    if (manifest.model.checksum != embedder.info.checksum
            or built_with(manifest) != encoder_section(embedder)
            or dataclasses.asdict(manifest.encoding) != embedder.settings.to_dict()):
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


@dataclass
class _Vectors:
    """Passage and sentence vectors of a build, and which had to be encoded."""

    passages: np.ndarray
    shas: list[str]
    todo: list[int]
    sentence_rows: list[dict[str, Any]]
    sentences: np.ndarray
    sentences_todo: list[int]


def _vectors(passages: list[Passage], texts: list[str], previous: IndexData | None,
             embedder: Embedder, batch_size: int, progress: bool) -> _Vectors:
    reuse_passages, reuse_sentences = _reusable(previous, embedder)
    vectors, shas, todo = _embed(texts, reuse_passages, embedder, batch_size, progress)
    rows, sentence_texts = _sentence_rows(passages)
    sentence_vectors, sentence_shas, sentence_todo = _embed(
        sentence_texts, reuse_sentences, embedder, 32, progress)
    for row, sha in zip(rows, sentence_shas, strict=True):
        row["sha"] = sha
    return _Vectors(vectors, shas, todo, rows, sentence_vectors, sentence_todo)


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
    config: SearchConfig | None = None,
) -> BuildSummary:
    """Build a new version of the index in `index_dir` and make it current.

    `keep` chooses the resources to index (all by default): `lambda r: not r.private`
    builds a public-only index, the reference the visibility test compares against.
    `config` is the version's search configuration (default: indexer/data/search_config.json).
    """
    started = time.perf_counter()
    chunking, analyzer = chunking or ChunkSettings(), analyzer or Analyzer()
    config = config or default_config()
    parsed, resources, passages, texts = _read_corpus(seeds_dir, skip_invalid, keep, chunking,
                                                      embedder)
    previous = _previous(index_dir)
    vec = _vectors(passages, texts, previous, embedder, batch_size, progress)
    hashes = {r.id: content_hash(r) for r in resources}
    bm25, ranking = _statistics(resources, passages, texts, analyzer, embedder, previous)
    manifest = build_manifest(embedder, chunking, analyzer, resources, len(passages),
                              len(vec.sentence_rows), flat_limit, seeds_dir,
                              {v: int(index.scores["num_docs"]) for v, index in bm25.items()},
                              config)
    manifest = manifest.replace(**ranking.manifest,
                                build_seconds=round(time.perf_counter() - started, 2))
    version = _write(index_dir, manifest, config, resources, passages, hashes, vec, bm25,
                     ranking)
    old = {r["id"]: r.get("content_hash") for r in previous.resources} if previous else {}
    return _summary(version, resources, passages, vec, hashes, old, parsed, started)


def _read_corpus(seeds_dir: Path, skip_invalid: bool, keep: Callable[[Resource], bool] | None,
                 chunking: ChunkSettings, embedder: Embedder
                 ) -> tuple[ParseResult, list[Resource], list[Passage], list[str]]:
    """The parsed seeds, the resources kept, their passages and each one's embedded text."""
    parsed = parse_seeds(seeds_dir, skip_invalid=skip_invalid)
    resources = [r for r in parsed.resources if keep is None or keep(r)]
    by_id = {r.id: r for r in resources}
    passages = chunk_resources(resources, chunking)
    texts = [embedding_text(p, by_id[p.resource_id], embedder.settings.header_format)
             for p in passages]
    return parsed, resources, passages, texts


def _statistics(resources: list[Resource], passages: list[Passage], texts: list[str],
                analyzer: Analyzer, embedder: Embedder, previous: IndexData | None
                ) -> tuple[dict[str, Any], RankingFiles]:
    """The BM25 index of each visibility and the ranking files (n-grams, resource vectors).
    Corpus statistics are built per visibility: see indexer.visibility for the rule."""
    private = {r.id: r.private for r in resources}
    bm25 = build_bm25_per_visibility(texts, [private[p.resource_id] for p in passages], analyzer)
    ranking = build_ranking_files(resources, passages, texts, analyzer, embedder,
                                  previous.path if previous else None)
    return bm25, ranking


def _write(index_dir: Path, manifest: Manifest, config: SearchConfig,
           resources: list[Resource], passages: list[Passage], hashes: dict[str, str],
           vec: _Vectors, bm25: dict[str, Any], ranking: RankingFiles) -> Path:
    """The version's rows (with their content and embedding hashes), vectors, BM25 indexes
    and ranking files, written and made current."""
    return write_version(
        index_dir, manifest, config,
        [{**r.metadata(), "content_hash": hashes[r.id]} for r in resources],
        [{**p.to_dict(), "embedding_sha": sha}
         for p, sha in zip(passages, vec.shas, strict=True)],
        vec.passages,
        write_extra=lambda tmp: (save_bm25_per_visibility(bm25, tmp), ranking.write(tmp)),
        sentences=vec.sentence_rows, sentence_vectors=vec.sentences,
    )


def _summary(version: Path, resources: list[Resource], passages: list[Passage], vec: _Vectors,
             hashes: dict[str, str], old: dict[str, str | None], parsed: Any,
             started: float) -> BuildSummary:
    return BuildSummary(
        version_dir=version,
        kinds=Counter(r.kind for r in resources),
        private=sum(r.private for r in resources),
        resources=len(resources),
        passages=len(passages),
        embedded=len(vec.todo),
        reused=len(passages) - len(vec.todo),
        seconds=time.perf_counter() - started,
        added=sorted(set(hashes) - set(old)),
        changed=sorted(k for k in hashes if k in old and old[k] != hashes[k]),
        removed=sorted(set(old) - set(hashes)),
        embedded_resources=sorted({passages[i].resource_id for i in vec.todo}),
        sentences=len(vec.sentence_rows),
        sentences_embedded=len(vec.sentences_todo),
        ignored=parsed.ignored,
        skipped=list(parsed.skipped),
    )
