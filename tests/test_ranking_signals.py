"""The ranking signals of issue 17 on the real seed index: the n-gram field, the resource
vectors, the catalogue hierarchy, the lexicon, the coverage-adaptive fusion and the RM3
feedback terms; and the version files they live in, checked at load."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from indexer.errors import IndexLoadError
from indexer.search_config import default_config
from indexer.store import switch_current
from search_service.hybrid import rank_hybrid
from search_service.loading import load_searcher
from search_service.prf import rm3_terms, top_passages
from search_service.question import analyse, expansion_tokens
from search_service.retrieval import Filters, Searcher

pytestmark = pytest.mark.slow

DEFAULT = default_config().retrieval.ranking


def _hybrid(searcher: Searcher, query: str):
    mask = searcher.allowed(Filters())
    question = analyse(searcher, query)
    return rank_hybrid(searcher, question, searcher.dense_scores(question.vector, mask),
                       searcher.lexical_scores(list(question.lexical_tokens), mask, False), mask,
                       False)


def _embedded(searcher: Searcher, i: int) -> str:
    passage = searcher.data.passages[i]
    title = searcher.resources[passage["resource_id"]]["title"]
    return f"{title} {passage.get('section') or ''} {passage['text']}".lower()


def test_ngrams_match_an_inflection_the_stemmer_misses(searcher: Searcher) -> None:
    mask = searcher.allowed(Filters())
    assert searcher.analyzer.tokens("solidarités") != searcher.analyzer.tokens("solidaire")
    stemmed = searcher.lexical_scores(searcher.query_tokens("solidarités"), mask, False)
    ngram = searcher.ngram_field.scores(searcher.ngram_tokens("solidarités"), "public", mask)
    only_ngram = [i for i in range(searcher.size) if ngram[i] > 0 and stemmed[i] == 0]
    assert only_ngram, "some passage says « solidaire » but never « solidarité »"
    # The n-gram field indexes what BM25 indexes: the embedding text (title, section, passage).
    # Prefixes match whatever shares them (« sol » in « solutions »), and « solida » finds
    # the inflections the stemmer keeps apart.
    assert all("sol" in _embedded(searcher, i) for i in only_ngram)
    assert any("solida" in _embedded(searcher, i) for i in only_ngram)


def test_every_resource_has_a_unit_vector_that_finds_it_by_its_title(searcher) -> None:
    vectors = searcher.resource_signals.vectors
    assert vectors.shape == (len(searcher.data.resources), searcher.embedder.dimension)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    title = "Centre de santé des 3 cités"
    cosines = searcher.resource_signals.cosines(searcher.encode_query(title))
    best = searcher.resource_signals.ids[int(np.argmax(cosines))]
    assert best in {"fiche-101", "catalogue-fiche-centre-de-sante-des-3-cites"}


def test_a_catalogue_section_ranks_with_its_matching_fiche(searcher: Searcher) -> None:
    query = "un centre de santé communautaire dans un quartier de Poitiers"
    hits = {h.resource["id"]: h for h in searcher.search(query, k=20)}
    fiche = hits["catalogue-fiche-centre-de-sante-des-3-cites"]
    section = hits["catalogue-section-sante"]
    assert section.score >= DEFAULT.hierarchy * fiche.score - 1e-6
    assert section.signals["hierarchy"] >= 0.0 and fiche.signals["hierarchy"] == 0.0
    flat = Searcher.__new__(Searcher)
    flat.__dict__.update(searcher.__dict__)
    flat.config = dataclasses.replace(searcher.config,
                                      ranking=searcher.config.ranking.replace(hierarchy=0.0))
    lifted = _hybrid(searcher, query).resource_scores["catalogue-section-sante"]
    assert lifted >= _hybrid(flat, query).resource_scores["catalogue-section-sante"]


def test_the_lexicon_adds_institutional_words_only_when_the_typed_ones_miss(searcher) -> None:
    chatty = "comment la mairie peut aider les habitants d'une cité à monter un garage"
    extra = expansion_tokens(searcher, chatty, searcher.query_tokens(chatty))
    assert {"collectivit", "quarti", "prioritair", "mobilit"} <= set(extra)
    low, high = _hybrid(searcher, chatty), _hybrid(searcher, "PTCE")
    # Gated by coverage: on (at least partly) for the chatty question, off for the acronym.
    assert low.coverage < DEFAULT.lexicon_off < high.coverage
    assert "lexicon" in low.passage_signals and "lexicon" not in high.passage_signals
    top = searcher.search(chatty, k=10)
    assert any(h.signals.get("lexicon", 0) > 0 for h in top)


def test_every_hybrid_result_carries_its_signals(searcher: Searcher) -> None:
    for hit in searcher.search("épicerie solidaire", k=5):
        assert {"ngram", "resource", "name", "hierarchy", "rm3"} <= set(hit.signals)
        assert -1.0 <= hit.signals["resource"] <= 1.0
    assert all(not h.signals for h in searcher.search("épicerie solidaire", mode="bm25"))


@pytest.fixture()
def copied(tmp_path: Path, seed_index: Path) -> Path:
    live = (seed_index / "current").resolve()
    shutil.copytree(live, tmp_path / "versions" / "v1")
    switch_current(tmp_path, tmp_path / "versions" / "v1")
    return tmp_path / "versions" / "v1"


@pytest.mark.parametrize(("damage", "named"), [
    ("missing resource vectors", "resource_vectors.npy"),
    ("resource rows of another build", "resource_vectors.json"),
    ("missing n-gram vocabulary", "ngram-bm25-public/vocab.index.json"),
    ("manifest without n-grams", "manifest.json"),
])
def test_a_broken_signal_file_is_refused_by_name(copied: Path, embedder, damage, named):
    if damage == "missing resource vectors":
        (copied / "resource_vectors.npy").unlink()
    elif damage == "resource rows of another build":
        rows = json.loads((copied / "resource_vectors.json").read_text())
        (copied / "resource_vectors.json").write_text(json.dumps(rows[::-1]))
    elif damage == "missing n-gram vocabulary":
        (copied / "ngram-bm25-public" / "vocab.index.json").unlink()
    else:
        manifest = json.loads((copied / "manifest.json").read_text())
        del manifest["ngram_lexical"]
        (copied / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexLoadError, match=named.replace(".", r"\.")):
        load_searcher(copied.parent.parent, embedder=embedder)


def test_rm3_lends_the_best_passages_terms_the_question_lacks(searcher: Searcher) -> None:
    query = "comment la mairie peut aider à monter un garage solidaire"
    ranking = _hybrid(searcher, query)
    rm3 = ranking.passage_signals["rm3"]
    assert (rm3 > 0).any() and DEFAULT.rm3_weight > 0
    # The first pass (RM3 off) chooses the passages; the terms are the heaviest of their
    # BM25 rows that the question does not have.
    first = _hybrid(_with(searcher, rm3_weight=0.0), query)
    assert "rm3" not in first.passage_signals
    top = top_passages(first.fused, DEFAULT.rm3_depth)
    matrix = searcher.term_matrices["public"]
    typed = set(analyse(searcher, query).lexical_tokens)  # framing words left out (17d)
    terms, weights = rm3_terms(matrix, top, np.maximum(first.fused[top], 0),
                               matrix.term_ids(list(typed)), DEFAULT.rm3_terms)
    assert 0 < len(terms) <= DEFAULT.rm3_terms
    words = {i: t for t, i in matrix.vocab.items()}
    in_top = set().union(*(searcher.passage_terms(int(i)) for i in top))
    assert all(words[int(t)] in in_top and words[int(t)] not in typed for t in terms)
    # A passage gets feedback BM25 only if it holds one of those terms.
    holds = [i for i in range(searcher.size)
             if searcher.passage_terms(i) & {words[int(t)] for t in terms}]
    assert set(np.flatnonzero(rm3 > 0)) <= set(holds)
    hits = searcher.search(query, k=5)
    assert all("rm3" in h.signals for h in hits)


def _with(searcher: Searcher, **changes) -> Searcher:
    changed = Searcher.__new__(Searcher)
    changed.__dict__.update(searcher.__dict__)
    changed.config = dataclasses.replace(searcher.config,
                                         ranking=searcher.config.ranking.replace(**changes))
    return changed
