"""Clean the text of a website resource: drop page furniture, find headings, drop repeats.

Everything here works on whole lines (never inside a sentence) and keeps, for each
paragraph, the lines its text came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from indexer.documents import Paragraph
from indexer.lines import Line
from indexer.text import MONTH_NAMES, fold_accents, normalize_line

JUNK_LINES = frozenset({"ygiy", "esss", "tyghujik", "sdd", "lt", "k"})

# A French date as pages print it, folded: « 8 decembre 2014 », « 1er mars 2021 », « mars 2021 ».
DATE = r"(?:\d{1,2}(?:er)?\s+)?" + MONTH_NAMES + r"\s+(?:19|20)\d\d"
_ITEM = r"(?:[•·*-]\s*)?"  # the bullet the site's page tools are listed with
# The network's name, folded, as the site header and the catalogue's signature print it:
# « …pour une Économie Solidaire » (older) and « …pour une Économie Sociale et Solidaire ».
SITE_NAME = re.compile(
    r"reseau des collectivites territoriales pour une economie (?:sociale et )?solidaire"
)
_NAME = r"[^\s,.;:!?][^,.;:!?]{0,60}?"  # an author's name: no sentence punctuation


@dataclass(frozen=True)
class Furniture:
    """One kind of page furniture: a whole line matched, folded (lower case, no accents,
    ' for ’, a trailing `:` dropped), by `pattern`; `breaks_section` when it still ends
    the section it sits in, `dated` when it carries the page's own date."""

    name: str
    pattern: re.Pattern[str]
    breaks_section: bool = False
    dated: bool = False


def _furniture(name: str, pattern: str, *, breaks_section: bool = False,
               dated: bool = False) -> Furniture:
    return Furniture(name, re.compile(pattern), breaks_section, dated)


# The site header (SITE_NAME): it heads a page, so a resource's lines end before it.
SITE_HEADER = Furniture("site header", SITE_NAME)

# Page furniture: lines of site chrome, page tools and calls to action that carry no content.
# Each is removed wherever it stands (body, summary, single page), never taken as a title,
# and never used to find where a resource starts. Listed in the README ("How exports are
# parsed"); add a pattern here, with its comment, rather than guessing at lines.
FURNITURE: tuple[Furniture, ...] = (
    # The site header (SITE_NAME): the older name and the current one.
    SITE_HEADER,
    # Links that only lead elsewhere on the site.
    _furniture("read more", r"en savoir plus|lire la suite"),
    _furniture("replay link", r"\(re\)(?:voir|visionnez) la conference en ligne"
                              r"|replay a retrouver ci-dessous"),
    _furniture("fiche download", r"telechargez la fiche\b.*"),
    _furniture("layout version", r"version mise en page a retrouver ici"),
    # « Collectivités adhérentes : retrouvez … dans votre espace membre ».
    _furniture("members only", r"collectivites adherentes\b.*\bespace membre\b.*"),
    # The page tools: « • Agrandir la taille du texte », « • Réduire… », « • Imprimer cet article ».
    _furniture("text size", _ITEM + r"(?:agrandir|reduire) la taille du texte"),
    _furniture("print", _ITEM + r"imprimer cet article"),
    # « Publié le 8 décembre 2014 », possibly « … par NAME » or « …, mis à jour le … »:
    # the page's own dates, read by metadata.own_dates before the line goes.
    _furniture("published", r"publie le " + DATE + r"(?:\s*[,;-]?\s*(?:mis|mise) a jour le "
                            + DATE + r")?(?:\s+par\s+" + _NAME + r")?\.?", dated=True),
    # The byline « par NAME - le 8 décembre 2014 » (also read by metadata.own_dates).
    _furniture("byline", r"par\s+" + _NAME + r"\s+[-–—]\s+le\s+" + DATE + r"\.?", dated=True),
    # An image left behind as its file name, alone on its line: « Programme journée.png ».
    _furniture("image file", r"(?!(?:\S+\s+){8})[^\s/\\:;!?][^/\\:;!?]{0,120}"
                             r"\.(?:png|jpe?g|gif|webp|svg)"),
    # A rule of dashes: no text, but it closes the section above it.
    _furniture("rule", r"-{3,}", breaks_section=True),
    # Share links to social networks (a bare URL on its own line).
    _furniture("social link", r"https?://(?:[\w-]+\.)?(?:linkedin|facebook|twitter|x|instagram"
                              r"|youtube)\.com/\S*"),
)
_RESOURCES_HEADING = re.compile(r"^ressources\s*:?$")

# Newsletters only: « Pas d'images ? », and the footer from its first line to « Se désinscrire ».
_NEWSLETTER_LINES = frozenset({
    "pas d'images ? version web", "abonnez-vous directement", "facebooktwitterwebsite",
    "partager", "tweet", "transferer", "contact",
})
_FOOTER_START = "vous recevez cette newsletter"
_FOOTER_END = "se desinscrire"
_CONTACT_LINE = re.compile(r"^(?:tel\s*:|www\.\S+\s*-\s*\S+@)|mettre a jour les preferences")

_SENTENCE_END = re.compile(r"[.!?…](?:\s|$)")
_ROMAN = re.compile(r"^[IVX]+\.\s")
_BULLET = re.compile(r"^[•·\-–*]\s*")


def fold(line: str) -> str:
    """Lower case, no accents, straight apostrophes, single spaces: for matching only."""
    return fold_accents(normalize_line(line)).lower().replace("’", "'").replace("‘", "'")


def words(text: str) -> list[str]:
    """The text's words, folded (lower case, no accents): what repeats are compared on."""
    return list(_folded_words(text))


@lru_cache(maxsize=65536)
def _folded_words(text: str) -> tuple[str, ...]:
    # Pure and asked again and again of the same lines while repeats are found: cached.
    return tuple(re.findall(r"[a-z0-9]+", fold_accents(text).lower()))


def is_junk(line: str) -> bool:
    """A stray test string left in the export (`ygiy`, `sdd`...), matched as a whole line."""
    return normalize_line(line) in JUNK_LINES


def furniture(line: str) -> Furniture | None:
    """The FURNITURE entry the whole line matches, or None for a line of content."""
    text = fold(line).rstrip(" :")
    return next((f for f in FURNITURE if f.pattern.fullmatch(text)), None)


def is_boilerplate(line: str) -> bool:
    """Page furniture (see FURNITURE): site chrome, page tools, calls to action."""
    return furniture(line) is not None


def is_newsletter_chrome(line: str) -> bool:
    """A newsletter's e-mail chrome (share buttons, contact line...) outside the footer range."""
    text = fold(line)
    return text in _NEWSLETTER_LINES or bool(_CONTACT_LINE.search(text))


def footer_lines(lines: Sequence[tuple[int, str]]) -> set[int]:
    """Line numbers of every newsletter footer: « Vous recevez cette newsletter… » to
    the next line holding « Se désinscrire » (the first line names it too, so it is skipped)."""
    dropped: set[int] = set()
    start: int | None = None
    for number, line in lines:
        text = fold(line)
        if start is None and text.startswith(_FOOTER_START):
            start = number
        if start is not None:
            dropped.add(number)
            if number != start and _FOOTER_END in text:
                start = None
    return dropped


def is_resources_heading(line: str) -> bool:
    return bool(_RESOURCES_HEADING.match(fold(line)))


def is_list_item(line: str) -> bool:
    return bool(_BULLET.match(normalize_line(line)))


def _is_capitals(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    if len(letters) < 6 or text[0].isdigit():
        return False
    return sum(c.isupper() for c in letters) / len(letters) >= 0.85


def is_heading(line: str, after_spacer: bool) -> bool:
    """A section heading: capitals, a roman-numbered title, « Ressources », a short label
    ending in `:`, or a short line without sentence punctuation right after an empty
    (space-only) line."""
    text = normalize_line(line)
    n_words = len(words(text))
    if _is_capitals(text) or is_resources_heading(text):
        return True
    if _ROMAN.match(text) and n_words <= 15:
        return True
    if _SENTENCE_END.search(text.rstrip(" :")):
        return False
    if text.endswith(":") and n_words <= 8 and not is_list_item(text):
        return True
    return after_spacer and n_words <= 20


def section_name(heading: str) -> str:
    """The heading as a section label: bullet and trailing colon dropped."""
    return _BULLET.sub("", heading).rstrip(" :")


@dataclass
class _Sections:
    """The section being read: its heading, whether text came under it, and whether it
    is a lead-in (« Rôle de la collectivité : » + a list) that ends with its list."""

    name: str | None = None
    has_text: bool = False
    lead_in: bool = False

    def open(self, name: str, lead_in: bool) -> None:
        self.name, self.has_text, self.lead_in = name, False, lead_in

    def close(self) -> None:
        self.name, self.has_text, self.lead_in = None, False, False


def _next_text(lines: Sequence[Line], index: int) -> str:
    return next((line.text for line in lines[index + 1:] if line.text), "")


@dataclass
class _Reader:
    """What `paragraphs_of` holds while it reads: the paragraphs so far, the open section,
    the last heading (two capitals lines in a row join) and a « Ressources » heading
    waiting for its text."""

    result: list[Paragraph] = field(default_factory=list)
    sections: _Sections = field(default_factory=_Sections)
    pending: Paragraph | None = None
    last_heading: Paragraph | None = None

    def section_break(self, line: Line) -> None:
        if self.sections.has_text or line.rule:
            self.sections.close()
        self.last_heading = None

    def heading(self, lines: Sequence[Line], index: int, text: str) -> None:
        line, last = lines[index], self.last_heading
        if (last is not None and last.end_line == line.number - 1
                and _is_capitals(last.text) and _is_capitals(text)):
            joined = f"{last.text} {text}"
            self.last_heading = Paragraph(joined, last.start_line, line.number,
                                          section_name(joined))
            self.result[-1] = self.last_heading
            self.sections.open(self.last_heading.section or joined, lead_in=False)
            return
        lead_in = text.endswith(":") and is_list_item(_next_text(lines, index))
        self.sections.open(section_name(text), lead_in)
        self.last_heading = Paragraph(text, line.number, line.number, self.sections.name)
        self.pending = self.last_heading if is_resources_heading(text) else None
        if self.pending is None:
            self.result.append(self.last_heading)

    def text(self, line: Line, text: str) -> None:
        self.last_heading = None
        if self.sections.lead_in and self.sections.has_text and not is_list_item(text):
            self.sections.close()
        if self.pending is not None:
            self.result.append(self.pending)
            self.pending = None
        self.result.append(Paragraph(text, line.number, line.number, self.sections.name))
        self.sections.has_text = True


def paragraphs_of(lines: Sequence[Line]) -> list[Paragraph]:
    """One paragraph per line of text, each with the section it sits under.

    A heading is a paragraph too (its text is content) and opens a section; two
    heading lines in capitals in a row are one heading. A rule closes a section, an
    empty (space-only) line closes one that has text; a lead-in's section ends with
    its list. A « Ressources » heading with nothing under it goes.
    """
    reader = _Reader()
    for index, line in enumerate(lines):
        if line.breaks_section:
            reader.section_break(line)
            continue
        text = normalize_line(line.text)
        if is_heading(text, line.after_spacer):
            reader.heading(lines, index, text)
        else:
            reader.text(line, text)
    return reader.result
