"""The French question set (eval/queries.jsonl, eval/qrels.tsv): well formed and honest.

Plain json/csv parsing on purpose, so a bug in eval/data.py cannot hide a defect here.
The checks against the parsed seeds need the parsers (indexer.parse) and nothing else.
"""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections import Counter, defaultdict
from pathlib import Path

import pytest

EVAL_DIR = Path(__file__).resolve().parent.parent / "eval"
SEEDS_DIR = Path(__file__).resolve().parent.parent / "seeds"
KEYS = {"_id", "text", "category", "split", "lang", "answer"}
MINIMUMS = {
    "paraphrase": 38,
    "factual": 22,
    "thematic": 12,
    "keyword": 10,
    "typo": 8,
    "foreign": 8,
    "no_answer": 10,
}
MIN_TOTAL = 110
MAX_SPAN = 120


def _norm(text: str) -> str:
    return unicodedata.normalize("NFC", text).replace("\u00a0", " ")


def _load_queries() -> list[dict]:
    lines = (EVAL_DIR / "queries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def _load_qrels() -> tuple[list[str], list[list[str]]]:
    with open(EVAL_DIR / "qrels.tsv", encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="\t"))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def queries() -> list[dict]:
    return _load_queries()


@pytest.fixture(scope="module")
def qrels() -> dict[str, dict[str, int]]:
    judged: dict[str, dict[str, int]] = defaultdict(dict)
    for qid, rid, grade in _load_qrels()[1]:
        judged[qid][rid] = int(grade)
    return dict(judged)


@pytest.fixture(scope="module")
def resources() -> dict:
    from indexer.parse import parse_seeds

    return {r.id: r for r in parse_seeds(SEEDS_DIR).resources}


def test_queries_have_exactly_the_expected_fields(queries):
    for q in queries:
        assert set(q) == KEYS, q.get("_id")
        assert re.fullmatch(r"q\d{3}", q["_id"]), q["_id"]
        assert isinstance(q["text"], str) and q["text"].strip(), q["_id"]
        assert q["category"] in MINIMUMS, q["_id"]
        assert q["split"] in {"dev", "test"}, q["_id"]
        assert q["lang"] in {"fr", "en", "es"}, q["_id"]
        assert q["answer"] is None or set(q["answer"]) == {"text", "file", "line"}, q["_id"]


def test_query_ids_and_texts_are_unique(queries):
    ids = [q["_id"] for q in queries]
    assert len(ids) == len(set(ids))
    texts = Counter(_norm(q["text"]).lower() for q in queries)
    assert [t for t, n in texts.items() if n > 1] == []


def test_category_counts_meet_the_minimums(queries):
    counts = Counter(q["category"] for q in queries)
    assert len(queries) >= MIN_TOTAL
    for category, minimum in MINIMUMS.items():
        assert counts[category] >= minimum, category


def test_languages_follow_the_category(queries):
    foreign = Counter(q["lang"] for q in queries if q["category"] == "foreign")
    assert foreign["en"] >= 4 and foreign["es"] >= 4 and foreign["fr"] == 0
    assert {q["lang"] for q in queries if q["category"] != "foreign"} == {"fr"}


def test_qrels_header_and_rows_are_well_formed(queries):
    header, rows = _load_qrels()
    assert header == ["query-id", "corpus-id", "score"]
    ids = {q["_id"] for q in queries}
    pairs = Counter((row[0], row[1]) for row in rows)
    for row in rows:
        assert len(row) == 3, row
        assert row[0] in ids, row
        assert row[2] in {"1", "2"}, row
    assert [p for p, n in pairs.items() if n > 1] == []


def test_no_answer_queries_have_no_qrels_and_the_others_a_grade_2(queries, qrels):
    for q in queries:
        judged = qrels.get(q["_id"], {})
        if q["category"] == "no_answer":
            assert judged == {}, q["_id"]
            assert q["answer"] is None, q["_id"]
        else:
            assert 2 in judged.values(), q["_id"]


def test_factual_queries_carry_a_short_answer_span(queries):
    for q in queries:
        if q["category"] == "factual":
            assert q["answer"] is not None, q["_id"]
            assert 0 < len(q["answer"]["text"]) <= MAX_SPAN, q["_id"]


def test_answer_spans_are_verbatim_at_their_file_and_line(queries):
    files: dict[str, list[str]] = {}
    for q in queries:
        answer = q["answer"]
        if answer is None:
            continue
        name = answer["file"]
        if name not in files:
            files[name] = (SEEDS_DIR / name).read_text(encoding="utf-8").splitlines()
        lines = files[name]
        assert 1 <= answer["line"] <= len(lines), q["_id"]
        assert _norm(answer["text"]) in _norm(lines[answer["line"] - 1]), q["_id"]


def test_every_category_is_split_evenly_between_dev_and_test(queries):
    splits: dict[str, Counter] = defaultdict(Counter)
    for q in queries:
        splits[q["category"]][q["split"]] += 1
    for category, counts in splits.items():
        assert counts["dev"] > 0 and counts["test"] > 0, category
        assert abs(counts["dev"] - counts["test"]) <= 1, category


def test_every_judged_id_is_the_id_of_a_parsed_resource(qrels, resources):
    ids = list(resources)
    judged = {rid for per_query in qrels.values() for rid in per_query}
    assert sorted(rid for rid in judged if rid not in ids) == []


def test_same_as_copies_are_judged_alike(qrels, resources):
    pairs = [(r.id, other) for r in resources.values() for other in r.same_as]
    assert pairs, "the seeds hold two same_as pairs (fiches n°101 and n°97)"
    for qid, judged in qrels.items():
        for rid, other in pairs:
            if rid in judged:
                assert judged.get(other) == judged[rid], (qid, rid, other)


def test_answer_lines_sit_inside_a_grade_2_resource(queries, qrels, resources):
    for q in queries:
        answer = q["answer"]
        if answer is None:
            continue
        spans = [
            source
            for rid, grade in qrels[q["_id"]].items()
            if grade == 2
            for source in (resources[rid].source, *resources[rid].also_in)
        ]
        assert any(
            s.file == answer["file"] and s.start_line <= answer["line"] <= s.end_line for s in spans
        ), q["_id"]


def test_answer_spans_survive_cleaning_in_a_grade_2_resource(queries, qrels, resources):
    """Answer metrics look for the span in retrieved passages, so it must not be cleaned away."""

    def flat(text: str) -> str:
        return " ".join(_norm(text).split())

    for q in queries:
        if q["answer"] is None:
            continue
        span = flat(q["answer"]["text"])
        texts = [
            flat(p.text)
            for rid, grade in qrels[q["_id"]].items()
            if grade == 2
            for p in resources[rid].paragraphs
        ]
        assert any(span in text for text in texts), q["_id"]


def test_some_questions_are_answered_only_by_private_resources(queries, qrels, resources):
    """Member and public runs must differ: the public loses these answers."""
    private_only = [
        q["_id"]
        for q in queries
        if q["_id"] in qrels and all(resources[rid].private for rid in qrels[q["_id"]])
    ]
    assert len(private_only) >= 3
    assert {q["split"] for q in queries if q["_id"] in private_only} == {"dev", "test"}
