"""A question is analysed once, at the entrance (`search_service.question.analyse`): one
tokenization, one n-gram reading, one encoding per search, whatever the stages read."""

import pytest

from search_service.pipeline import run_search
from search_service.question import analyse

pytestmark = [pytest.mark.slow, pytest.mark.fast]

QUESTION = "Comment la mairie peut-elle aider une épicerie solidaire du quartier ?"


def test_a_search_reads_its_question_once(searcher, monkeypatch):
    calls = {"tokens": 0, "words": 0, "encode": 0}

    def counted(owner, name, key):
        real = getattr(owner, name)

        def wrapper(*args, **kwargs):
            text = args[1] if isinstance(owner, type) else args[0]
            calls[key] += text == QUESTION
            return real(*args, **kwargs)
        monkeypatch.setattr(owner, name, wrapper)

    # Analyzer and NgramSettings are frozen dataclasses: patched on their class.
    counted(type(searcher.analyzer), "tokens", "tokens")
    counted(type(searcher.ngram_settings), "words", "words")
    counted(searcher.embedder, "encode_query", "encode")
    result = run_search(searcher, QUESTION)  # hybrid: RM3's second pass, quoting, rules
    assert result.results and calls == {"tokens": 1, "words": 1, "encode": 1}


def test_the_analysis_holds_what_every_stage_reads(searcher):
    question = analyse(searcher, QUESTION)
    assert question.tokens == tuple(searcher.query_tokens(QUESTION))
    assert question.terms == frozenset(question.tokens)
    assert list(question.ngrams) == searcher.ngram_tokens(QUESTION)
    assert {"collectivit"} <= set(question.expansions)  # mairie → collectivité
    assert not set(question.expansions) & question.terms
    assert question.language == "fr" and question.vector is not None
    assert analyse(searcher, QUESTION, "bm25").vector is None
    hits = searcher.search(question, k=5)
    assert [h.resource["id"] for h in hits] == [
        h.resource["id"] for h in searcher.search(QUESTION, k=5, query_vector=question.vector)]
