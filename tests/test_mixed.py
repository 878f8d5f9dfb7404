"""A folder mixing text exports, web pages and PDFs: parsed, built, served, updated, shown.

The folder: seeds 000–003 (text exports), the five Drupal-like pages of
tests/fixtures/html, the « Politique de la ville & ESS » catalogue as RTES publishes
it — a PDF, written here by reportlab from seed 004 (outline, running header and
footer, hyphenation) — the 2015 seminar's « Actes » as a PDF without outline, and two
files that are no export.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import MEMBER_TOKEN, start_server, stop_server
from pdf_writer import catalogue_pdf, seminar_pdf, write_scan
from pypdf import PdfReader

from indexer.__main__ import main
from indexer.build import build_index
from indexer.errors import NeedsOcrError
from indexer.opening import open_version

pytestmark = pytest.mark.slow

PAGES = Path(__file__).parent / "fixtures" / "html"
TEXT_SEEDS = ("000_b7e720c58eb8b2a1.txt", "001_bd4784cbb8e81a05.txt",
              "002_1f2ab4e259c0665a.txt", "003_cbf2fb984e84aca7.txt")
CATALOGUE = "catalogue-politique-de-la-ville-ess.pdf"
CATALOGUE_ID = "catalogue-catalogue-de-ressources-politique-de-la-ville-ess-2022-03"
SEMINAR = "actes-seminaire-2015.pdf"
PRIVATE_ID = "conference-groupe-de-travail-foncier-solidaire-compte-rendu-de-2025-03"
EVENT_PAGE = "rencontre-cantines-solidaires-2024.html"
EVENT_ID = "event-rencontre-nationale-cantines-solidaires-et-restauration-collective-2024-09"
FICHE_URL = "https://www.rtes.fr/fiches/deniche-pour-vous-n127-la-cantine-des-possibles"
PDF_QUESTION = "Où est basé le garage solidaire du Jura ?"
PRIVATE_QUESTION = "foncière commerciale de Dunkerque pour les ressourceries"


def make_mixed(folder: Path, seeds_dir: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in TEXT_SEEDS:
        shutil.copy(seeds_dir / name, folder)
    for page in PAGES.glob("*.html"):
        shutil.copy(page, folder)
    (folder / CATALOGUE).write_bytes(catalogue_pdf(seeds_dir / "004_1f669b205fc9d0b6.txt"))
    (folder / SEMINAR).write_bytes(seminar_pdf(seeds_dir / "003_cbf2fb984e84aca7.txt"))
    (folder / "compte-rendu.docx").write_bytes(b"PK\x03\x04 not an export")
    (folder / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return folder


@pytest.fixture(scope="module")
def mixed_dir(tmp_path_factory: pytest.TempPathFactory, seeds_dir: Path) -> Path:
    return make_mixed(tmp_path_factory.mktemp("mixed") / "exports", seeds_dir)


@pytest.fixture(scope="module")
def mixed_index(tmp_path_factory: pytest.TempPathFactory, mixed_dir: Path, embedder) -> Path:
    index_dir = tmp_path_factory.mktemp("mixed-index")
    build_index(mixed_dir, index_dir, embedder, progress=False)
    return index_dir


@pytest.fixture(scope="module")
def mixed_server(mixed_index: Path) -> Iterator[str]:
    server, url = start_server(mixed_index)
    yield url
    stop_server(server)


def get(base: str, path: str, token: str | None = None, **params: object) -> dict:
    url = f"{base}{path}" + (f"?{urllib.parse.urlencode(params)}" if params else "")
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers),
                                timeout=60) as response:
        return json.load(response)


def test_parse_summary_has_a_row_per_format_and_lists_the_ignored(mixed_dir, capsys):
    assert main(["parse", str(mixed_dir)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"website resources\s+29  \(article 3, conference 14, event 2, fiche 8, "
                     r"newsletter 2\)", out)
    assert re.search(r"single pages\s+1  \(event 1\)", out)
    assert re.search(r"HTML pages\s+5  \(article 1, conference 1, event 2, fiche 1; "
                     r"3 without « Ressource privée », so public\)", out)
    assert re.search(r"PDF documents\s+2  \(catalogue 1, event 1\)", out)
    assert re.search(r"total\s+37  \(4 private", out)
    assert "ignored (not .txt, .html or .pdf): compte-rendu.docx, logo.png" in out


def test_every_resource_is_indexed_with_its_provenance(mixed_index):
    data = open_version(mixed_index)
    resources = {r["id"]: r for r in data.resources}
    assert len(resources) == 37 and sum(r["private"] for r in resources.values()) == 4
    by_file: dict[str, list[dict]] = {}
    for passage in data.passages:
        by_file.setdefault(passage["source"]["file"], []).append(passage)
    for name in (CATALOGUE, SEMINAR):
        assert by_file[name] and all(isinstance(p["source"]["page"], int) for p in by_file[name])
    for page in PAGES.glob("*.html"):
        assert by_file[page.name] and not any("page" in p["source"] for p in by_file[page.name])
    assert not any("page" in p["source"] for name in TEXT_SEEDS for p in by_file[name])
    assert resources["fiche-127"]["url"] == FICHE_URL
    assert resources[PRIVATE_ID]["private"] is True
    assert resources[CATALOGUE_ID]["kind"] == "catalogue"
    assert {p["source"]["page"] for p in by_file[CATALOGUE]} == set(range(2, 23))
    assert all("url" not in r for r in resources.values() if r["source"]["file"] in TEXT_SEEDS)


def test_a_question_answered_from_a_pdf_cites_its_page(mixed_server, mixed_dir):
    body = get(mixed_server, "/api/search", q=PDF_QUESTION, k=5)
    answer = body["answer"]
    assert body["confident"] and answer["resource_id"] == CATALOGUE_ID
    source = answer["source"]
    assert source["file"] == CATALOGUE and isinstance(source["page"], int)
    passage = next(p for r in body["results"] for p in r["passages"]
                   if p["id"] == answer["passage_id"])
    # The quote's own lines, inside its passage's, on the same page of the same file.
    assert {k: passage["source"][k] for k in ("file", "page")} == {
        k: source[k] for k in ("file", "page")}
    assert passage["source"]["start_line"] <= source["start_line"] <= source["end_line"] \
        <= passage["source"]["end_line"]
    # That page of the PDF does print the answer.
    reader = PdfReader(io.BytesIO((mixed_dir / CATALOGUE).read_bytes()))
    printed = " ".join(reader.pages[source["page"] - 1].extract_text().split())
    assert "Jura" in answer["text"] and " ".join(answer["text"].split()) in printed
    assert source["start_line"] <= source["end_line"]


def test_a_private_page_is_invisible_without_a_member_token(mixed_server):
    anonymous = get(mixed_server, "/api/search", q=PRIVATE_QUESTION, k=50)
    assert PRIVATE_ID not in {r["resource"]["id"] for r in anonymous["results"]}
    with pytest.raises(urllib.error.HTTPError) as error:
        get(mixed_server, f"/api/resources/{PRIVATE_ID}")
    assert error.value.code == 404
    member = get(mixed_server, "/api/search", token=MEMBER_TOKEN, q=PRIVATE_QUESTION, k=5)
    first = member["results"][0]["resource"]
    assert first["id"] == PRIVATE_ID and first["private"] is True
    assert first["url"].startswith("https://www.rtes.fr/webinaires/")


def test_a_web_page_result_carries_its_url_and_lines(mixed_server):
    body = get(mixed_server, "/api/search", q="la Cantine des Possibles aux Izards", k=3)
    top = body["results"][0]
    assert top["resource"]["id"] == "fiche-127" and top["resource"]["url"] == FICHE_URL
    lines = (PAGES / top["resource"]["source"]["file"]).read_text(encoding="utf-8").splitlines()
    for passage in top["passages"]:
        source = passage["source"]
        assert source["page"] is None
        cited = " ".join(lines[source["start_line"] - 1: source["end_line"]])
        assert passage["text"].split()[0] in cited and "<nav" not in cited


def test_update_re_embeds_only_the_changed_file(tmp_path, mixed_dir, mixed_index, embedder):
    folder, index = tmp_path / "exports", tmp_path / "index"
    shutil.copytree(mixed_dir, folder)
    shutil.copytree(mixed_index, index, symlinks=True)
    page = folder / EVENT_PAGE
    page.write_text(page.read_text(encoding="utf-8").replace(
        "Inscription gratuite et obligatoire", "Inscription gratuite mais obligatoire"),
        encoding="utf-8")
    (folder / CATALOGUE).write_bytes((mixed_dir / CATALOGUE).read_bytes())  # same bytes
    summary = build_index(folder, index, embedder, progress=False)
    assert summary.changed == [EVENT_ID]
    assert summary.added == [] and summary.removed == []
    assert summary.embedded_resources == [EVENT_ID]
    assert summary.ignored == ["compte-rendu.docx", "logo.png"]


def test_a_scan_stops_the_build_by_name_or_is_skipped_and_listed(tmp_path, embedder, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    shutil.copy(PAGES / EVENT_PAGE, folder)
    (folder / "rapport-scanne.pdf").write_bytes(write_scan())
    with pytest.raises(NeedsOcrError, match="rapport-scanne.pdf.*OCR"):
        build_index(folder, tmp_path / "index", embedder, progress=False)
    assert not (tmp_path / "index" / "current").exists()
    assert main(["parse", str(folder)]) == 2
    assert "rapport-scanne.pdf: has no text layer" in capsys.readouterr().err
    assert main(["parse", str(folder), "--skip-invalid"]) == 0
    captured = capsys.readouterr()
    assert "skipped: " in captured.err and "rapport-scanne.pdf" in captured.err
    assert re.search(r"total\s+1  \(0 private", captured.out)
    summary = build_index(folder, tmp_path / "index", embedder, progress=False,
                          skip_invalid=True)
    assert summary.resources == 1 and "rapport-scanne.pdf" in str(summary.skipped[0])


@pytest.fixture(scope="module")
def page_in_browser() -> Iterator:
    """A page of Debian's Chromium, driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright
    from test_widget import CHROMIUM, CHROMIUM_ARGS

    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium (make browser)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                             args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1000, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.on("pageerror", lambda e: errors.append(str(e)))
        yield page, errors
        context.close()
        browser.close()


def test_widget_shows_the_pdf_page_and_the_web_page_url(mixed_server, page_in_browser):
    from playwright.sync_api import expect

    page, errors = page_in_browser
    expected = get(mixed_server, "/api/search", q=PDF_QUESTION, k=8)["answer"]["source"]
    page.goto(f"{mixed_server}/")
    widget = page.locator("rtes-search")
    box = widget.get_by_role("searchbox", name="Rechercher dans les ressources du RTES")
    box.fill(PDF_QUESTION)
    box.press("Enter")
    source = widget.locator(".answer .src")
    expect(source).to_contain_text(
        f"{CATALOGUE}, p.\u00a0{expected['page']}, lignes {expected['start_line']} à "
        f"{expected['end_line']}", timeout=30_000)
    first = widget.locator(".out li").filter(has_text="Catalogue de ressources").first
    expect(first.locator(".page").first).to_have_text(re.compile(r"^p.\u00a0\d+$"))

    box.fill("la Cantine des Possibles aux Izards")
    box.press("Enter")
    link = widget.locator(f'.out li a.url[href="{FICHE_URL}"]')
    expect(link).to_have_text(FICHE_URL.removeprefix("https://"), timeout=30_000)
    expect(widget.locator(".answer .src a.url")).to_have_attribute("href", FICHE_URL)
    assert errors == []
