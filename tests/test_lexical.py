"""The French analyzer: elision, accents, stemming, stop words, acronyms."""

import pytest

from indexer.lexical import Analyzer, build_bm25

pytestmark = pytest.mark.fast


def test_elision_with_both_apostrophes():
    a = Analyzer()
    assert a.tokens("L’épicerie") == a.tokens("l'épicerie") == a.tokens("épicerie")
    assert a.tokens("jusqu’aux quartiers") == a.tokens("aux quartiers")
    assert "qu" not in a.tokens("qu'il accompagne")


def test_accents_folded_before_stemming():
    a = Analyzer()
    assert a.tokens("evenement") == a.tokens("événements")
    assert a.tokens("epiceries") == a.tokens("L’épicerie")


def test_stop_words_dropped_meaningful_words_kept():
    a = Analyzer()
    assert a.tokens("le la les des du de et") == []
    assert a.tokens("pas") == ["pas"]


def test_acronyms_kept_whole():
    a = Analyzer()
    for acronym in ("ESS", "PTCE", "QPV", "SCIC", "CAE", "ANCT"):
        assert a.tokens(acronym) == [acronym.lower()]
    # Snowball alone would cut « CAE » to « ca ».
    assert a.tokens("CAE") != [a._stem.stemWord("cae")]


def test_settings_round_trip():
    a = Analyzer()
    b = Analyzer.from_dict(a.to_dict())
    assert b.tokens("L’épicerie solidaire de la CAE") == a.tokens("L’épicerie solidaire de la CAE")


def test_bm25_finds_inflected_forms():
    a = Analyzer()
    docs = ["Les événements de l'épicerie solidaire", "Une recyclerie pour la petite enfance",
            "Le garage solidaire du Jura"]
    bm25 = build_bm25(docs, a)
    scores = bm25.get_scores(a.tokens("evenement epiceries"))
    assert scores.argmax() == 0 and scores[1] == 0 and scores[2] == 0
