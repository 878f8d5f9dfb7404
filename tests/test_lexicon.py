"""The field lexicon (search_service/data/lexicon.tsv): parsed, and applied as written."""

from __future__ import annotations

import pytest

from search_service.lexicon import KINDS, Lexicon, default_lexicon_path, load_lexicon, words


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return load_lexicon()


def test_the_file_is_versioned_and_every_row_is_well_formed(lexicon: Lexicon) -> None:
    assert lexicon.version == "2"
    rows = [line.split("\t") for line in default_lexicon_path().read_text("utf-8").splitlines()
            if line and not line.startswith(("#", "phrase\t"))]
    assert len(rows) >= 150
    assert all(len(r) == 3 and r[2] in KINDS for r in rows)
    assert len({(r[0], r[1]) for r in rows}) == len(rows), "a row is repeated"


def test_an_acronym_expands_both_ways(lexicon: Lexicon) -> None:
    assert lexicon.expansions("les QPV de Poitiers") == [
        "quartier prioritaire de la politique de la ville"]
    assert "qpv" in lexicon.expansions("un quartier prioritaire de la politique de la ville")
    assert lexicon.expansions("qu'est-ce qu'un PTCE ?") == [
        "pôle territorial de coopération économique"]


def test_everyday_words_bring_the_institutional_ones(lexicon: Lexicon) -> None:
    found = lexicon.expansions(
        "comment la mairie peut aider les habitants d'une cité à monter un garage solidaire")
    assert {"collectivité", "quartier prioritaire", "mobilité solidaire"} <= set(found)
    assert lexicon.expansions("une épicerie pas chère") == ["solidaire", "alimentation"]
    assert "solidaire" in lexicon.expansions("pas cher")
    assert "à bas coût" in lexicon.expansions("pas cher")
    assert lexicon.expansions("Les Mairies") == lexicon.expansions("mairie")  # plural, case


def test_version_2_brings_the_fields_names_for_everyday_things(lexicon: Lexicon) -> None:
    """Rows of version 2: the name of a kind of place, service or policy for the thing."""
    assert "fablab" in lexicon.expansions("des imprimantes 3D dans le quartier")
    assert "accorderie" in lexicon.expansions("un échange de services entre voisins")
    assert "services à la personne" in lexicon.expansions("la garde d'enfants et le ménage")
    assert "état" in lexicon.expansions("ce que finance Bercy")
    assert "commande publique" in lexicon.expansions("les fournisseurs de la ville")


def test_unknown_words_are_left_alone(lexicon: Lexicon) -> None:
    assert lexicon.expansions("zorglub barnabé") == []
    assert lexicon.expansions("") == []
    # a phrase is matched whole, not one of its words: « pas » alone brings nothing
    assert lexicon.expansions("pas") == []


def test_an_expansion_the_question_already_holds_is_not_added(lexicon: Lexicon) -> None:
    assert "collectivité" not in lexicon.expansions("la mairie et la collectivité")


def test_a_malformed_row_is_refused_with_its_line() -> None:
    with pytest.raises(ValueError, match="lex.tsv:2"):
        Lexicon.parse("# version 9\nqpv\tquartier prioritaire\tacronyme\n", "lex.tsv")
    assert words("L'EPCI des Cités") == ("epci", "des", "cite")
