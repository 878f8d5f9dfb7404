"""A line of an export as the text parsers see it: its number in the file, its text.

One class for every line-by-line parser: the website cleaner sets `after_spacer` and
`rule`, the catalogue sets `kind` (`catalogue_lines.Kind`). Empty text is a break.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Line:
    """A line of a resource as found in the file, 1-based; empty text for a section break
    (a blank or space-only line, or a rule)."""

    number: int
    text: str
    kind: str = "text"  # the catalogue's line class (catalogue_lines.Kind)
    after_spacer: bool = False  # right after a space-only line
    rule: bool = False  # a rule of dashes: it closes the section above it

    @property
    def breaks_section(self) -> bool:
        return not self.text
