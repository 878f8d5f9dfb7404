"""The catalogue parser on the real export `seeds/004_…`, against `catalogue_units.json`."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from indexer.catalogue import parse_catalogue
from indexer.corpus import fiche_name, link_same_as, same_fiche
from indexer.documents import Resource, Source
from indexer.errors import SeedFileError
from indexer.parse import parse_seeds
from indexer.text import normalize_line

ROOT = Path(__file__).parent.parent
SEEDS = ROOT / "seeds"
CATALOGUE = next(SEEDS.glob("004_*.txt"))
UNITS = json.loads((ROOT / "tests" / "fixtures" / "catalogue_units.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def text() -> str:
    return CATALOGUE.read_text("utf-8")


@pytest.fixture(scope="module")
def resources(text: str) -> list[Resource]:
    return parse_catalogue(CATALOGUE.name, text)


@pytest.fixture(scope="module")
def by_id(resources: list[Resource]) -> dict[str, Resource]:
    return {r.id: r for r in resources}


def _find(resources: list[Resource], level: str, title: str) -> Resource:
    found = [r for r in resources if r.level == level and r.title == title]
    assert len(found) == 1, f"{level} « {title} » found {len(found)} times"
    return found[0]


def _plain(line: str) -> str:
    """The test's own markdown stripping: `**`/`*`, `[text](#)`, `<url>`, a leading `# `."""
    line = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", normalize_line(line))
    line = re.sub(r"<(https?://[^>\s]+)>", r"\1", line).replace("*", "")
    return re.sub(r"^#+\s+", "", normalize_line(line))


@pytest.mark.parametrize("unit", UNITS, ids=[f"{u['level']}-{u['title'][:30]}" for u in UNITS])
def test_every_fixture_unit_is_found_as_read(
    unit: dict, resources: list[Resource], by_id: dict[str, Resource]
) -> None:
    r = _find(resources, unit["level"], unit["title"])
    parent = by_id[r.parent].title if r.parent else None
    assert parent == unit["parent"]
    assert (r.source.file, r.source.start_line, r.source.end_line) == (
        CATALOGUE.name, unit["start_line"], unit["end_line"])
    assert r.fiche_number == unit["fiche_number"]
    assert r.date == unit["date"]


def test_five_chapters_twenty_sections_eight_fiches_and_nothing_else(
    resources: list[Resource],
) -> None:
    assert Counter(r.level for r in resources) == {"chapter": 5, "section": 20, "fiche": 8}
    assert {(r.level, r.title) for r in resources} == {(u["level"], u["title"]) for u in UNITS}


def test_ids_are_unique_and_carry_the_level(resources: list[Resource]) -> None:
    ids = [r.id for r in resources]
    assert len(set(ids)) == len(ids)
    for r in resources:
        assert r.id.startswith(f"catalogue-{r.level}-"), r.id
    assert {"catalogue-section-mobilite", "catalogue-fiche-cap-services"} <= set(ids)


def test_parents_are_ids_one_level_up(resources: list[Resource], by_id: dict) -> None:
    above = {"section": "chapter", "fiche": "section"}
    for r in resources:
        if r.level == "chapter":
            assert r.parent is None
        else:
            assert by_id[r.parent].level == above[r.level], r.id


def test_kinds_and_the_fiches_only_the_catalogue_has(resources: list[Resource]) -> None:
    for r in resources:
        assert r.kind == ("fiche" if r.level == "fiche" else "catalogue")
        assert r.private is False
    numbers = {r.fiche_number for r in resources if r.kind == "fiche"}
    assert {"70", "69", "86", "101"} <= numbers


def test_keywords_come_from_the_keywords_lines(resources: list[Resource]) -> None:
    keywords = {r.title: r.keywords for r in resources if r.level == "fiche"}
    assert keywords["CAP SERVICES"] == ("Entrepreneurial", "insertion")
    assert keywords["ASSOCIATION POUR LA REVALORISATION DE L'ESTIME DE SOI (APRES)"] == (
        "insertion",)
    assert keywords["KPA-CITÉ"] == ("Entrepreneurat collectif", "lieux partagés")
    assert keywords["GARAGE SOLIDAIRE JURA"] == ()
    assert all(not r.keywords for r in resources if r.level != "fiche")


def test_no_link_line_in_any_paragraph(resources: list[Resource]) -> None:
    for r in resources:
        for par in r.paragraphs:
            assert "pour accéder à la ressource" not in par.text.lower(), (r.id, par)
            assert "](#)" not in par.text and "**" not in par.text, (r.id, par)


def test_each_line_is_in_at_most_one_unit_its_deepest(resources: list[Resource]) -> None:
    seen: Counter[int] = Counter()
    for r in resources:
        children = [c.source for c in resources if c.parent == r.id]
        for par in r.paragraphs:
            lines = range(par.start_line, par.end_line + 1)
            seen.update(lines)
            assert r.source.start_line <= par.start_line <= par.end_line <= r.source.end_line
            for child in children:
                assert not set(lines) & set(range(child.start_line, child.end_line + 1)), (
                    r.id, par)
    assert max(seen.values()) == 1


def test_paragraph_text_is_in_its_lines(text: str, resources: list[Resource]) -> None:
    lines = text.split("\n")
    for r in resources:
        for par in r.paragraphs:
            cut = [_plain(line) for line in lines[par.start_line - 1 : par.end_line]]
            assert par.text in " ".join(c for c in cut if c), (r.id, par)


def test_paragraphs_keep_the_text_and_its_headings(by_id: dict[str, Resource]) -> None:
    ferme = by_id["catalogue-fiche-la-ferme-des-possibles"].paragraphs
    assert any("ferme pédagogique" in p.text and p.section ==
               "Origine et présentation de l'initiative" for p in ferme)
    section = by_id["catalogue-section-alimentation"].paragraphs
    assert any(p.text.startswith("- ORIV") and p.section == "AMAP SOLIDAIRE VERDUN"
               for p in section)
    mobilite = by_id["catalogue-section-mobilite"]
    assert all(p.text != "MOBILITÉ" for p in mobilite.paragraphs)  # its two heading lines


def test_ocr_text_is_kept_as_it_is(by_id: dict[str, Resource]) -> None:
    migracoop = " ".join(p.text for p in by_id["catalogue-fiche-migracoop"].paragraphs)
    assert "Migrcoop" in migracoop
    ferme = [p.text for p in by_id["catalogue-fiche-la-ferme-des-possibles"].paragraphs]
    assert "Juliet 2019" in ferme


def test_line_numbers_follow_the_text_not_the_file(text: str, resources: list[Resource]) -> None:
    shifted = parse_catalogue("shifted.txt", "\n\nPréambule\n" + text)
    assert [(r.id, r.source.start_line + 3, r.source.end_line + 3) for r in resources] == [
        (r.id, r.source.start_line, r.source.end_line) for r in shifted]


def test_a_text_without_chapters_is_refused_naming_the_file() -> None:
    with pytest.raises(SeedFileError, match="notes.txt"):
        parse_catalogue("notes.txt", "LA FERME DES POSSIBLES\n- RTES, 2019\n")


def _website_fiche(number: str, title: str) -> Resource:
    return Resource(id=f"fiche-{number}", title=title, kind="fiche", private=False,
                    source=Source("000_x.txt", 1, 2), fiche_number=number)


WEBSITE = [
    _website_fiche("101", "Fiche Déniché pour vous n°101 : Centre de santé des 3 cités"),
    _website_fiche("97", "Fiche Déniché pour Vous n°97 : Migracoop"),
    _website_fiche("104", "Fiche Déniché pour vous n°104 : Les Mamas de Grigny"),
]


def test_same_as_links_both_ways_by_number_or_title(resources: list[Resource]) -> None:
    linked = {r.id: r.same_as for r in link_same_as(resources + WEBSITE) if r.same_as}
    assert linked == {
        "catalogue-fiche-centre-de-sante-des-3-cites": ("fiche-101",),
        "fiche-101": ("catalogue-fiche-centre-de-sante-des-3-cites",),
        "catalogue-fiche-migracoop": ("fiche-97",),
        "fiche-97": ("catalogue-fiche-migracoop",),
    }


def test_same_as_is_idempotent(resources: list[Resource]) -> None:
    once = link_same_as(resources + WEBSITE)
    assert link_same_as(once) == once


def test_title_match_tolerates_ocr_but_a_number_decides(by_id: dict[str, Resource]) -> None:
    migracoop = by_id["catalogue-fiche-migracoop"]
    assert fiche_name(WEBSITE[1].title) == "Migracoop"
    assert same_fiche(replace(migracoop, title="Migrcoop"), WEBSITE[1])
    assert not same_fiche(migracoop, WEBSITE[2])
    cap = by_id["catalogue-fiche-cap-services"]
    assert not same_fiche(replace(cap, title="Centre de santé des 3 cités"), WEBSITE[0])


def test_same_as_on_the_real_seeds() -> None:
    same_as = {r.id: r.same_as for r in parse_seeds(SEEDS).resources}
    assert same_as["fiche-101"] == ("catalogue-fiche-centre-de-sante-des-3-cites",)
    assert same_as["catalogue-fiche-centre-de-sante-des-3-cites"] == ("fiche-101",)
    assert same_as["fiche-97"] == ("catalogue-fiche-migracoop",)
    assert same_as["catalogue-fiche-migracoop"] == ("fiche-97",)
    others = [i for i, links in same_as.items() if links and i.startswith("catalogue-")]
    assert sorted(others) == ["catalogue-fiche-centre-de-sante-des-3-cites",
                              "catalogue-fiche-migracoop"]


def test_the_current_site_name_closes_the_export_too(text: str,
                                                     resources: list[Resource]) -> None:
    """The signature in the network's current name (« …Économie Sociale et Solidaire ») is
    a footer like the older one: no section takes it as text."""
    current = text.replace("pour une Économie Solidaire", "pour une Économie Sociale et Solidaire")
    assert current != text
    assert parse_catalogue(CATALOGUE.name, current) == resources
