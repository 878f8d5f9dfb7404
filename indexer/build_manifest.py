"""What a build records about itself: the manifest of a new version (`indexer.manifest`).

The model and its encoding, the chunking, the FAISS type, the BM25 analyzer and its
documents per visibility, the sentences, the corpus hash, the search configuration, the
library versions and the encoder; `indexer.build` adds the ranking files' sections.
"""

from __future__ import annotations

import hashlib
import platform
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexer.chunk import ChunkSettings
from indexer.documents import Resource
from indexer.embed import Embedder
from indexer.encoders import encoder_section
from indexer.lexical import BM25_PARAMS, LEXICAL_DIRS, Analyzer
from indexer.manifest import (
    BM25Section,
    ChunkingSection,
    CorpusSection,
    EncodingSection,
    FaissSection,
    LexicalSection,
    Manifest,
    ModelSection,
    SentencesSection,
)
from indexer.parse import seed_files
from indexer.search_config import SearchConfig, config_section
from indexer.store import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, choose_index_type


def corpus_hash(seeds_dir: Path) -> str:
    digest = hashlib.sha256()
    for path in seed_files(seeds_dir):
        digest.update(path.name.encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Read from the installed distributions: the same strings as the modules' __version__,
    without importing torch (a build with the fast lane's fake embedder never loads it)."""
    from importlib.metadata import version

    import faiss

    return {"python": platform.python_version(), "faiss": faiss.__version__,
            "sentence_transformers": version("sentence-transformers"),
            "torch": version("torch"), "numpy": np.__version__}


def build_manifest(embedder: Embedder, chunking: ChunkSettings, analyzer: Analyzer,
                   resources: list[Resource], n_passages: int, n_sentences: int,
                   flat_limit: int, seeds_dir: Path, lexical_documents: dict[str, int],
                   config: SearchConfig) -> Manifest:
    info = embedder.info
    return Manifest(
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        model=ModelSection(info.spec, info.path, info.checksum, embedder.dimension),
        encoding=EncodingSection(**embedder.settings.to_dict()),
        chunking=ChunkingSection("paragraphs", chunking.min_words, chunking.max_words),
        faiss=FaissSection(type=choose_index_type(n_passages, flat_limit), flat_limit=flat_limit,
                           hnsw_m=HNSW_M, hnsw_ef_construction=HNSW_EF_CONSTRUCTION,
                           hnsw_ef_search=HNSW_EF_SEARCH),
        lexical=LexicalSection(analyzer=analyzer.to_dict(), bm25=BM25Section(**BM25_PARAMS),
                               text="embedding_text",
                               directories={v: LEXICAL_DIRS[v] for v in lexical_documents},
                               documents=lexical_documents),
        sentences=SentencesSection(n_sentences, embedder.settings.passage_prompt, False),
        corpus=CorpusSection(corpus_hash(seeds_dir), len(resources), n_passages,
                             sum(r.private for r in resources)),
        config=config_section(config),
        libraries=library_versions(),
        encoder=encoder_section(embedder),
    )
