"""The evaluation question set, in BEIR's shapes: `queries.jsonl` and `qrels.tsv`.

Loading is strict: a typo in a hand-written question file would otherwise drop a
query from the scores without anyone noticing, so every defect raises a
`QuestionSetError` naming the file and line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CATEGORIES = ("paraphrase", "factual", "thematic", "keyword", "typo", "foreign", "no_answer",
              "member_only")
# dev: tuning; test: reported; holdout: written blind, reported, never used to choose anything.
SPLITS = ("dev", "test", "holdout")
# Why a no_answer question has no answer: an ESS subject the corpus does not cover, or a
# question outside the field altogether.
SCOPES = ("ess", "outside")
LANGS = ("fr", "en", "es")
GRADES = (0, 1, 2)
QUERIES_FILE = "queries.jsonl"
QRELS_FILE = "qrels.tsv"
QRELS_HEADER = ("query-id", "corpus-id", "score")


class QuestionSetError(Exception):
    """A question file that cannot be trusted, with the file and (1-based) line at fault."""

    def __init__(self, path: Path | str, line: int | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = reason
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True)
class AnswerSpan:
    """The exact text that answers a factual query, and where it sits in a seed file."""

    text: str
    file: str
    line: int


@dataclass(frozen=True)
class Query:
    """One evaluation question."""

    id: str
    text: str
    category: str
    split: str
    lang: str
    answer: AnswerSpan | None = None
    scope: str | None = None

    @property
    def member_only(self) -> bool:
        """Answered by members-only resources alone: a no-answer for the public."""
        return self.category == "member_only"


@dataclass(frozen=True)
class QuestionSet:
    """Queries plus graded resource-level judgements: `qrels[qid][resource_id] = grade`."""

    queries: list[Query]
    qrels: dict[str, dict[str, int]]

    def split(self, name: str) -> QuestionSet:
        """Only the queries of split `name` ('dev', 'test' or 'holdout'), with their qrels."""
        if name not in SPLITS:
            raise ValueError(f"unknown split {name!r}; expected one of {SPLITS}")
        queries = [q for q in self.queries if q.split == name]
        ids = {q.id for q in queries}
        qrels = {qid: dict(rels) for qid, rels in self.qrels.items() if qid in ids}
        return QuestionSet(queries=queries, qrels=qrels)

    def categories(self) -> dict[str, str]:
        """`{qid: category}`, the shape `metrics.evaluate` takes."""
        return {q.id: q.category for q in self.queries}

    def unanswerable(self) -> set[str]:
        """Ids of the queries the corpus cannot answer."""
        return {q.id for q in self.queries if q.category == "no_answer"}

    def answer_spans(self) -> dict[str, str]:
        """`{qid: expected span}` for the queries that have one."""
        return {q.id: q.answer.text for q in self.queries if q.answer is not None}


def default_eval_dir() -> Path:
    """Where the shipped question files live: beside this module."""
    return Path(__file__).parent


def load_question_set(eval_dir: Path) -> QuestionSet:
    """Read and check `queries.jsonl` and `qrels.tsv` from `eval_dir`."""
    queries_path = Path(eval_dir) / QUERIES_FILE
    qrels_path = Path(eval_dir) / QRELS_FILE
    queries, query_lines = _read_queries(queries_path)
    qrels = _read_qrels(qrels_path, query_lines)
    _check_coverage(queries_path, queries, query_lines, qrels)
    return QuestionSet(queries=queries, qrels=qrels)


def load_candidates(path: Path) -> list[Query]:
    """A candidates file (`python -m eval harvest`): queries.jsonl lines read and checked by
    the same parser, unique ids, and no qrels (a person judges them first). An empty file
    (nothing went unanswered) is an empty list."""
    if next(_lines(Path(path)), None) is None:
        return []
    queries, _ = _read_queries(Path(path))
    return queries


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """Non-blank lines with their 1-based numbers; a missing file is a QuestionSetError."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(path, None, f"cannot read: {exc}") from exc
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            yield number, line


def _read_queries(path: Path) -> tuple[list[Query], dict[str, int]]:
    """Queries in file order, and the line each id was defined on."""
    queries: list[Query] = []
    lines: dict[str, int] = {}
    for number, line in _lines(path):
        try:
            query = _parse_query(line)
        except ValueError as exc:
            raise QuestionSetError(path, number, str(exc)) from exc
        if query.id in lines:
            raise QuestionSetError(
                path, number, f"duplicate query id {query.id!r} (first on line {lines[query.id]})"
            )
        lines[query.id] = number
        queries.append(query)
    if not queries:
        raise QuestionSetError(path, None, "no queries")
    return queries, lines


def _parse_query(line: str) -> Query:
    """One JSON line to a Query; ValueError says what is wrong."""
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg}") from exc
    if not isinstance(row, dict):
        raise ValueError("expected a JSON object")
    qid = _text_field(row, "_id")
    category = _choice(row, "category", CATEGORIES)
    lang = _choice(row, "lang", LANGS)
    answer = _parse_answer(row.get("answer"))
    if category == "factual" and answer is None:
        raise ValueError(f"query {qid!r}: a factual query needs an answer span")
    if category == "no_answer" and answer is not None:
        raise ValueError(f"query {qid!r}: a no_answer query cannot have an answer span")
    if category == "foreign" and lang == "fr":
        raise ValueError(f"query {qid!r}: a foreign query must be in 'en' or 'es'")
    scope = row.get("scope")
    if category == "no_answer":
        scope = _choice(row, "scope", SCOPES)
    elif scope is not None:
        raise ValueError(f"query {qid!r}: only a no_answer query has a 'scope'")
    return Query(
        id=qid,
        text=_text_field(row, "text"),
        category=category,
        split=_choice(row, "split", SPLITS),
        lang=lang,
        answer=answer,
        scope=scope,
    )


def _parse_answer(value: Any) -> AnswerSpan | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("'answer' must be null or an object {text, file, line}")
    line = value.get("line")
    if not isinstance(line, int) or isinstance(line, bool) or line < 1:
        raise ValueError(f"'answer.line' must be a positive integer, got {line!r}")
    return AnswerSpan(
        text=_text_field(value, "text", "answer.text"),
        file=_text_field(value, "file", "answer.file"),
        line=line,
    )


def _text_field(row: dict[str, Any], key: str, label: str | None = None) -> str:
    value = row.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{label or key!r} must be a non-empty string, got {value!r}")
    return value


def _choice(row: dict[str, Any], key: str, allowed: tuple[str, ...]) -> str:
    value = row.get(key)
    if value not in allowed:
        raise ValueError(f"unknown {key} {value!r}; expected one of {allowed}")
    return value


def _read_qrels(path: Path, query_lines: dict[str, int]) -> dict[str, dict[str, int]]:
    """`qrels[qid][resource_id] = grade`, every qid a known query, no pair judged twice."""
    qrels: dict[str, dict[str, int]] = {}
    rows = _lines(path)
    first = next(rows, None)
    if first is None or tuple(first[1].rstrip("\r").split("\t")) != QRELS_HEADER:
        line = first[0] if first else None
        raise QuestionSetError(path, line, f"expected header {chr(9).join(QRELS_HEADER)!r}")
    for number, line in rows:
        qid, rid, grade = _parse_qrel(path, number, line)
        if qid not in query_lines:
            raise QuestionSetError(path, number, f"qrel for unknown query {qid!r}")
        if rid in qrels.get(qid, {}):
            raise QuestionSetError(path, number, f"duplicate judgement {qid!r} → {rid!r}")
        qrels.setdefault(qid, {})[rid] = grade
    return qrels


def _parse_qrel(path: Path, number: int, line: str) -> tuple[str, str, int]:
    fields = line.rstrip("\r").split("\t")
    if len(fields) != 3 or not all(f.strip() for f in fields):
        raise QuestionSetError(path, number, f"expected 3 tab-separated columns, got {fields!r}")
    qid, rid, raw_grade = (f.strip() for f in fields)
    try:
        grade = int(raw_grade)
    except ValueError:
        grade = -1
    if grade not in GRADES:
        raise QuestionSetError(path, number, f"grade must be one of {GRADES}, got {raw_grade!r}")
    return qid, rid, grade


def _check_coverage(
    path: Path,
    queries: list[Query],
    query_lines: dict[str, int],
    qrels: dict[str, dict[str, int]],
) -> None:
    """No qrels for no_answer queries; at least one relevant resource for every other one."""
    for query in queries:
        relevant = [rid for rid, grade in qrels.get(query.id, {}).items() if grade > 0]
        if query.category == "no_answer" and query.id in qrels:
            reason = f"no_answer query {query.id!r} has qrels in {QRELS_FILE}"
            raise QuestionSetError(path, query_lines[query.id], reason)
        if query.category != "no_answer" and not relevant:
            reason = f"query {query.id!r} has no relevant resource in {QRELS_FILE}"
            raise QuestionSetError(path, query_lines[query.id], reason)
