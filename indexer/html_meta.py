"""A web page's metadata read from its markup: title, dates, kind, tags, privacy, URL.

Each rule looks at what the RTES site (Drupal) prints: `<h1>`, `og:title` or
`<title>` less the site's name; `article:published_time` / `modified_time`;
the breadcrumb or the URL's folders for the kind; `rel="tag"` links and
`article:tag` for keywords; the « Ressource privée » field for privacy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

import lxml.html
from lxml import etree

from indexer import clean, metadata
from indexer.errors import SeedFileError
from indexer.text import fold_accents, normalize_line

# Where the site's furniture lives: never the page's title, date, tags or privacy.
CHROME_TAGS = frozenset({"header", "nav", "footer", "aside"})
CHROME_ROLES = frozenset({"banner", "navigation", "contentinfo", "complementary", "search"})
CHROME_NAMES = frozenset({"header", "site-header", "footer", "site-footer", "sidebar",
                          "breadcrumb", "region-breadcrumb", "menu", "layout-sidebar-first",
                          "layout-sidebar-second"})

# Breadcrumb items and URL folders (folded: lower case, no accents, hyphens as spaces)
# mapped onto the kinds of `indexer/documents.py`. « Ressources » says nothing: not listed.
SECTION_KINDS: tuple[tuple[str, frozenset[str]], ...] = (
    ("fiche", frozenset({"deniche pour vous", "fiches", "fiche"})),
    ("conference", frozenset({"conferences", "conference", "webinaires", "webinaire",
                              "flashweb", "flashwebs"})),
    ("newsletter", frozenset({"newsletters", "newsletter", "lettres d information",
                              "lettre d information"})),
    ("event", frozenset({"evenements", "evenement", "agenda", "seminaires", "seminaire",
                         "rencontres", "formations", "journees"})),
    ("catalogue", frozenset({"catalogue", "catalogues"})),
    ("article", frozenset({"actualites", "actualite", "articles", "article", "a la une"})),
)

# Field labels whose block is metadata, not text: pruned before the content is extracted.
FIELD_LABELS = frozenset({"ressource privee", "type de ressource", "mots cles", "categorie",
                          "etiquettes", "tags"})
_PRIVATE_LABEL = "ressource privee"
_PRIVATE_VALUES = {"oui": True, "non": False}
_TITLE_SEPARATOR = re.compile(r"\s+(?:\||-|–|—|::|·|»)\s+")
_ISO_MONTH = re.compile(r"^((?:19|20)\d\d)-(\d\d)")


@dataclass(frozen=True)
class PageMeta:
    title: str
    title_line: int
    published: str | None
    updated: str | None
    kind: str | None
    keywords: tuple[str, ...]
    private: bool | None  # None: the page has no « Ressource privée » field
    url: str | None


def folded(text: str) -> str:
    """« Déniché pour vous : » → « deniche pour vous »: for matching labels and crumbs."""
    return " ".join(re.findall(r"[a-z0-9]+", fold_accents(text).lower()))


def _tokens(element: etree._Element) -> set[str]:
    return {*element.get("class", "").split(), element.get("id", "")}


def is_chrome(element: etree._Element) -> bool:
    """Inside the header, a navigation, a sidebar or the footer (by tag, role, id or class)."""
    for node in (element, *element.iterancestors()):
        if node.tag in CHROME_TAGS or node.get("role") in CHROME_ROLES:
            return True
        if _tokens(node) & CHROME_NAMES:
            return True
    return False


def chrome_free(root: lxml.html.HtmlElement) -> list[etree._Element]:
    """The body's elements outside the site's furniture, in document order."""
    body = root.find("body")
    return [e for e in body.iter() if isinstance(e.tag, str) and not is_chrome(e)]


def _text(element: etree._Element) -> str:
    return normalize_line(" ".join(element.text_content().split()))


def _meta(root: lxml.html.HtmlElement, name: str) -> list[etree._Element]:
    return [m for m in root.iter("meta")
            if name in (m.get("property"), m.get("name")) and m.get("content", "").strip()]


def _month(iso: str | None) -> str | None:
    match = _ISO_MONTH.match(iso or "")
    return f"{match.group(1)}-{match.group(2)}" if match else None


def _is_site_name(text: str, site_name: str | None) -> bool:
    name = folded(text)
    return (name in {"rtes", folded(site_name or "")}
            or clean.furniture(text) is clean.SITE_HEADER
            or bool(clean.SITE_NAME.search(name)))


def strip_site_name(title: str, site_name: str | None) -> str:
    """« Le guide … - Réseau des collectivités … » → « Le guide … » (either end)."""
    title = normalize_line(title)
    while True:
        parts = list(_TITLE_SEPARATOR.finditer(title))
        if parts and _is_site_name(title[parts[-1].end():], site_name):
            title = title[: parts[-1].start()]
        elif parts and _is_site_name(title[: parts[0].start()], site_name):
            title = title[parts[0].end():]
        else:
            return title


def _title(file_name: str, root: lxml.html.HtmlElement, content: list[etree._Element],
           site_name: str | None) -> tuple[str, int]:
    for h1 in (e for e in content if e.tag == "h1"):
        text = _text(h1)
        if text and not _is_site_name(text, site_name):
            return text, h1.sourceline or 1
    for element in _meta(root, "og:title"):
        return normalize_line(element.get("content")), element.sourceline or 1
    found = root.find(".//title")
    if found is not None and (text := strip_site_name(_text(found), site_name)):
        return text, found.sourceline or 1
    raise SeedFileError(file_name, "has no title (no <h1>, og:title or <title>)")


def kind_of_section(name: str) -> str | None:
    key = folded(name)
    for kind, names in SECTION_KINDS:
        if key in names:
            return kind
    return None


def breadcrumb(root: lxml.html.HtmlElement) -> etree._Element | None:
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if ("breadcrumb" in element.get("class", "").split()
                or element.get("aria-labelledby") == "system-breadcrumb"
                or element.get("id") == "breadcrumb"
                or "BreadcrumbList" in element.get("itemtype", "")
                or folded(element.get("aria-label", "")) in {"fil d ariane", "breadcrumb"}):
            return element
    return None


def _kind(root: lxml.html.HtmlElement, url: str | None) -> str | None:
    """The deepest breadcrumb item that names a kind, else the URL's folders."""
    found = breadcrumb(root)
    if found is not None:
        items = [_text(li) for li in found.iter("li")] or [_text(a) for a in found.iter("a")]
        for item in reversed(items):
            if kind := kind_of_section(item):
                return kind
    if url:
        for folder in reversed(urlsplit(url).path.strip("/").split("/")[:-1]):
            if kind := kind_of_section(folder.replace("-", " ")):
                return kind
    return None


def _keywords(root: lxml.html.HtmlElement, content: list[etree._Element]) -> tuple[str, ...]:
    words: list[str] = [m.get("content").strip() for m in _meta(root, "article:tag")]
    words += [_text(a) for a in content if a.tag == "a" and "tag" in a.get("rel", "").split()]
    for element in _meta(root, "keywords"):
        words += [w.strip() for w in re.split(r"[,;]", element.get("content"))]
    return metadata.unique_keywords(w for w in words if w)


def _labels(content: Iterable[etree._Element], names: frozenset[str]
            ) -> list[etree._Element]:
    """Elements whose whole text is one of the field labels `names` (« Mots-clés : »)."""
    return [e for e in content if len(e) == 0 and folded(e.text or "") in names]


def _private(file_name: str, content: list[etree._Element]) -> bool | None:
    """« Ressource privée » followed by Oui or Non (the next element or the same line)."""
    for label in _labels(content, frozenset({_PRIVATE_LABEL})):
        value = (label.tail or "").strip(" :\n\t")
        if not value and (sibling := label.getnext()) is not None:
            value = _text(sibling)
        if folded(value) not in _PRIVATE_VALUES:
            raise SeedFileError(file_name, f"line {label.sourceline}: « Ressource privée » "
                                f"must be followed by Oui or Non, not « {value[:40]} »")
        return _PRIVATE_VALUES[folded(value)]
    for element in content:
        match = re.fullmatch(r"ressource privee (oui|non)", folded(_text(element)))
        if match and len(element) <= 1:
            return _PRIVATE_VALUES[match.group(1)]
    return None


def _url(root: lxml.html.HtmlElement) -> str | None:
    """The canonical URL (else og:url), when it is an absolute http(s) address."""
    candidates = [link.get("href", "") for link in root.iter("link")
                  if "canonical" in link.get("rel", "").lower().split()]
    candidates += [m.get("content", "") for m in _meta(root, "og:url")]
    for candidate in candidates:
        parts = urlsplit(candidate.strip())
        if parts.scheme in ("http", "https") and parts.netloc:
            return candidate.strip()
    return None


def read_meta(file_name: str, root: lxml.html.HtmlElement) -> PageMeta:
    content = chrome_free(root)
    site = next((m.get("content") for m in _meta(root, "og:site_name")), None)
    title, line = _title(file_name, root, content, site)
    url = _url(root)
    published = next((_month(m.get("content")) for m in _meta(root, "article:published_time")),
                     None)
    updated = next((_month(m.get("content")) for m in _meta(root, "article:modified_time")),
                   None)
    return PageMeta(title=title, title_line=line, published=published, updated=updated,
                    kind=_kind(root, url), keywords=_keywords(root, content),
                    private=_private(file_name, content), url=url)


def prune_fields(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """`root` (a copy: changed in place) without its breadcrumb and metadata fields."""
    found = breadcrumb(root)
    if found is not None and found.getparent() is not None:
        found.drop_tree()
    for label in _labels(list(root.iter()), FIELD_LABELS):
        field = label.getparent()
        if field is None:
            continue
        if "field" in " ".join(field.get("class", "").split()) and field.getparent() is not None:
            field.drop_tree()
        else:
            sibling = label.getnext()
            label.drop_tree()
            if sibling is not None:
                sibling.drop_tree()
    for label in [e for e in root.iter() if "field__label" in e.get("class", "").split()]:
        _field_label(label)
    return root


def _field_label(label: etree._Element) -> None:
    """A Drupal field's label: an inline one heads its value (« Lieu : Paris »), one
    above its value becomes a heading, so the value is read in its section."""
    field, value = label.getparent(), label.getnext()
    text = _text(label).rstrip(" :")
    if field is not None and "field--label-inline" in field.get("class", "").split():
        if value is not None:
            value.text = f"{text} : {value.text or ''}"
            label.drop_tree()
    else:
        label.tag = "h3"
