"""The one table formatter of the evaluation: Markdown tables and fixed-width text tables.

Markdown for what is pasted into the README and `eval/report.md` (the benchmark, the
report, the summary of `eval run`); fixed-width for the terminal (`eval run`'s metric
tables, calibration, the load run). In both, the first column is a label and the others
are values; a cell that is not text goes through `cell`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

# Markdown alignment lines: numbers right-aligned after a left-aligned label, all
# left-aligned, or GitHub's default (no colons).
ALIGNMENTS = {"numbers": (":---", "---:"), "left": (":---", ":---"), "none": ("---", "---")}


def cell(value: Any) -> str:
    """None → « - », NaN → « nan », a float as short as it reads exactly, text as is."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:g}"
    return str(value)


def markdown_table(header: Sequence[Any], rows: Sequence[Sequence[Any]],
                   align: str = "numbers") -> str:
    """A GitHub table (readable as plain text too); `align` is a key of ALIGNMENTS."""
    first, rest = ALIGNMENTS[align]
    lines = ["| " + " | ".join(cell(h) for h in header) + " |",
             "|" + "|".join([first, *[rest] * (len(header) - 1)]) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def fixed_table(header: Sequence[Any], rows: Sequence[Sequence[Any]]) -> str:
    """Columns padded to their widest cell, two spaces apart, a line of dashes under the
    header; the label left-aligned, the values right-aligned, no trailing spaces."""
    cells = [[cell(v) for v in line] for line in (header, *rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(cells[0]))]
    lines = [_fixed_line(line, widths) for line in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _fixed_line(cells: list[str], widths: list[int]) -> str:
    values = [c.rjust(w) for c, w in zip(cells[1:], widths[1:], strict=True)]
    return "  ".join([cells[0].ljust(widths[0]), *values])
