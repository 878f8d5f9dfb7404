"""Shouted text lower-cased in the passages' embedded text (issue 17e, `indexer.embed.
unshout`): what it changes, what it keeps, and that the lexical side (BM25, n-grams, every
statistic a visibility counts) reads the same tokens either way."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from indexer.chunk import ChunkSettings, chunk_resources
from indexer.embed import (
    HEADER_FORMAT,
    UNSHOUT_HEADER_FORMAT,
    EncodingSettings,
    embedding_text,
    format_embedding_text,
    known_acronyms,
    unshout,
)
from indexer.lexical import Analyzer
from indexer.parse import parse_seeds

ACRONYMS = known_acronyms()


@pytest.mark.parametrize(("shouted", "quiet"), [
    ("RÉPONDRE AUX DÉFIS DES QUARTIERS PRIORITAIRES AVEC L'ESS",
     "Répondre aux défis des quartiers prioritaires avec l'ESS"),
    ("POLITIQUE DE LA VILLE & ESS - INITIATIVES, ANALYSES ET ÉCLAIRAGES",
     "Politique de la ville & ESS - initiatives, analyses et éclairages"),
    ("AMAP SOLIDAIRE VERDUN", "AMAP solidaire verdun"),
    ("MOBILITÉ INCLUSIVE : COMMENT RÉUNIR LES CONDITIONS",
     "Mobilité inclusive : comment réunir les conditions"),
])
def test_a_shouted_run_is_lower_cased_and_its_acronyms_kept(shouted: str, quiet: str) -> None:
    assert unshout(shouted, ACRONYMS) == quiet


@pytest.mark.parametrize("text", [
    "Le PTCE et la SCIC de Lyon, avec le RTES",  # acronyms in running text
    "- RTES, Kit MunicipalESS, 2020",  # one capitalised word per run
    "TIERS-LIEUX",  # one word
    "Une phrase ordinaire, sans capitales.",
])
def test_running_text_and_lone_capitals_are_left_alone(text: str) -> None:
    assert unshout(text, ACRONYMS) == text


def test_a_run_stops_at_a_line_break() -> None:
    assert unshout("ESS\nRTES", ACRONYMS) == "ESS\nRTES"
    assert unshout("FRANCE\nACTIVE", ACRONYMS) == "FRANCE\nACTIVE"


def test_the_acronyms_are_the_lexicons() -> None:
    assert {"ess", "qpv", "ptce", "scic", "rtes", "anct"} <= ACRONYMS


def test_the_template_says_whether_a_version_was_built_with_it() -> None:
    # A version's manifest records `header_format`; one built before issue 17e has the
    # plain template, and its passages are embedded (and checked) as they were.
    old = EncodingSettings.from_dict({"header_format": HEADER_FORMAT})
    assert old.header_format == HEADER_FORMAT
    assert UNSHOUT_HEADER_FORMAT != HEADER_FORMAT
    # Off by default (eval/README.md, « Issue 17e »): new builds use the plain template.
    assert EncodingSettings().header_format == HEADER_FORMAT


def test_the_plain_template_is_the_formula_a_stored_hash_was_made_with() -> None:
    parts = {"title": "RÉPONDRE AUX DÉFIS", "kind": "catalogue", "section": " — POLITIQUE",
             "text": "QUARTIERS EN TRANSITION\n- Resovilles, 2020"}
    assert format_embedding_text(HEADER_FORMAT, **parts) == unicodedata.normalize(
        "NFC", HEADER_FORMAT.format(**parts))
    quiet = format_embedding_text(UNSHOUT_HEADER_FORMAT, **parts)
    # A lone capitalised word (« POLITIQUE ») is left as it is: it may be a name.
    assert quiet == "Répondre aux défis (catalogue — POLITIQUE)\nQuartiers en transition\n" \
                    "- Resovilles, 2020"


@pytest.fixture(scope="module")
def seed_passages(seeds_dir: Path):
    resources = parse_seeds(seeds_dir).resources
    by_id = {r.id: r for r in resources}
    return [(p, by_id[p.resource_id]) for p in chunk_resources(resources, ChunkSettings())]


def test_the_seed_catalogue_headings_are_unshouted(seed_passages) -> None:
    changed = [(embedding_text(p, r, HEADER_FORMAT), embedding_text(p, r,
                                                                  UNSHOUT_HEADER_FORMAT))
               for p, r in seed_passages]
    changed = [(a, b) for a, b in changed if a != b]
    assert changed, "the seed catalogue has shouted headings"
    quiet = {b for _, b in changed}
    assert any("Répondre aux défis des quartiers prioritaires" in b for b in quiet)
    # Only case changes: the same characters otherwise.
    assert all(a.lower() == b.lower() for a, b in changed)


def test_the_lexical_side_reads_the_same_tokens(seed_passages) -> None:
    """BM25 and the n-gram field index the embedded text: lower-casing changes none of
    their tokens, so no corpus statistic of any visibility moves."""
    from indexer.ngrams import NgramSettings

    analyzer, ngrams = Analyzer(), NgramSettings()
    for passage, resource in seed_passages:
        plain = embedding_text(passage, resource, HEADER_FORMAT)
        quiet = embedding_text(passage, resource, UNSHOUT_HEADER_FORMAT)
        assert analyzer.tokens(plain) == analyzer.tokens(quiet)
        assert ngrams.tokens(plain, analyzer) == ngrams.tokens(quiet, analyzer)
