"""Read a seeds directory: decode each export, pick its parser, merge the results.

The three formats are told apart by their content, never by file name:
a website export carries `Type de ressource` metadata blocks, the catalogue
carries `Chapitre N` headings, anything else is a single page.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from indexer.catalogue import link_same_as, parse_catalogue
from indexer.documents import Resource
from indexer.errors import SeedFileError
from indexer.website import merge_duplicates, parse_page, parse_website

log = logging.getLogger(__name__)

_CHAPTER = re.compile(r"^\s*#*\s*\**Chapitre\s+\d+", re.MULTILINE)
_METADATA = re.compile(r"^\s*Type\s+de\s+ressource\s*$", re.MULTILINE)


@dataclass
class ParseResult:
    resources: list[Resource]
    skipped: list[SeedFileError] = field(default_factory=list)
    # Export format of each file read: "website", "catalogue" or "page".
    formats: dict[str, str] = field(default_factory=dict)


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


def parse_text(file_name: str, text: str) -> list[Resource]:
    """Resources of one export, by its detected format."""
    return PARSERS[detect_format(text)](file_name, text)


def seed_files(seeds_dir: Path) -> list[Path]:
    if not seeds_dir.is_dir():
        raise SeedFileError(seeds_dir, "is not a directory of seed exports")
    files = sorted(p for p in seeds_dir.iterdir() if p.is_file() and p.suffix == ".txt")
    if not files:
        raise SeedFileError(seeds_dir, "holds no .txt export")
    return files


def parse_seeds(seeds_dir: Path, *, skip_invalid: bool = False) -> ParseResult:
    """Every resource of every export in `seeds_dir`, duplicates merged, links resolved."""
    resources: list[Resource] = []
    skipped: list[SeedFileError] = []
    formats: dict[str, str] = {}
    for path in seed_files(seeds_dir):
        try:
            text = read_seed(path)
            formats[path.name] = detect_format(text)
            resources.extend(PARSERS[formats[path.name]](path.name, text))
        except SeedFileError as exc:
            if not skip_invalid:
                raise
            log.warning("skipped %s", exc)
            skipped.append(exc)
    resources = link_same_as(merge_duplicates(resources))
    return ParseResult(resources=resources, skipped=skipped, formats=formats)
