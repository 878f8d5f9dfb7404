"""Website pages as the site prints them today, on synthetic exports in the seeds' layouts.

`fixtures/website_pages.txt` is a website export (title, body, metadata block, summary) of
six invented pages, and `fixtures/single_page.txt` a single page; their text is made up, their
layout is the one real rtes.fr pages come in: the current site header, the page tools
(« • Agrandir la taille du texte »…), « Publié le » lines and bylines, image file names, a page
that repeats its opening paragraph lower down, statistics dated inside the body text.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from indexer import clean, metadata, repeats
from indexer.chunk import chunk_resource
from indexer.documents import Paragraph, Resource
from indexer.parse import parse_seeds
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
    assert repeats.word_overlap(*(p.text for p in observatory.paragraphs[1:])) >= 0.8
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
    merged = repeats.merge_body_and_summary(body, summary)
    assert [p.start_line for p in merged] == [10, 2, 3]
    reworded = [Paragraph("Atelier du matin, pour financer un tiers-lieu en quartier prioritaire",
                          10, 10)]
    assert [p.start_line for p in repeats.merge_body_and_summary(body, reworded)] == [10, 2, 3]


# --- kinds ----------------------------------------------------------------------------------


def test_kinds_from_plural_and_inflected_words(pages: list[Resource], single: Resource) -> None:
    """« Les Rencontres … », « Une grande fête … », « Journées d'étude … » are events; the
    autumn page's title says nothing, and its first paragraph, under a « Publié le » line
    (furniture, gone), names a « séminaire »."""
    assert [r.kind for r in pages] == ["event", "event", "article", "article", "event", "article"]
    assert pages[4].paragraphs[0].text.startswith("Ce séminaire d'automne")
    assert single.kind == "event"


# --- dates ----------------------------------------------------------------------------------


def test_dates_are_the_pages_own(pages: list[Resource], single: Resource) -> None:
    """« Publié le », the byline, the title's year, « Mis à jour le »; never the statistics'
    « fin décembre 2019 » / « Fin décembre 2018 » or the single page's « En mars 2015 »."""
    assert [(r.date, r.updated) for r in pages] == [
        ("2020-02", None),  # Publié le 3 février 2020
        ("2014-12", None),  # par Camille Durand - le 8 décembre 2014
        ("2022-04", "2022-05"),  # Publié le 4 avril 2022 - Mis à jour le 12 mai 2022
        ("2019", None),  # « édition 2019 » in the title
        ("2021-10", None),  # Publié le 12 octobre 2021, first line of the summary
        ("2023-01", "2023-01"),  # only « Mis à jour le 15 janvier 2023 »
    ]
    assert (single.date, single.updated) == ("2016-06", None)


@pytest.mark.parametrize(
    ("lines", "dates"),
    [
        (["Publié le 8 décembre 2014"], ("2014-12", None)),
        (["par Camille Durand - le 8 décembre 2014", "Publié le 2 mars 2015"], ("2014-12", None)),
        (["Publié le 4 avril 2022 - Mis à jour le 12 mai 2022"], ("2022-04", "2022-05")),
        (["Texte.", "Mis à jour le 29 septembre 2023"], (None, "2023-09")),
        (["(Mise à jour le 3 mars 2023)"], (None, "2023-03")),
        # Dates inside sentences of the text are never the page's.
        (["Les structures employaient 4 300 salariés fin décembre 2024."], (None, None)),
        (["Le guide, mis à jour le 3 mars 2020, présente les aides."], (None, None)),
        (["Publié le 3 mars 2020, ce guide présente les aides aux communes."], (None, None)),
    ],
)
def test_own_dates(lines: list[str], dates: tuple[str | None, str | None]) -> None:
    assert metadata.own_dates(lines) == dates


def test_page_date_order() -> None:
    title = "Rencontres 2019 - conférence en ligne mars 2021"
    assert metadata.title_date(title) == "2021-03"
    assert metadata.title_date("Observatoire de l'emploi, édition 2019") == "2019"
    assert metadata.title_date("Conférence #2 du 4 juin") is None
    kwargs = {"published": "2020-02", "fields": ("2019-11",), "title": title, "updated": "2023-01"}
    assert metadata.page_date(**kwargs) == "2020-02"
    assert metadata.page_date(**{**kwargs, "published": None}) == "2019-11"
    assert metadata.page_date(**{**kwargs, "published": None, "fields": (None,)}) == "2021-03"
    assert metadata.page_date(published=None, fields=(), title="Guide", updated="2023-01") == (
        "2023-01"
    )
    assert metadata.page_date(published=None, fields=(), title="Guide", updated=None) is None


# --- the whole export -----------------------------------------------------------------------


EXPECTED = [
    ("event-les-rencontres-inter-communales-de-l-alimentation-solidaire-2020-02", False,
     [27, 29]),
    ("event-une-grande-fete-pour-l-ouverture-de-la-2014-12", False, [47, 49]),
    ("article-appel-a-projets-pour-les-cooperatives-d-habitants-2022-04", False,
     [73, 75, 77, 79, 83]),
    ("article-observatoire-des-emplois-de-l-ess-en-val-2019", False, [101, 103, 105]),
    ("event-retour-sur-l-automne-des-agents-communaux-2021-10", False, [117, 119]),
    ("article-guide-des-achats-responsables-pour-les-petites-communes-2023-01", True,
     [134, 136]),
]


def test_every_page_parses_with_its_id_and_clean_passages(pages: list[Resource]) -> None:
    assert [(r.id, r.private, [p.start_line for p in r.paragraphs]) for r in pages] == [
        (rid, private, starts) for rid, private, starts in EXPECTED
    ]
    lines = PAGES.read_text(encoding="utf-8").split("\n")
    furniture = [line for line in lines if line and clean.furniture(line)]
    assert len(furniture) == 12
    for r in pages:
        passages = chunk_resource(r)
        assert passages and all(p.resource_id == r.id for p in passages)
        text = " ".join(p.text for p in passages)
        for p in r.paragraphs:
            assert p.text == lines[p.start_line - 1], (r.id, p)  # whole lines, as written
            assert p.text in text
        assert not [line for line in furniture if line in text], r.id


def test_added_beside_the_seeds_it_leaves_every_seed_resource_as_it_was(
    tmp_path: Path, seeds_dir: Path,
) -> None:
    for seed in seeds_dir.glob("*.txt"):
        shutil.copy(seed, tmp_path)
    shutil.copy(PAGES, tmp_path / "005_pages.txt")
    shutil.copy(SINGLE, tmp_path / "006_page.txt")
    alone = parse_seeds(seeds_dir).resources
    together = parse_seeds(tmp_path).resources
    assert together[: len(alone)] == alone
    added = together[len(alone):]
    assert [r.id for r in added] == [
        *(rid for rid, _, _ in EXPECTED),
        "event-journees-d-etude-sur-les-monnaies-locales-complementaires-2016-06",
    ]
