"""The website exports (000–002) and the seminar page (003), parsed from the real seeds."""

from __future__ import annotations

import json
import re
from itertools import combinations
from pathlib import Path

import pytest

from indexer.clean import fold
from indexer.corpus import merge_duplicates
from indexer.documents import Paragraph, Resource, Source
from indexer.errors import SeedFileError
from indexer.metadata import detect_kind, resource_id, split_keywords_line
from indexer.repeats import same_paragraph, word_overlap
from indexer.text import fold_accents, normalize_line, slugify
from indexer.website import parse_page, parse_website

SEEDS = Path(__file__).parent.parent / "seeds"
FIXTURE = Path(__file__).parent / "fixtures" / "website_resources.json"
WEBSITE_FILES = ("000_b7e720c58eb8b2a1.txt", "001_bd4784cbb8e81a05.txt", "002_1f2ab4e259c0665a.txt")
PAGE_FILE = "003_cbf2fb984e84aca7.txt"

JUNK = {"ygiy", "esss", "tyghujik", "sdd", "lt", "k"}
# Whole lines that must never be a paragraph (folded: lower case, no accents, ' for ’).
REMOVED_LINES = {
    "reseau des collectivites territoriales pour une economie solidaire",
    "en savoir plus",
    "lire la suite",
    "(re)voir la conference en ligne",
    "(re)visionnez la conference en ligne :",
    "replay a retrouver ci-dessous :",
    "pas d'images ? version web",
    "abonnez-vous directement",
    "facebooktwitterwebsite",
    "partager",
    "tweet",
    "transferer",
    "contact",
    "type de ressource",
    "ressources rtes",
    "autres",
    "ressource privee",
    "oui",
    "non",
    "resume",
    "categorie",
}
# Fragments that must appear in no paragraph at all.
REMOVED_FRAGMENTS = (
    "vous recevez cette newsletter",
    "on vous a transfere cette newsletter",
    "se desinscrire",
    "mettre a jour les preferences",
    "tel : 03 20 97 17 97",
    "animation@rtes.fr",
    "telechargez la fiche",
    "espace membre",
    "mots-cles",
    "linkedin.com",
)


def _read(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8-sig")


def _lines(name: str) -> list[str]:
    return _read(name).split("\n")


@pytest.fixture(scope="module")
def parsed() -> list[Resource]:
    """Every resource of 000–003 before merging duplicates, in file order."""
    resources: list[Resource] = []
    for name in WEBSITE_FILES:
        resources.extend(parse_website(name, _read(name)))
    resources.extend(parse_page(PAGE_FILE, _read(PAGE_FILE)))
    return resources


@pytest.fixture(scope="module")
def resources(parsed: list[Resource]) -> list[Resource]:
    return merge_duplicates(parsed)


def _one(resources: list[Resource], title_start: str) -> Resource:
    found = [r for r in resources if r.title.startswith(title_start)]
    assert len(found) == 1, f"{len(found)} resources titled « {title_start}… »"
    return found[0]


def _fixture() -> list[dict]:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


# --- blocks and metadata ---------------------------------------------------------


def test_ten_blocks_per_website_export(parsed: list[Resource]) -> None:
    counts = {name: sum(r.source.file == name for r in parsed) for name in WEBSITE_FILES}
    assert counts == dict.fromkeys(WEBSITE_FILES, 10)


def test_29_website_resources_and_the_page_after_merging(resources: list[Resource]) -> None:
    assert len(resources) == len(_fixture()) == 30


@pytest.mark.parametrize("expected", _fixture(), ids=lambda e: f"{e['file'][:3]}:{e['title_line']}")
def test_fixture_resource_found(resources: list[Resource], expected: dict) -> None:
    found = [
        r for r in resources
        if r.source.file == expected["file"] and r.source.start_line == expected["title_line"]
    ]
    assert len(found) == 1, f"no resource at {expected['file']}:{expected['title_line']}"
    r = found[0]
    got = {
        "title": r.title,
        "end_line": r.source.end_line,
        "kind": r.kind,
        "private": r.private,
        "fiche_number": r.fiche_number,
        "date": r.date,
        "updated": r.updated,
        "also_in": [s.to_dict() for s in r.also_in],
    }
    assert got == {key: expected[key] for key in got}


def test_title_line_holds_the_title(resources: list[Resource]) -> None:
    for r in resources:
        assert normalize_line(_lines(r.source.file)[r.source.start_line - 1]) == r.title


def test_exactly_three_private(resources: list[Resource]) -> None:
    private = sorted((r.title, r.date) for r in resources if r.private)
    assert private == [
        ("Communes et interco : comment soutenir l’ESS sur vos territoires ? "
         "- conférence en ligne mai 2021", "2021-05"),
        ("Newsletter RTES - POLITIQUE DE LA VILLE", "2021-10"),
        ("Newsletter RTES - POLITIQUE DE LA VILLE", "2022-03"),
    ]


def test_ids_unique_and_follow_the_rule(resources: list[Resource]) -> None:
    ids = [r.id for r in resources]
    assert len(ids) == len(set(ids))
    for r in resources:
        assert r.id == resource_id(r.kind, r.title, r.date, r.fiche_number)
        if r.kind == "fiche":
            assert r.id == f"fiche-{r.fiche_number}"
        else:
            assert r.id == f"{r.kind}-{slugify(r.title, 8)}-{r.date or 'nd'}"
            assert "000_" not in r.id and "b7e720" not in r.id
    assert "newsletter-newsletter-rtes-politique-de-la-ville-2022-03" in ids
    assert "newsletter-newsletter-rtes-politique-de-la-ville-2021-10" in ids
    assert "fiche-110" in ids
    assert "conference-les-conferences-en-ligne-du-rtes-nd" in ids


def test_resource_id_rule() -> None:
    assert resource_id("fiche", "Fiche Déniché pour vous n°97 : Migracoop", "2021-05", "97") == (
        "fiche-97"
    )
    assert resource_id("event", "Journée « Économie » d’été à Paris", None, None) == (
        "event-journee-economie-d-ete-a-paris-nd"
    )
    long_title = "un deux trois quatre cinq six sept huit neuf dix"
    assert resource_id("article", long_title, "2020-01", None) == (
        "article-un-deux-trois-quatre-cinq-six-sept-huit-2020-01"
    )


def test_kind_rule() -> None:
    assert detect_kind("Fiche Déniché pour Vous n°97 : Migracoop", None) == "fiche"
    assert detect_kind("FlashWeb ESS Quartiers", None) == "conference"
    assert detect_kind("WEBINAIRE ruralités", None) == "conference"
    assert detect_kind("Newsletter RTES", None) == "newsletter"
    assert detect_kind("Retour sur la journée MCDR", None) == "event"
    assert detect_kind("Les conférences en ligne du RTES", "Retrouvez les conférences") == (
        "conference"
    )
    assert detect_kind("Pratiques culinaires", "Cette conférence en ligne…") == "conference"
    assert detect_kind("Les Rencontres Inter-territoriales", None) == "event"
    assert detect_kind("JOURNEES TECHNIQUES", None) == "event"
    assert detect_kind("Une belle fête pour l'ouverture", None) == "event"
    # Only the singular counts in the first paragraph; a participle is not the noun.
    assert detect_kind("Des outils pour tous", "Des rencontres et des séminaires.") == "article"
    assert detect_kind("Le GRDR", "Le GRDR a rencontré 65 femmes.") == "article"
    assert detect_kind("Retour sur l'automne", "Ce séminaire a réuni trente agents.") == "event"


# --- keywords ----------------------------------------------------------------------


def test_keyword_shapes(resources: list[Resource]) -> None:
    fiches = {r.fiche_number: r for r in resources if r.kind == "fiche"}
    assert {"emploi", "insertion", "PTCE"} <= set(fiches["110"].keywords)
    assert fiches["104"].keywords == ("alimentation", "économie informelle")
    assert fiches["97"].keywords == ("économie informelle", "entrepreneuriat collectif")
    assert fiches["101"].keywords == ("politique de la ville",)
    assert fiches["126"].keywords == ("tiers-lieu", "Scic", "alimentation", "100ème singe")
    assert fiches["125"].keywords == ("réemploi", "foncier", "QPV", "ESS")
    assert fiches["124"].keywords == ("urbanisme transitoire", "tiers-lieux", "QPV")
    for r in resources:
        assert not set(r.keywords) & JUNK, r.id
        for keyword in r.keywords:
            assert not re.search(r"\d{4}", keyword) or keyword == "100ème singe", keyword


@pytest.mark.parametrize(
    ("line", "keywords", "date", "updated"),
    [
        ("Mots-clés : tiers-lieu ; Scic ; alimentation - Février 2024",
         ("tiers-lieu", "Scic", "alimentation"), "2024-02", None),
        ("Mots-clés : alimentation ; économie informelle. Novembre 2021.",
         ("alimentation", "économie informelle"), "2021-11", None),
        ("Mots-clés : économie informelle, entrepreneuriat collectif. Mai 2021.",
         ("économie informelle", "entrepreneuriat collectif"), "2021-05", None),
        ("Mots-clés : emploi ; insertion - Février 2022 (actualisée en mars 2023)",
         ("emploi", "insertion"), "2022-02", "2023-03"),
        ("Mots-clés : politique de la ville", ("politique de la ville",), None, None),
    ],
)
def test_split_keywords_line(line: str, keywords: tuple, date: str, updated: str) -> None:
    assert split_keywords_line(line) == (keywords, date, updated)


# --- cleaning ----------------------------------------------------------------------


def test_no_boilerplate_metadata_or_junk_paragraph(resources: list[Resource]) -> None:
    for r in resources:
        for p in r.paragraphs:
            text = fold(p.text)
            assert text not in REMOVED_LINES, (r.id, p)
            assert p.text not in JUNK, (r.id, p)
            assert not re.fullmatch(r"-{3,}", p.text), (r.id, p)
            assert not re.fullmatch(r"https?://\S*linkedin\S*", p.text), (r.id, p)
            for fragment in REMOVED_FRAGMENTS:
                assert fragment not in text, (r.id, fragment, p)
            assert p.text == normalize_line(p.text)
            assert "\u00a0" not in p.text


def test_resources_heading_only_with_text_under_it(resources: list[Resource]) -> None:
    kept = 0
    for r in resources:
        for p, following in zip(r.paragraphs, (*r.paragraphs[1:], None), strict=True):
            if re.fullmatch(r"ressources\s*:?", fold(p.text)):
                kept += 1
                assert following is not None and following.section == p.section, (r.id, p)
    assert kept == 1  # the CRTE conference's, above its « argumentaire »


def test_junk_lines_in_bodies_and_after_keywords_are_gone(resources: list[Resource]) -> None:
    texts = {fold(p.text) for r in resources for p in r.paragraphs}
    assert not texts & JUNK
    formation = _one(resources, "Formation croisée ESS")
    assert any(p.text.startswith("L'après-midi a débuté") for p in formation.paragraphs)


def test_contact_details_inside_fiches_are_content(resources: list[Resource]) -> None:
    migracoop = _one(resources, "Fiche Déniché pour Vous n°97")
    texts = [p.text for p in migracoop.paragraphs]
    assert "Site internet : http://www.meltingcoop.fr/?page_id=2" in texts
    assert "Zone d'action : Paris, Île-de-France." in texts


def test_every_paragraph_is_in_its_lines(resources: list[Resource]) -> None:
    for r in resources:
        assert r.paragraphs, r.id
        lines = _lines(r.source.file)
        for p in r.paragraphs:
            assert r.source.start_line < p.start_line <= p.end_line <= r.source.end_line, (r.id, p)
            found = " ".join(normalize_line(x) for x in lines[p.start_line - 1 : p.end_line])
            assert p.text in found, (r.id, p)


def test_no_paragraph_twice_within_a_resource(resources: list[Resource]) -> None:
    for r in resources:
        folded = [" ".join(re.findall(r"\w+", fold(p.text))) for p in r.paragraphs]
        assert len(folded) == len(set(folded)), r.id


def test_lines_that_only_share_words_are_both_kept(resources: list[Resource]) -> None:
    """Each section of the culinary conference has its own « Rôle … de la collectivité : »
    heading; 80 % of their words are shared, yet they are two lines (issue 13)."""
    culinary = _one(resources, "Pratiques culinaires informelles")
    roles = [(p.text, p.section) for p in culinary.paragraphs if p.text.startswith("Rôle")]
    assert roles == [
        ("Rôle spécifique de la collectivité :", "Rôle spécifique de la collectivité"),
        ("Rôle de la collectivité :", "Rôle de la collectivité"),
    ]
    assert word_overlap(*(text for text, _ in roles)) >= 0.8
    march = next(r for r in resources if r.kind == "newsletter" and r.date == "2022-03")
    assert [p.start_line for p in march.paragraphs if p.text.startswith("Newsletter")] == [12, 16]


def test_summary_replaces_the_body_it_repeats(resources: list[Resource]) -> None:
    fiche = _one(resources, "Fiche Déniché pour vous n°110")
    assert [(p.start_line, p.end_line) for p in fiche.paragraphs] == [(112, 112)]
    quebec = _one(resources, "L'approche québécoise")
    assert all(p.start_line > 215 for p in quebec.paragraphs)  # all from the summary


def _shared_share(a: str, b: str) -> float:
    """Share of the smaller paragraph's distinct words found in the other one."""
    wa = set(re.findall(r"\w+", fold_accents(a).lower()))
    wb = set(re.findall(r"\w+", fold_accents(b).lower()))
    return len(wa & wb) / min(len(wa), len(wb))


def test_crte_reworded_summary_does_not_duplicate_the_body(resources: list[Resource]) -> None:
    crte = _one(resources, "La place de l'ESS dans les CRTE")
    for a, b in combinations(crte.paragraphs, 2):
        wa, wb = len(a.text.split()), len(b.text.split())
        if min(wa, wb) >= 5 and 2 * min(wa, wb) >= max(wa, wb):
            assert _shared_share(a.text, b.text) < 0.8, (a, b)
        assert not same_paragraph(a.text, b.text)
    starts = {p.start_line for p in crte.paragraphs}
    # The body's paragraph 693 is split in two by the summary (737 + 741): the summary wins.
    assert {725, 737, 739, 741} <= starts
    assert not starts & {679, 681, 693, 695}
    assert sum(p.text.startswith("Les périmètres des CRTE") for p in crte.paragraphs) == 1


def test_newsletter_footer_gone(resources: list[Resource]) -> None:
    newsletters = [r for r in resources if r.kind == "newsletter"]
    assert len(newsletters) == 2
    for r in newsletters:
        lines = _lines(r.source.file)
        footer_start = next(
            n for n in range(r.source.start_line, r.source.end_line + 1)
            if lines[n - 1].startswith("Vous recevez cette newsletter")
        )
        assert max(p.end_line for p in r.paragraphs) < footer_start, r.id
        assert not any(fold(p.text).startswith("pas d'images") for p in r.paragraphs)
    march = next(r for r in newsletters if r.date == "2022-03")
    assert any(p.text.startswith("Le Pôle territorial de coopération") for p in march.paragraphs)


def test_newsletter_teasers_stay_separate_resources(resources: list[Resource]) -> None:
    october = next(r for r in resources if r.kind == "newsletter" and r.date == "2021-10")
    fiche = _one(resources, "Fiche Déniché pour vous n°101")
    teaser = fiche.paragraphs[0].text
    assert any(p.text == teaser for p in october.paragraphs)


def test_sections(resources: list[Resource]) -> None:
    march = next(r for r in resources if r.kind == "newsletter" and r.date == "2022-03")
    toulouse = next(p for p in march.paragraphs if p.text.startswith("À travers son contrat"))
    assert toulouse.section is not None and toulouse.section.startswith("TOULOUSE MÉTROPOLE")
    culinary = _one(resources, "Pratiques culinaires informelles")
    grigny = next(p for p in culinary.paragraphs if p.text.startswith("Grigny est une commune"))
    assert grigny.section == (
        "Retour d'expérience de la recherche-action menée à Grigny (GRDR / ville de Grigny)"
    )
    assert culinary.paragraphs[0].section is None
    split = next(p for p in march.paragraphs if p.start_line == 24)
    assert split.section == split.text  # a heading is a paragraph of its own section
    october = next(r for r in resources if r.kind == "newsletter" and r.date == "2021-10")
    joined = next(p for p in october.paragraphs if p.start_line == 299)
    assert joined.end_line == 300
    assert joined.text.endswith("RETOURS D'EXPÉRIENCES DE FORMALISATION\"")


# --- duplicates across files -------------------------------------------------------


def test_duplicate_recorded_in_also_in(resources: list[Resource], parsed: list[Resource]) -> None:
    culinary = _one(resources, "Pratiques culinaires informelles")
    assert culinary.source == Source("000_b7e720c58eb8b2a1.txt", 459, 593)
    assert culinary.also_in == (Source("002_1f2ab4e259c0665a.txt", 3, 137),)
    assert not [r for r in resources if r.source == culinary.also_in[0]]
    assert sum(r.title.startswith("Pratiques culinaires") for r in parsed) == 2


def test_merge_compares_content_not_file_name() -> None:
    original = parse_website(WEBSITE_FILES[2], _read(WEBSITE_FILES[2]))[0]
    renamed = parse_website("renamed.txt", _read(WEBSITE_FILES[2]))[0]
    changed = Resource(
        id=original.id, title=original.title, kind=original.kind, private=original.private,
        source=Source("other.txt", 1, 2),
        paragraphs=(*original.paragraphs, Paragraph("Un paragraphe de plus.", 2, 2)),
    )
    merged = merge_duplicates([original, renamed, changed])
    assert len(merged) == 2
    assert merged[0].also_in == (renamed.source,)
    assert merged[1].source == Source("other.txt", 1, 2)


# --- the seminar page ---------------------------------------------------------------


def test_seminar_page(resources: list[Resource]) -> None:
    [page] = parse_page(PAGE_FILE, _read(PAGE_FILE))
    assert page.kind == "event" and not page.private and page.date == "2015-12"
    assert page.source == Source(PAGE_FILE, 1, 28)
    assert page.id == "event-retours-sur-le-seminaire-national-politique-de-la-2015-12"
    starts = [p.start_line for p in page.paragraphs]
    assert 3 not in starts  # the « ----- » rule
    assert starts == sorted(starts) and len(starts) == 26  # each other line is a paragraph
    assert page in resources


# --- robustness ---------------------------------------------------------------------


def test_line_endings_and_spaces_do_not_change_the_result() -> None:
    text = _read(WEBSITE_FILES[1])
    crlf = text.replace("\n", "\r\n").replace("Type de ressource", "Type\u00a0de ressource")
    assert parse_website(WEBSITE_FILES[1], crlf) == parse_website(WEBSITE_FILES[1], text)


def test_malformed_metadata_names_the_file() -> None:
    text = "Titre\n\nCorps.\n\nType de ressource\nAutres\nRésumé\n\nRésumé.\n"
    with pytest.raises(SeedFileError, match="broken.txt.*line 5"):
        parse_website("broken.txt", text)


def test_private_flag_must_be_oui_or_non() -> None:
    text = "Titre\n\nType de ressource\nAutres\nRessource privée\nPeut-être\nRésumé\n\nTexte.\n"
    with pytest.raises(SeedFileError, match="broken.txt.*Oui ou Non|broken.txt.*Oui or Non"):
        parse_website("broken.txt", text)


def test_block_without_body() -> None:
    text = (
        "Réseau des collectivités Territoriales pour une Économie Solidaire\n\n"
        "Première journée\n\nUn corps.\n\nType de ressource\nAutres\nRessource privée\nNon\n"
        "Résumé\n\nUn corps.\n\nDeuxième article sans corps\n\nType de ressource\nAutres\n"
        "Ressource privée\nOui\nRésumé\n\nTout est dans le résumé, en mars 2020.\n"
    )
    first, second = parse_website("mini.txt", text)
    assert (first.title, first.kind, first.source) == ("Première journée", "event",
                                                       Source("mini.txt", 3, 13))
    assert [p.text for p in first.paragraphs] == ["Un corps."]
    # « en mars 2020 » is inside a sentence of the text: not the page's own date.
    assert (second.title, second.private, second.date) == ("Deuxième article sans corps", True,
                                                           None)
    assert second.source == Source("mini.txt", 15, 23)
