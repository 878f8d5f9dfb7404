"""PDF documents written by reportlab from seed text: text, headings, furniture, pages."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pdf_writer import (
    SEMINAR_FOOTER,
    SEMINAR_TITLE,
    Block,
    catalogue_blocks,
    catalogue_pdf,
    seminar_blocks,
    seminar_pdf,
    write_pdf,
    write_scan,
)
from pypdf import PdfReader

from indexer import clean, metadata
from indexer.errors import NeedsOcrError, SeedFileError
from indexer.pdf import parse_pdf, repair_hyphens
from indexer.pdf_lines import PageLine, drop_running_lines

SEEDS = Path(__file__).parent.parent / "seeds"
CATALOGUE_SEED = SEEDS / "004_1f669b205fc9d0b6.txt"
SEMINAR_SEED = SEEDS / "003_cbf2fb984e84aca7.txt"


@pytest.fixture(scope="module")
def catalogue() -> bytes:
    return catalogue_pdf(CATALOGUE_SEED)


@pytest.fixture(scope="module")
def seminar() -> bytes:
    return seminar_pdf(SEMINAR_SEED)


def _truth(blocks: list[Block]) -> list[str]:
    """The words of the body text written into the PDF, less what the parser reads as
    metadata (keywords lines, the cover's date) or site furniture."""
    return [w for b in blocks if b.kind == "p" and clean.furniture(b.text) is None
            and not metadata.is_keywords_line(b.text) and b.text != "Mars 2022"
            for w in clean.words(b.text)]


def _words(resource) -> list[str]:
    return [w for p in resource.paragraphs for w in clean.words(p.text)]


def test_catalogue_reads_back_word_for_word(catalogue):
    r = parse_pdf("catalogue.pdf", catalogue)
    assert (r.id, r.kind, r.date) == (
        "catalogue-catalogue-de-ressources-politique-de-la-ville-ess-2022-03", "catalogue",
        "2022-03")
    assert r.title == "Catalogue de ressources Politique de la ville & ESS"
    assert r.private is False and r.url is None
    # Every word of the seed text, in order: no running header, footer or page number
    # slipped in, no word lost, every word cut at a line end joined again.
    assert _words(r) == _truth(catalogue_blocks(CATALOGUE_SEED))
    assert "Alimentation durable" in r.keywords


def _visual_lines(page) -> list[str]:
    """A page's lines top to bottom as pypdf's layout mode prints them (blank ones out):
    the numbering a person reading the page would count."""
    return [" ".join(line.split()) for line in page.extract_text(extraction_mode="layout")
            .splitlines() if line.strip()]


def test_the_writer_did_hyphenate_and_run_furniture(catalogue):
    """The test above means something: the PDF's own text has cut words, a running
    header and footer and page numbers on every page but the cover."""
    reader = PdfReader(io.BytesIO(catalogue))
    assert len(reader.pages) >= 20 and len(reader.outline) >= 5
    raw = [_visual_lines(page) for page in reader.pages]
    cut = [line for lines in raw for line in lines if line[-2:-1].isalpha() and line[-1] == "-"]
    assert len(cut) >= 10
    for number, lines in enumerate(raw[1:], 2):
        assert lines[0] == "Catalogue de ressources Politique de la ville & ESS"
        assert lines[-1].endswith(f"mars 2022 {number}")


def test_catalogue_headings_are_sections_and_passages_cite_their_page(catalogue):
    r = parse_pdf("catalogue.pdf", catalogue)
    blocks = catalogue_blocks(CATALOGUE_SEED)
    headings = {b.text for b in blocks if b.kind in ("h1", "h2")}
    sections = {p.section for p in r.paragraphs}
    assert sections <= headings | {None} and len(sections) > 60
    assert "Chapitre 4 - RÉPONDRE AUX DÉFIS DES QUARTIERS PRIORITAIRES DE LA POLITIQUE DE LA " \
           "VILLE AVEC L'ESS" in sections
    reader = PdfReader(io.BytesIO(catalogue))
    for paragraph in r.paragraphs:
        lines = _visual_lines(reader.pages[paragraph.page - 1])
        cited = " ".join(lines[paragraph.start_line - 1: paragraph.end_line])
        first, last = paragraph.text.split()[0], paragraph.text.split()[-1]
        assert cited.startswith(first.rstrip("-")) or first in cited, (paragraph, cited)
        assert last.rstrip(".,;:") in cited or last[:4] in cited, (paragraph, cited)
    assert {p.page for p in r.paragraphs} == set(range(2, len(reader.pages) + 1))


def test_large_font_headings_without_outline_and_a_footer_on_every_page(seminar):
    r = parse_pdf("actes.pdf", seminar)
    assert len(PdfReader(io.BytesIO(seminar)).outline) == 0
    assert r.title == SEMINAR_TITLE
    assert (r.kind, r.date) == ("event", "2015-12")
    assert r.source.page == 1 and (r.source.start_line, r.source.end_line) == (1, 2)
    assert [s for s in dict.fromkeys(p.section for p in r.paragraphs)] == [
        None, "Les tables rondes et les ateliers", "Vidéos et documents"]
    assert _words(r) == _truth(seminar_blocks(SEMINAR_SEED))
    assert not any(SEMINAR_FOOTER in p.text for p in r.paragraphs)
    assert {p.page for p in r.paragraphs} == {1, 2}


def _line(text: str, number: int = 1, page: int = 1, y: float = 700.0) -> PageLine:
    return PageLine(page, number, text, y, 10.5)


def test_hyphens_at_line_ends():
    lines = [_line("le dévelop-"), _line("pement local, le tiers-lieu et Seine-"),
             _line("Saint-Denis ; un tiers-", page=2), _line("lieu encore, et un auto-"),
             _line("entrepreneur.")]
    repaired = [li.text for li in repair_hyphens(lines)]
    # Only the word moves up: the punctuation after it stays on the line it is printed on.
    assert repaired == ["le développement", "local, le tiers-lieu et Seine-Saint-Denis",
                        "; un tiers-lieu", "encore, et un autoentrepreneur", "."]


def test_running_lines_and_page_numbers():
    body = {n: [f"Texte {letter} de la page {'abcd'[n - 1]}" for letter in "xyz"]
            for n in range(1, 5)}
    pages = [[_line("Titre du rapport", 1, 1), *(_line(t, 2, 1) for t in body[1])]]
    for n in range(2, 5):
        last = {2: "Suite page b.", 3: "p. 171", 4: "Fin."}[n]  # « p. 171 » on page 3 is text
        pages.append([_line("Rapport annuel 2024", 1, n), *(_line(t, 2, n) for t in body[n]),
                      _line(last, 8, n), _line(f"- {n} -", 9, n)])
    kept = [[li.text for li in page] for page in drop_running_lines(pages)]
    assert kept == [["Titre du rapport", *body[1]], [*body[2], "Suite page b."],
                    [*body[3], "p. 171"], [*body[4], "Fin."]]


def test_a_scan_is_refused_by_name_as_needing_ocr():
    with pytest.raises(NeedsOcrError, match="needs OCR|run OCR") as error:
        parse_pdf("scan-2019.pdf", write_scan())
    assert "scan-2019.pdf" in str(error.value) and "no text layer" in str(error.value)


def _encrypted() -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, encrypt="secret", invariant=1)
    canvas.drawString(72, 720, "Document protégé")
    canvas.save()
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "is empty"),
        (b"<html>pas un PDF</html>", "no %PDF- header"),
        (write_pdf([Block("title", "Titre"), Block("p", "Un texte.")])[:900],
         "cannot be read as a PDF"),
        (_encrypted(), "is encrypted"),
        (write_pdf([Block("title", "Un titre seul")]), "holds no text besides its title"),
    ],
)
def test_unreadable_pdfs_are_refused_by_name(data, reason):
    with pytest.raises(SeedFileError, match=reason) as error:
        parse_pdf("doc.pdf", data)
    assert "doc.pdf" in str(error.value)
