"""The request path's savings change nothing: the word → term cache, the analysis done at
load, the lexicon looked up instead of scanned give what the plain computation gives."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
import Stemmer

from eval.data import default_eval_dir, load_question_set
from indexer.lexical import _TOKEN, Analyzer
from indexer.text import fold_accents
from search_service.lexicon import load_lexicon, words
from search_service.pipeline import run_search
from search_service.retrieval import Searcher

pytestmark = pytest.mark.fast


@pytest.fixture(scope="module")
def questions() -> list[str]:
    return [q.text for q in load_question_set(default_eval_dir()).queries]


def plain_tokens(analyzer: Analyzer, text: str) -> list[str]:
    """The analyzer's steps written out, with no cache: the reference."""
    text = analyzer._elision.sub(" ", unicodedata.normalize("NFC", text).lower())
    stemmer, out = Stemmer.Stemmer(analyzer.language), []
    for raw in _TOKEN.findall(text):
        word = fold_accents(raw)
        if word in analyzer.acronyms:
            out.append(word)
        elif word not in analyzer._stop and (len(word) > 1 or word.isdigit()):
            out.append(stemmer.stemWord(word))
    return out


def test_cached_terms_are_the_plain_analysis(searcher: Searcher, questions) -> None:
    texts = [p["text"] for p in searcher.data.passages] + questions
    analyzer = Analyzer()
    for _ in range(2):  # the second pass reads the cache
        assert [analyzer.tokens(t) for t in texts] == [plain_tokens(analyzer, t) for t in texts]


def test_searches_answer_the_same_with_the_analysis_done_at_load(
        seed_index: Path, embedder, questions) -> None:
    from search_service.loading import load_searcher

    warmed = load_searcher(seed_index, embedder=embedder)
    lazy = load_searcher(seed_index, embedder=embedder)
    lazy._words.clear()
    lazy._passage_terms.clear()
    lazy._sentence_terms.clear()
    for text in questions[:12]:
        expected = replace(run_search(lazy, text), took_ms=0.0)
        assert replace(run_search(warmed, text), took_ms=0.0) == expected
    assert len(warmed._words) == warmed.size  # all of it analysed before any request
    assert len(warmed._sentence_terms) == len(warmed.data.sentences)


def scanned_expansions(entries: dict[tuple[str, ...], tuple[str, ...]], query: str) -> list[str]:
    """The lexicon's expansions by scanning every phrase (the reference)."""
    typed, out = words(query), []
    for phrase in sorted(entries, key=len, reverse=True):
        n = len(phrase)
        if any(typed[i:i + n] == phrase for i in range(len(typed) - n + 1)):
            out += [e for e in entries[phrase]
                    if e not in out and not set(words(e)) <= set(typed)]
    return out


def test_the_lexicon_lookup_finds_what_a_scan_finds(questions) -> None:
    lexicon = load_lexicon()
    phrases = [" ".join(p) for p in lexicon.entries]
    pairs = zip(phrases[:-1], phrases[1:], strict=True)
    texts = questions + phrases + [f"{a} et {b}" for a, b in pairs]
    found = [lexicon.expansions(t) for t in texts]
    assert found == [scanned_expansions(lexicon.entries, t) for t in texts]
    assert sum(map(len, found)) > 100


def test_highlights_from_the_markup_prepared_at_load_are_the_plain_ones(
        searcher: Searcher, questions) -> None:
    """The passage escaped once and its terms located at load give, for every passage and
    several questions' terms (and a whole-sentence span), the very highlight of the plain
    computation; any slice is `html.escape` of that slice, on text full of &, <, >, quotes."""
    import html

    from search_service.answer import highlight
    from search_service.markup import PassageMarkup

    tricky = "R&D <b>\"l'ESS\"</b> & co > 2 < 3 ' fin"
    markup = PassageMarkup.of(tricky, ())
    assert markup.html == html.escape(tricky)
    for a in range(len(tricky) + 1):
        for b in range(a, len(tricky) + 1):
            assert markup.slice(a, b) == html.escape(tricky[a:b])
    analyzer, marked = searcher.analyzer, 0
    for index, row in enumerate(searcher.data.passages):
        markup = searcher.passage_markup(index)
        for q in questions[index::len(searcher.data.passages)][:4]:
            terms = set(analyzer.tokens(q))
            plain = highlight(row["text"], terms, analyzer)
            assert markup.highlight(terms) == plain
            marked += "<mark>" in plain
        span = (len(row["text"]) // 3, len(row["text"]) // 2)
        assert markup.highlight(set(), span) == highlight(row["text"], set(), analyzer, span)
    assert marked > 100  # most passages had a question word to mark


def test_rm3_read_from_the_sparse_arrays_is_the_matrix_products(searcher: Searcher,
                                                                questions) -> None:
    """RM3's terms and feedback scores, summed straight from the CSR/CSC arrays, are those
    of the plain sparse products (rows of the top passages, columns of the chosen terms),
    for each visibility, with the question's own terms left out."""
    import numpy as np

    from search_service.prf import expansion_scores, rm3_terms, top_passages
    from search_service.retrieval import Filters

    for member in (False, True):
        matrix = searcher.term_matrices["member" if member else "public"]
        mask = searcher.allowed(Filters(member=member))
        for n, q in enumerate(questions[:120]):
            fused = np.where(mask, np.random.default_rng(n).random(searcher.size), -np.inf)
            top = top_passages(fused, 5)
            own = matrix.term_ids(searcher.query_tokens(q))
            terms, weights = rm3_terms(matrix, top, fused[top], own, 10)
            rows = matrix.row[top]
            plain = np.asarray(matrix.by_passage[rows[rows >= 0]].T
                               @ fused[top][rows >= 0]).ravel()
            plain[list(own)] = 0.0
            best = np.sort(np.round(plain[plain > 0], 9))[::-1][:10]
            assert np.allclose(np.sort(np.round(plain[terms], 9))[::-1], best)
            assert not own & set(terms.tolist()) and np.isclose(weights.sum(), 1.0)
            local = np.asarray(matrix.by_term[:, terms] @ weights).ravel()
            reference = np.zeros(searcher.size)
            reference[matrix.position] = local
            assert np.allclose(expansion_scores(matrix, terms, weights, mask),
                               np.where(mask, reference, 0.0), atol=1e-6)
