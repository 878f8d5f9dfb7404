"""Clean the text of a website resource: drop page furniture, find headings, drop repeats.

Everything here works on whole lines (never inside a sentence) and keeps, for each
paragraph, the lines its text came from.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from indexer.documents import Paragraph
from indexer.text import MONTH_NAMES, fold_accents, normalize_line

# Share of words a summary line must have in common with the body line it repeats (reworded);
# never used to drop one of two lines of the same text (see `same_line`).
NEAR_DUPLICATE = 0.8
SHORT = 8  # words: a label this short that begins another one is the same label
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
    return re.findall(r"[a-z0-9]+", fold_accents(text).lower())


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


@dataclass(frozen=True)
class Line:
    """A line of a resource as found in the file; empty text for a section break
    (a space-only line or a rule)."""

    number: int
    text: str
    after_spacer: bool = False
    rule: bool = False

    @property
    def breaks_section(self) -> bool:
        return not self.text


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


def paragraphs_of(lines: Sequence[Line]) -> list[Paragraph]:
    """One paragraph per line of text, each with the section it sits under.

    A heading is a paragraph too (its text is content) and opens a section; two
    heading lines in capitals in a row are one heading. A rule closes a section, an
    empty (space-only) line closes one that has text; a lead-in's section ends with
    its list. A « Ressources » heading with nothing under it goes.
    """
    result: list[Paragraph] = []
    sections = _Sections()
    pending: Paragraph | None = None  # a « Ressources » heading waiting for its text
    last_heading: Paragraph | None = None
    for index, line in enumerate(lines):
        if line.breaks_section:
            if sections.has_text or line.rule:
                sections.close()
            last_heading = None
            continue
        text = normalize_line(line.text)
        if is_heading(text, line.after_spacer):
            if (last_heading is not None and last_heading.end_line == line.number - 1
                    and _is_capitals(last_heading.text) and _is_capitals(text)):
                joined = f"{last_heading.text} {text}"
                last_heading = Paragraph(joined, last_heading.start_line, line.number,
                                         section_name(joined))
                result[-1] = last_heading
                sections.open(last_heading.section or joined, lead_in=False)
                continue
            lead_in = text.endswith(":") and is_list_item(_next_text(lines, index))
            sections.open(section_name(text), lead_in)
            last_heading = Paragraph(text, line.number, line.number, sections.name)
            pending = last_heading if is_resources_heading(text) else None
            if pending is None:
                result.append(last_heading)
            continue
        last_heading = None
        if sections.lead_in and sections.has_text and not is_list_item(text):
            sections.close()
        if pending is not None:
            result.append(pending)
            pending = None
        result.append(Paragraph(text, line.number, line.number, sections.name))
        sections.has_text = True
    return result


def word_overlap(a: str, b: str) -> float:
    """Share of distinct words two texts have in common, over the larger vocabulary."""
    wa, wb = set(words(a)), set(words(b))
    if not wa or not wb:
        return 1.0 if wa == wb else 0.0
    return len(wa & wb) / max(len(wa), len(wb))


def near_identical(a: str, b: str) -> bool:
    """At least 80 % of the larger text's words shared: a copy, not an extension."""
    return word_overlap(a, b) >= NEAR_DUPLICATE


def same_line(a: str, b: str) -> bool:
    """The same text once case, accents, spaces and punctuation are folded."""
    return words(a) == words(b)


def same_paragraph(a: str, b: str) -> bool:
    """A body paragraph and the summary's version of it, possibly reworded or extended.

    Equal after folding spaces and punctuation; a short label another begins with; or
    at least 80 % of words shared — of the larger paragraph's words or, when the two
    are of comparable length (five words or more, at most twice as long), of the
    smaller's, so a body paragraph that the summary extends counts once. Only ever
    asked of a body paragraph and the summary paragraph in its place (see
    `merge_body_and_summary`): two lines of one text that merely share words are two.
    """
    wa, wb = words(a), words(b)
    if wa == wb:
        return True
    short, long_ = sorted((wa, wb), key=len)
    if len(long_) <= SHORT and short and long_[: len(short)] == short:
        return True  # « Calendrier : » and « Calendrier et périmètre : »
    sa, sb = set(wa), set(wb)
    if not sa or not sb:
        return False
    shared = len(sa & sb)
    small, large = sorted((len(sa), len(sb)))
    if shared / large >= NEAR_DUPLICATE:
        return True
    return small >= 5 and 2 * small >= large and shared / small >= NEAR_DUPLICATE


def _dedupe(paragraphs: Sequence[Paragraph]) -> list[Paragraph]:
    """Each paragraph once: a later one that is the same line (`same_line`) goes.

    Lines that only share words (« Rôle de la collectivité : » under two sections,
    two statistics a year apart) are different lines and both stay.
    """
    kept: list[Paragraph] = []
    for par in paragraphs:
        if not any(same_line(par.text, k.text) for k in kept):
            kept.append(par)
    return kept


def merge_body_and_summary(
    body: Sequence[Paragraph], summary: Sequence[Paragraph]
) -> list[Paragraph]:
    """The summary's paragraphs, plus the body's that the summary lacks, in reading order.

    A body paragraph the summary repeats is dropped for the summary's version: the same
    line anywhere in the summary, or else a reworded or extended version
    (`same_paragraph`) further on than the last one matched and not already standing
    for another body paragraph — the summary repeats the body in order, line for
    line, so a body line that only shares words with some summary line is kept. A
    body paragraph the summary lacks goes in after the summary's version of the body
    paragraph that precedes it.
    """
    kept = _dedupe(summary)
    reworded = {id(par) for par in kept}  # summary paragraphs free to stand for a reworded one
    anchor = -1  # index in `kept` after which the next body-only paragraph goes
    for par in body:
        match = next((i for i, s in enumerate(kept) if same_line(par.text, s.text)), None)
        if match is None:
            match = next((i for i, s in enumerate(kept) if i > anchor and id(s) in reworded
                          and same_paragraph(par.text, s.text)), None)
        if match is not None:
            reworded.discard(id(kept[match]))
            anchor = max(anchor, match)
            continue
        anchor += 1
        kept.insert(anchor, par)
    return kept
