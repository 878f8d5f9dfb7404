"""The request path's savings change nothing: the word → term cache, the analysis done at
load, the lexicon looked up instead of scanned, the sentence features read from arrays give what
the plain computation gives."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import Stemmer

from eval.data import default_eval_dir, load_question_set
from indexer.lexical import _TOKEN, Analyzer
from indexer.sentences import Sentence
from indexer.text import fold_accents
from indexer.visibility import visibility
from search_service.answer_choice import gather, stats_of
from search_service.answer_span import asked_pattern
from search_service.lexicon import load_lexicon, words
from search_service.pipeline import run_search
from search_service.question import analyse
from search_service.quote_window import is_heading
from search_service.retrieval import Filters, Searcher
from search_service.sentence_features import _near

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


def _plain_features(searcher: Searcher, question: str, terms: list[str], who: str,
                    row: int, cosine: float, rank: int, fused: float) -> list[float]:
    """One sentence's feature row written out term by term (BM25 over the visibility's
    sentences, IDF share, answer type, place): the reference for the arrays."""
    stats = stats_of(searcher).per[who]
    found = searcher.data.sentences[row]
    passage = searcher.data.passages[found["passage"]]["text"]
    text = passage[found["start"]:found["end"]]
    counts = Counter(searcher.analyzer.tokens(text))
    length = sum(counts.values())
    norm = 1.2 * (1 - 0.75 + 0.75 * length / max(stats.avg_len, 1.0))
    bm25 = sum(stats.sentence_idf(t) * counts[t] * 2.2 / (counts[t] + norm)
               for t in terms if counts.get(t))
    weights = {t: stats.passage_idf.get(t, stats.top_idf) for t in terms}
    total = sum(weights.values())
    share = sum(w for t, w in weights.items() if t in counts) / total if total else 0.0
    asked = asked_pattern(question)
    holds = asked is not None and asked.search(text) is not None
    words = [(a - found["start"], b - found["start"])
             for a, b, t in searcher.passage_words(found["passage"])
             if t and t in terms and found["start"] <= a and b <= found["end"]]
    siblings = searcher._sentences_of[found["passage"]]
    order = siblings.index(row)
    return [cosine, bm25, share, float(holds), float(asked is not None and not holds),
            _near(asked, text, words) if holds else 0.0, math.log1p(rank), fused,
            float(order == 0), order / max(len(siblings) - 1, 1),
            float(is_heading(passage, Sentence(text, found["start"], found["end"]))),
            float(bool(re.match(r"^\s*([-•*–]|\d+[.)]\s)", text))), math.log1p(len(text))]


def test_sentence_features_from_the_arrays_are_the_plain_ones(searcher: Searcher,
                                                               questions) -> None:
    """The learned choice's features, read from the arrays built at load for all candidates
    at once, are those computed sentence by sentence, for both visibilities."""
    checked = 0
    for question in questions[::8]:
        for member in (False, True):
            analysed = analyse(searcher, question)
            hits = searcher.search(analysed, k=10, filters=Filters(member=member))
            terms = set(analysed.tokens)
            found = gather(searcher, question, hits, analysed.vector, terms, member, 5, set())
            rows = [r for h in hits[:5] for p in h.passages
                    for r in searcher._sentences_of[p.index]]
            where = [(rank, float(h.score)) for rank, h in enumerate(hits[:5])
                     for p in h.passages for _ in searcher._sentences_of[p.index]]
            plain = [_plain_features(searcher, question, sorted(terms), visibility(member), r,
                                     c.cosine, rank, fused)
                     for r, c, (rank, fused) in zip(rows, found.ranked, where, strict=True)]
            if plain:
                np.testing.assert_allclose(found.x[:, :13], np.array(plain), rtol=1e-9,
                                           atol=1e-12)
                checked += len(plain)
    assert checked > 1000
