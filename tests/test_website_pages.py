"""Website pages as the site prints them today, on synthetic exports in the seeds' layouts.

`fixtures/website_pages.txt` is a website export (title, body, metadata block, summary) of
six invented pages, and `fixtures/single_page.txt` a single page; their text is made up, their
layout is the one real rtes.fr pages come in: the current site header, the page tools
(« • Agrandir la taille du texte »…), « Publié le » lines and bylines, image file names, a page
that repeats its opening paragraph lower down, statistics dated inside the body text.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer import clean
from indexer.documents import Paragraph, Resource
from indexer.website import parse_page, parse_website

ROOT = Path(__file__).parent.parent
PAGES = ROOT / "tests" / "fixtures" / "website_pages.txt"
SINGLE = ROOT / "tests" / "fixtures" / "single_page.txt"


@pytest.fixture(scope="module")
def pages() -> list[Resource]:
    return parse_website(PAGES.name, PAGES.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def single() -> Resource:
    [page] = parse_page(SINGLE.name, SINGLE.read_text(encoding="utf-8"))
    return page


# --- furniture ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "name"),
    [
        ("Réseau des collectivités Territoriales pour une Économie Sociale et Solidaire",
         "site header"),
        ("Réseau des collectivités Territoriales pour une Économie Solidaire", "site header"),
        ("• Agrandir la taille du texte", "text size"),
        ("• Réduire la taille du texte", "text size"),
        ("• Imprimer cet article", "print"),
        ("Publié le 8 décembre 2014", "published"),
        ("Publié le 1er mars 2021 par Jean-Pierre Dupont", "published"),
        ("Publié le 4 avril 2022 - Mis à jour le 12 mai 2022", "published"),
        ("par Camille Durand - le 8 décembre 2014", "byline"),
        ("Version mise en page à retrouver ici", "layout version"),
        ("Programme journée.png", "image file"),
        ("Affiche recyclerie Tanneurs.jpg", "image file"),
        ("En savoir plus", "read more"),
        ("(Re)visionnez la conférence en ligne :", "replay link"),
        ("Téléchargez la fiche Déniché pour vous n°123 - Le FIL", "fiche download"),
        ("---------------------------------------", "rule"),
        ("https://www.linkedin.com/company/rtes/", "social link"),
        # Sentences that only begin like furniture are content.
        ("Publié le 3 mars 2020, ce guide présente les aides aux communes.", None),
        ("Par ailleurs, les élus ont voté - le 8 décembre 2014.", None),
        ("Imprimer cet article puis le distribuer aux élus du conseil.", None),
        ("Le logo est disponible au format logo.png avec les autres fichiers du kit", None),
        ("Mis à jour le 29 septembre 2023", None),
        ("Réseau des collectivités Territoriales pour une Économie Solidaire (RTES) : statuts",
         None),
    ],
)
def test_furniture_patterns(line: str, name: str | None) -> None:
    found = clean.furniture(line)
    assert (found.name if found else None) == name


def test_every_furniture_pattern_is_listed_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for furniture in clean.FURNITURE:
        assert f"**{furniture.name}**" in readme, furniture.name


def test_no_furniture_left_in_any_paragraph(pages: list[Resource], single: Resource) -> None:
    for r in (*pages, single):
        assert clean.furniture(r.title) is None, r.title
        for p in r.paragraphs:
            assert clean.furniture(p.text) is None, (r.title, p)
            folded = clean.fold(p.text)
            for fragment in ("taille du texte", "imprimer cet article", "publie le",
                             "par camille durand", "mise en page", ".png", ".jpg"):
                assert fragment not in folded, (r.title, p)


def test_the_current_site_header_is_not_a_title(pages: list[Resource], single: Resource) -> None:
    assert pages[0].title == "Les Rencontres inter-communales de l'alimentation solidaire"
    assert pages[0].source.start_line == 3
    assert single.title == "Journées d'étude sur les monnaies locales complémentaires"


def test_a_byline_is_not_a_title(pages: list[Resource]) -> None:
    assert pages[1].title == "Une grande fête pour l'ouverture de la recyclerie des Tanneurs"
    assert pages[1].source.start_line == 31


# --- where each page starts -------------------------------------------------------------


def test_every_page_is_found_at_its_title(pages: list[Resource]) -> None:
    assert [(r.title, r.source.start_line, r.source.end_line) for r in pages] == [
        ("Les Rencontres inter-communales de l'alimentation solidaire", 3, 29),
        ("Une grande fête pour l'ouverture de la recyclerie des Tanneurs", 31, 49),
        ("Appel à projets pour les coopératives d'habitants", 51, 83),
        ("Observatoire des emplois de l'ESS en Val-de-Brume, édition 2019", 87, 105),
        ("Retour sur l'automne des agents communaux", 107, 119),
        ("Guide des achats responsables pour les petites communes", 121, 136),
    ]


def test_a_page_repeating_its_opening_paragraph_is_split_at_its_title(
    pages: list[Resource],
) -> None:
    """The call for projects repeats its opening paragraph lower down: its body starts at the
    first copy, so neither its title nor that paragraph goes to the page before it."""
    fete, call = pages[1], pages[2]
    assert all(p.end_line < call.source.start_line for p in fete.paragraphs)
    assert not any("coopératives" in p.text for p in fete.paragraphs)
    opening = ("La métropole lance un appel à projets pour soutenir la création de "
               "coopératives d'habitants dans les quartiers prioritaires.")
    assert [p.text for p in call.paragraphs].count(opening) == 1
    assert call.paragraphs[0].text == opening


# --- repeated lines ------------------------------------------------------------------------


def test_only_the_same_line_counts_once(pages: list[Resource]) -> None:
    """Two statistics a year apart share nearly all their words and both stay; the copy of
    the call's opening paragraph is the same line once folded, and goes."""
    observatory = pages[3]
    assert [p.text for p in observatory.paragraphs] == [
        "L'observatoire publie chaque année le nombre d'emplois de l'économie sociale et "
        "solidaire du département.",
        "Fin décembre 2018, les structures de l'ESS employaient 4 300 salariés dans le "
        "département.",
        "Fin décembre 2017, les structures de l'ESS employaient 4 100 salariés dans le "
        "département.",
    ]
    assert clean.word_overlap(*(p.text for p in observatory.paragraphs[1:])) >= 0.8
    call = pages[2]
    assert [p.start_line for p in call.paragraphs] == [73, 75, 77, 79, 83]


def test_the_summary_stands_for_a_reworded_body_line_only_in_its_place() -> None:
    """A summary that stops early must not swallow body lines that merely resemble its own."""
    body = [Paragraph(text, n, n) for n, text in enumerate((
        "Atelier du matin : financer un tiers-lieu en quartier prioritaire",
        "Atelier du soir : financer un tiers-lieu en quartier prioritaire",
        "Atelier de nuit : financer un tiers-lieu en quartier prioritaire",
    ), start=1)]
    summary = [Paragraph("Atelier du matin : financer un tiers-lieu en quartier prioritaire.",
                         10, 10)]
    merged = clean.merge_body_and_summary(body, summary)
    assert [p.start_line for p in merged] == [10, 2, 3]
    reworded = [Paragraph("Atelier du matin, pour financer un tiers-lieu en quartier prioritaire",
                          10, 10)]
    assert [p.start_line for p in clean.merge_body_and_summary(body, reworded)] == [10, 2, 3]


# --- kinds ----------------------------------------------------------------------------------


def test_kinds_from_plural_and_inflected_words(pages: list[Resource], single: Resource) -> None:
    """« Les Rencontres … », « Une grande fête … », « Journées d'étude … » are events; the
    autumn page's title says nothing, and its first paragraph, under a « Publié le » line
    (furniture, gone), names a « séminaire »."""
    assert [r.kind for r in pages] == ["event", "event", "article", "article", "event", "article"]
    assert pages[4].paragraphs[0].text.startswith("Ce séminaire d'automne")
    assert single.kind == "event"
