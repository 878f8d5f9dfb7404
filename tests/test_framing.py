"""The question-framing words (issue 17d): dropped from the lexical query only, on the real
seed index; the dense question and the answer's terms keep them."""

from __future__ import annotations

import dataclasses

import pytest

from search_service.framing import framing_words, load_framing
from search_service.question import analyse
from search_service.retrieval import Filters

pytestmark = [pytest.mark.slow]


def test_the_data_file_holds_interrogatives_and_courtesy_not_subject_verbs(searcher):
    found = set(framing_words())
    assert {"comment", "quelles", "pourquoi", "merci"} <= found
    assert not found & {"aider", "trouver", "savoir", "pouvoir", "faire", "financer"}
    assert framing_words("# a comment\ncomment quel\n") == ["comment", "quel"]


def test_framing_words_leave_the_lexical_query(searcher):
    framing = load_framing(searcher.analyzer)
    question = analyse(searcher, "Comment financer une épicerie solidaire ? Merci")
    plain = analyse(searcher, "financer une épicerie solidaire")
    assert question.lexical_tokens == plain.tokens
    assert question.ngrams == plain.ngrams
    assert "comment" in question.tokens  # the answer's terms keep them
    assert framing.tokens(["comment", "quel"]) == ("comment", "quel")  # nothing else: kept


def test_an_unknown_or_subject_word_is_left_alone(searcher):
    question = analyse(searcher, "trouver qui peut aider un porteur de projet")
    assert question.lexical_tokens == question.tokens


def test_search_ranks_as_without_the_frame(searcher):
    """On the seed index a framed question's BM25 is that of its subject alone."""
    framed = searcher.search("quelles sont les épiceries solidaires", k=5, mode="bm25")
    subject = searcher.search("les épiceries solidaires", k=5, mode="bm25")
    assert [h.resource["id"] for h in framed] == [h.resource["id"] for h in subject]
    assert [h.lexical for h in framed] == pytest.approx([h.lexical for h in subject])


def test_switched_off_the_frame_stays(searcher):
    saved = searcher.config
    ranking = saved.ranking.replace(framing_words=False)
    searcher.config = dataclasses.replace(saved, ranking=ranking)
    try:
        question = analyse(searcher, "comment financer une épicerie solidaire")
        assert question.lexical_tokens == question.tokens
        hits = searcher.search(question, k=3, filters=Filters())
        assert hits and all("rm3" in h.signals for h in hits)
    finally:
        searcher.config = saved
