"""Read a seeds directory: decode each export, pick its parser, merge the results.

A file's extension says what it is: `.txt` text exports, `.html`/`.htm` web pages
(`html.py`), `.pdf` documents (`pdf.py`); any other file is listed as ignored.
The three text formats are told apart by their content, never by file name:
a website export carries `Type de ressource` metadata blocks, the catalogue
carries `Chapitre N` headings, anything else is a single page.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from indexer.catalogue import parse_catalogue
from indexer.corpus import resolve_corpus
from indexer.documents import Resource
from indexer.errors import SeedFileError
from indexer.html import parse_html
from indexer.pdf import parse_pdf
from indexer.website import parse_page, parse_website

log = logging.getLogger(__name__)

_CHAPTER = re.compile(r"^\s*#*\s*\**Chapitre\s+\d+", re.MULTILINE)
_METADATA = re.compile(r"^\s*Type\s+de\s+ressource\s*$", re.MULTILINE)


@dataclass
class ParseResult:
    resources: list[Resource]
    skipped: list[SeedFileError] = field(default_factory=list)
    # Export format of each file read: "website", "catalogue", "page", "html" or "pdf".
    formats: dict[str, str] = field(default_factory=dict)
    # Files of the directory that are no export (another extension), by name.
    ignored: list[str] = field(default_factory=list)
    # Web pages without a « Ressource privée » field, so public by default, by file name.
    public_by_default: list[str] = field(default_factory=list)


TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES


def read_seed(path: Path) -> str:
    """The file's text, or a SeedFileError saying why it cannot be a resource export."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SeedFileError(path, f"cannot be read ({exc.strerror})") from exc
    if not data.strip():
        raise SeedFileError(path, "is empty")
    if b"\x00" in data:
        raise SeedFileError(path, "is binary (NUL bytes), not a text export")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SeedFileError(
            path, f"is not valid UTF-8 (byte {exc.start}); re-export it as UTF-8"
        ) from exc


def detect_format(text: str) -> str:
    if _METADATA.search(text):
        return "website"
    if _CHAPTER.search(text):
        return "catalogue"
    return "page"


PARSERS = {"website": parse_website, "catalogue": parse_catalogue, "page": parse_page}


def _files(seeds_dir: Path) -> list[Path]:
    if not seeds_dir.is_dir():
        raise SeedFileError(seeds_dir, "is not a directory of seed exports")
    return sorted(p for p in seeds_dir.iterdir() if p.is_file())


def seed_files(seeds_dir: Path) -> list[Path]:
    """The exports of `seeds_dir` (.txt, .html, .htm, .pdf), by name."""
    files = [p for p in _files(seeds_dir) if p.suffix.lower() in SUFFIXES]
    if not files:
        raise SeedFileError(seeds_dir, "holds no .txt, .html or .pdf export")
    return files


def ignored_files(seeds_dir: Path) -> list[str]:
    """Names of the files of `seeds_dir` that are no export (another extension)."""
    return [p.name for p in _files(seeds_dir) if p.suffix.lower() not in SUFFIXES]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SeedFileError(path, f"cannot be read ({exc.strerror})") from exc


def parse_file(path: Path) -> tuple[str, list[Resource], bool]:
    """(format, resources, privacy declared) of one export; a SeedFileError names it."""
    suffix = path.suffix.lower()
    if suffix in HTML_SUFFIXES:
        page = parse_html(path.name, _read_bytes(path))
        return "html", [page.resource], page.privacy_declared
    if suffix in PDF_SUFFIXES:
        return "pdf", [parse_pdf(path.name, _read_bytes(path))], True
    text = read_seed(path)
    found = detect_format(text)
    return found, PARSERS[found](path.name, text), True


def parse_seeds(seeds_dir: Path, *, skip_invalid: bool = False) -> ParseResult:
    """Every resource of every export in `seeds_dir`, duplicates merged, links resolved."""
    resources: list[Resource] = []
    skipped: list[SeedFileError] = []
    formats: dict[str, str] = {}
    public_by_default: list[str] = []
    for path in seed_files(seeds_dir):
        try:
            found, parsed, declared = parse_file(path)
        except SeedFileError as exc:
            if not skip_invalid:
                raise
            log.warning("skipped %s", exc)
            skipped.append(exc)
            continue
        formats[path.name] = found
        resources.extend(parsed)
        if not declared:
            public_by_default.append(path.name)
    resources = resolve_corpus(resources)
    return ParseResult(resources=resources, skipped=skipped, formats=formats,
                       ignored=ignored_files(seeds_dir), public_by_default=public_by_default)
