"""Quoting helpers: highlights are escaped first, answers keep to 400 characters."""

import pytest

from indexer.lexical import Analyzer
from indexer.sentences import split_sentences
from search_service.answer import highlight
from search_service.answer_span import asked_pattern
from search_service.quote_window import compose

pytestmark = pytest.mark.fast


def test_highlight_escapes_then_marks():
    a = Analyzer()
    text = "L’épicerie <b>solidaire</b> & les événements"
    out = highlight(text, set(a.tokens("epiceries evenement")), a)
    assert out == ("L’<mark>épicerie</mark> &lt;b&gt;solidaire&lt;/b&gt; &amp; les "
                   "<mark>événements</mark>")
    assert highlight("<img src=x>", set(), a, span=(0, 4)) == "<mark>&lt;img</mark> src=x&gt;"


def _holds_what_is_asked(question: str, sentence: str) -> bool:
    pattern = asked_pattern(question)
    return pattern is not None and pattern.search(sentence) is not None


def test_what_the_question_asks_for():
    assert _holds_what_is_asked("Combien d'habitants ?", "Elle compte 32 000 habitants.")
    assert not _holds_what_is_asked("Combien d'habitants ?", "Une ville sans chiffre.")
    assert _holds_what_is_asked("Quand a eu lieu la conférence ?", "Le 2 mars 2023, à Paris.")
    assert _holds_what_is_asked("Quel sociologue a mené l'étude ?", "Abou Ndiaye, sociologue")
    assert not _holds_what_is_asked("des activités physiques pour tous", "Le 2 mars 2023.")


def test_answer_adds_the_next_sentence_within_400_chars():
    text = "Le garage est basé à Lons. Il loue des voitures aux demandeurs d'emploi. " + "x" * 500
    first = split_sentences(text)[0]
    assert compose("garage", text, first, []).text == (
        "Le garage est basé à Lons. Il loue des voitures aux demandeurs d'emploi.")
    long = "Mot " * 200 + "fin."
    sentence = split_sentences(long)[0]
    answer = compose("mot", long, sentence, []).text
    assert len(answer) <= 400 and answer.endswith(" …")
