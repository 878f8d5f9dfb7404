"""The shape of every row in an index version, checked on load (the manifest: `indexer.manifest`).

A malformed row (a line `42`, a field of the wrong type, a missing field) is an
`IndexLoadError` naming the file and the line, never a TypeError deep in the service.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from indexer.errors import IndexLoadError

Types = tuple[type, ...]
STR: Types = (str,)
INT: Types = (int,)
BOOL: Types = (bool,)
LIST: Types = (list,)
DICT: Types = (dict,)
OPT_STR: Types = (str, type(None))
Fields = Mapping[str, Types]

SOURCE: Fields = {"file": STR, "start_line": INT, "end_line": INT}
RESOURCE: Fields = {"id": STR, "title": STR, "kind": STR, "private": BOOL, "date": OPT_STR,
                    "source": DICT}
RESOURCE_OPTIONAL: Fields = {"keywords": LIST, "fiche_number": OPT_STR, "level": OPT_STR,
                             "parent": OPT_STR, "same_as": LIST, "content_hash": STR}
PASSAGE: Fields = {"id": STR, "resource_id": STR, "text": STR, "section": OPT_STR,
                   "source": DICT}
PASSAGE_OPTIONAL: Fields = {"embedding_sha": STR, "lines": LIST}
SENTENCE: Fields = {"passage": INT, "start": INT, "end": INT}


def _type_name(types: Types) -> str:
    return " or ".join("null" if t is type(None) else t.__name__ for t in types)


def _is(value: Any, types: Types) -> bool:
    # JSON true/false are Python bools, which are ints too: an int field refuses them.
    if isinstance(value, bool) and bool not in types:
        return False
    return isinstance(value, types)


def field_problem(row: Any, required: Fields, optional: Fields | None = None) -> str | None:
    """What is wrong with `row` (None: nothing): not an object, a field missing or mistyped."""
    if not isinstance(row, dict):
        return f"is {json.dumps(row)[:60]}, not a JSON object"
    for name, types in required.items():
        if name not in row:
            return f"has no field {name!r}"
        if not _is(row[name], types):
            return f"field {name!r} is {json.dumps(row[name])[:60]}, expected {_type_name(types)}"
    for name, types in (optional or {}).items():
        if name in row and not _is(row[name], types):
            return f"field {name!r} is {json.dumps(row[name])[:60]}, expected {_type_name(types)}"
    source = row.get("source")
    if isinstance(source, dict) and (problem := field_problem(source, SOURCE)):
        return f"field 'source' {problem}"
    if isinstance(row.get("lines"), list):
        return _lines_problem(row["lines"], row.get("text"))
    return None


def _lines_problem(lines: list[Any], text: Any) -> str | None:
    """A passage's paragraph lines: [offset, start_line, end_line] rows, offsets rising from
    0 inside the text, start_line ≤ end_line."""
    size = len(text) if isinstance(text, str) else 0
    previous = -1
    for row in lines:
        if not (isinstance(row, list) and len(row) == 3 and all(_is(v, INT) for v in row)):
            return f"field 'lines' holds {json.dumps(row)[:60]}, expected [offset, start, end]"
        offset, start, end = row
        if not (previous < offset < max(size, 1)) or (previous < 0 and offset != 0) \
                or not 1 <= start <= end:
            return f"field 'lines' row {json.dumps(row)} is out of order or out of the text"
        previous = offset
    return None


def read_rows(path: Path, required: Fields, optional: Fields | None = None
              ) -> list[dict[str, Any]]:
    """The JSON objects of a .jsonl file, each checked against its fields."""
    rows = []
    try:
        with path.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise IndexLoadError(path, f"line {n} is not JSON ({exc.msg})") from exc
                if problem := field_problem(row, required, optional):
                    raise IndexLoadError(path, f"line {n} {problem}")
                rows.append(row)
    except OSError as exc:
        raise IndexLoadError(path, f"cannot be read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise IndexLoadError(path, f"is not UTF-8 text ({exc.reason})") from exc
    return rows
