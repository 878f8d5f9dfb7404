"""The files an index version carries for the ranking of issue 17, built in one call from
`indexer.build`: the edge n-gram BM25 per visibility (`indexer.ngrams`) and the resource
vectors (`indexer.resource_vectors`), with their manifest sections."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from indexer import ngrams, resource_vectors
from indexer.documents import Passage, Resource
from indexer.embed import Embedder
from indexer.lexical import Analyzer


@dataclass
class RankingFiles:
    ngram_indexes: dict[str, Any]
    vectors: np.ndarray
    rows: list[dict[str, str]]
    manifest: dict[str, Any]

    def write(self, version_dir: Path) -> None:
        ngrams.save_ngram_bm25(self.ngram_indexes, version_dir)
        resource_vectors.save_resource_vectors(self.vectors, self.rows, version_dir)


def build_ranking_files(resources: Sequence[Resource], passages: Sequence[Passage],
                        texts: Sequence[str], analyzer: Analyzer, embedder: Embedder,
                        previous_version: Path | None,
                        settings: ngrams.NgramSettings | None = None) -> RankingFiles:
    """`texts`: the passages' embedding texts (what BM25 indexes). Corpus statistics are
    built per visibility (`indexer.visibility`); resource vectors of unchanged text are
    taken from `previous_version`."""
    settings = settings or ngrams.NgramSettings()
    by_id = {r.id: r for r in resources}
    private = [by_id[p.resource_id].private for p in passages]
    indexes = ngrams.build_ngram_bm25(texts, private, analyzer, settings)
    reuse = resource_vectors.previous_vectors(previous_version)
    vectors, rows = resource_vectors.embed_resources(resources, embedder, reuse)
    manifest = {
        ngrams.MANIFEST_KEY: ngrams.manifest_section(settings, indexes),
        resource_vectors.MANIFEST_KEY: resource_vectors.manifest_section(
            rows, embedder.settings.passage_prompt),
    }
    return RankingFiles(indexes, vectors, rows, manifest)
