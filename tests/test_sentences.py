"""Sentence splitting: offsets exact, inclusive writing and decimals kept whole."""

from indexer.sentences import split_sentences


def test_offsets_and_inclusive_writing():
    text = ("La ville rassemble 32 000 habitant.e.s. C'est en 2018 qu'a été créé le PTCE.\n"
            "• Une ligne de liste sans point final\n"
            "Le taux est de 1.5 point cette année ! Court.")
    sentences = split_sentences(text)
    assert [s.text for s in sentences] == [
        "La ville rassemble 32 000 habitant.e.s.",
        "C'est en 2018 qu'a été créé le PTCE.",
        "Une ligne de liste sans point final",
        "Le taux est de 1.5 point cette année !",
    ]
    assert all(text[s.start:s.end] == s.text for s in sentences)


def test_closing_quotes_stay_with_their_sentence():
    text = "Elle a dit « nous venons ». Puis elle est partie ailleurs."
    assert [s.text for s in split_sentences(text)] == [
        "Elle a dit « nous venons ».", "Puis elle est partie ailleurs."]

