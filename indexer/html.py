"""Read one web page of the RTES site (Drupal markup) as a resource.

trafilatura decides what the main content is (header, navigation, breadcrumb,
sidebars and footer left out); lxml's own parse of the page says where each of
its paragraphs stands in the file (`sourceline`), so a passage quotes the lines
of the HTML source it came from. The page's metadata — title, date, kind, tags,
privacy, canonical URL — is read from the markup (`indexer/html_meta.py`).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.html
import trafilatura
from lxml import etree

from indexer import clean, metadata
from indexer.documents import Paragraph, Resource, Source
from indexer.errors import SeedFileError
from indexer.html_meta import PageMeta, chrome_free, is_chrome, prune_fields, read_meta
from indexer.text import fold_accents, normalize_line

# Source elements a paragraph of the main content can come from, finest first.
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "tr", "blockquote", "dd", "dt",
           "pre", "figcaption", "caption", "address", "td", "th", "div", "span", "a")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w-]+)""", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@dataclass(frozen=True)
class HtmlPage:
    """A parsed page: its resource, and whether the page said if it is private."""

    resource: Resource
    privacy_declared: bool


def decode_html(file_name: str, data: bytes) -> str:
    """The page's text: BOM, else its `<meta charset>`, else UTF-8; a SeedFileError if
    the bytes are not what the page says (or not text at all)."""
    if not data.strip():
        raise SeedFileError(file_name, "is empty")
    if b"\x00" in data:
        raise SeedFileError(file_name, "is binary (NUL bytes), not an HTML page")
    if data.startswith(b"\xef\xbb\xbf"):
        data, charset = data[3:], "utf-8"
    else:
        found = _CHARSET.search(data[:4096])
        charset = found.group(1).decode("ascii").lower() if found else "utf-8"
    try:
        return data.decode(charset)
    except LookupError as exc:
        raise SeedFileError(file_name, f"declares an unknown charset « {charset} »") from exc
    except UnicodeDecodeError as exc:
        raise SeedFileError(
            file_name, f"is not valid {charset} (byte {exc.start}); save it as UTF-8"
        ) from exc


def parse_tree(file_name: str, text: str) -> lxml.html.HtmlElement:
    """The page as lxml parses it, with each element's `sourceline`."""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True)
    try:
        root = lxml.html.document_fromstring(
            _XML_DECLARATION.sub("", text).encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise SeedFileError(file_name, f"is not an HTML page ({exc})") from exc
    if root.find("body") is None:
        raise SeedFileError(file_name, "is not an HTML page (no <body>)")
    return root


def text_lines(element: etree._Element) -> tuple[int, int] | None:
    """First and last source line holding the element's text (blank lines and the
    whitespace between tags left out), or None when it holds none."""
    first: int | None = None
    last = 0

    def visit(piece: str | None, line: int) -> int:
        nonlocal first, last
        if piece:
            stripped = piece.strip()
            if stripped:
                start = line + piece[: piece.index(stripped[0])].count("\n")
                first = start if first is None else first
                last = line + piece[: piece.rindex(stripped[-1])].count("\n")
            line += piece.count("\n")
        return line

    def walk(node: etree._Element) -> int:
        line = visit(node.text, node.sourceline or last or 1)
        for child in node:
            if isinstance(child.tag, str):
                line = walk(child)
            line = visit(child.tail, line)
        return line

    walk(element)
    return None if first is None else (first, last)


def _key(text: str) -> str:
    """Letters and digits only, folded: the same for a paragraph as trafilatura prints it
    and as its source element holds it (spaces between tags differ)."""
    return "".join(re.findall(r"\w", fold_accents(text).lower()))


@dataclass(frozen=True)
class _Block:
    """A paragraph of main content as trafilatura gives it."""

    text: str
    heading: bool


def _blocks(extracted: etree._Element) -> Iterator[_Block]:
    """trafilatura's XML body as paragraphs: headings, paragraphs, list items, table rows."""
    for node in extracted.iter("head", "p", "item", "row", "quote", "code"):
        if node.tag == "row":
            cells = [normalize_line(" ".join(c.itertext())) for c in node.iter("cell")]
            text = " | ".join(c for c in cells if c)
        elif any(a.tag in ("item", "row", "quote") for a in node.iterancestors()):
            continue  # a paragraph inside a list item or a cell: the item says it
        else:
            text = normalize_line(" ".join("".join(node.itertext()).split()))
            if node.tag == "item":
                text = f"• {text}"
        if text:
            yield _Block(text, node.tag == "head")


class _Locator:
    """Finds each paragraph's element in the source, in reading order."""

    def __init__(self, root: lxml.html.HtmlElement) -> None:
        body = root.find("body")
        self.elements = [e for e in body.iter(*_BLOCKS)]
        self.keys = [_key(e.text_content()) for e in self.elements]
        self.position = 0

    def find(self, text: str) -> etree._Element | None:
        """The element that holds `text`: the next one with just that text, else (text cut
        at a <br>) the tightest one that holds it."""
        key = _key(text.lstrip("• "))
        if not key:
            return None
        for i in range(self.position, len(self.elements)):
            if self.keys[i] == key and text_lines(self.elements[i]) is not None:
                self.position = i + 1
                return self.elements[i]
        holders = [i for i in range(self.position, len(self.elements)) if key in self.keys[i]]
        if not holders:
            return None
        best = min(holders, key=lambda i: len(self.keys[i]))
        self.position = best
        return self.elements[best]


def _extract(file_name: str, root: lxml.html.HtmlElement) -> etree._Element:
    """trafilatura's main content of the page, metadata fields and breadcrumb pruned first."""
    pruned = prune_fields(copy.deepcopy(root))
    document = trafilatura.bare_extraction(
        pruned, include_comments=False, include_tables=True, include_formatting=True,
        include_images=False, with_metadata=False, deduplicate=False)
    body = getattr(document, "body", None)
    if body is None or not "".join(body.itertext()).strip():
        raise SeedFileError(file_name, "has no main content (trafilatura found none)")
    return body


def _paragraphs(file_name: str, root: lxml.html.HtmlElement, meta: PageMeta
                ) -> list[Paragraph]:
    locator = _Locator(root)
    paragraphs: list[Paragraph] = []
    section: str | None = None
    title_key = _key(meta.title)
    for block in _blocks(_extract(file_name, root)):
        if _key(block.text) == title_key or clean.furniture(block.text) is not None:
            continue
        if metadata.is_keywords_line(block.text) or clean.is_junk(block.text):
            continue
        if block.heading:
            section = clean.section_name(block.text)
            continue
        element = locator.find(block.text)
        if element is not None and is_chrome(element):
            continue  # trafilatura's fallback took the menu for text
        found = text_lines(element) if element is not None else None
        start, end = found or (meta.title_line, meta.title_line)
        paragraphs.append(Paragraph(block.text, start, end, section))
    if not paragraphs:
        raise SeedFileError(file_name, "has no main content besides its title")
    return paragraphs


def parse_html(file_name: str, data: bytes) -> HtmlPage:
    """One page of the site as a resource: main content, title, date, kind, keywords,
    privacy (public when the page does not say), canonical URL, source lines."""
    root = parse_tree(file_name, decode_html(file_name, data))
    meta = read_meta(file_name, root)
    paragraphs = _paragraphs(file_name, root, meta)
    content = chrome_free(root)
    published, page_updated = metadata.own_dates(
        normalize_line(" ".join(e.text_content().split())) for e in content)
    updated = meta.updated or page_updated
    date = metadata.page_date(published=meta.published or published, fields=(),
                              title=meta.title, updated=updated)
    kind = meta.kind or metadata.detect_kind(meta.title, paragraphs[0].text)
    number = metadata.fiche_number(meta.title) if kind == "fiche" else None
    return HtmlPage(
        resource=Resource(
            id=metadata.resource_id(kind, meta.title, date, number),
            title=meta.title,
            kind=kind,
            private=bool(meta.private),
            source=Source(file_name, meta.title_line, max(p.end_line for p in paragraphs)),
            paragraphs=tuple(paragraphs),
            date=date,
            updated=updated,
            keywords=meta.keywords,
            fiche_number=number,
            url=meta.url,
        ),
        privacy_declared=meta.private is not None,
    )
