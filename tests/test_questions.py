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
SPLITS = {"dev", "test", "holdout"}
MINIMUMS = {
    "paraphrase": 120,
    "factual": 80,
    "thematic": 40,
    "keyword": 14,
    "typo": 11,
    "foreign": 10,
    "no_answer": 30,
    "member_only": 5,
}
MIN_TOTAL = 300
MIN_UNANSWERABLE = 40  # no_answer + member_only
MIN_ESS_NO_ANSWER = 20  # no_answer questions on ESS subjects the corpus does not cover
MIN_HOLDOUT = 80
MAX_SPAN = 120
DEV_EXTENSION = (255, 449)  # dev-only ids, kept out of the dev/test balance check


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
        # A no_answer question says why it has no answer: "ess" or "outside" the field.
        expected = KEYS | {"scope"} if q["category"] == "no_answer" else KEYS
        assert set(q) == expected, q.get("_id")
        # Holdout questions are numbered apart (h001…): written blind, by another hand.
        pattern = r"h\d{3}" if q["split"] == "holdout" else r"q\d{3}"
        assert re.fullmatch(pattern, q["_id"]), q["_id"]
        assert isinstance(q["text"], str) and q["text"].strip(), q["_id"]
        assert q["category"] in MINIMUMS, q["_id"]
        assert q["split"] in SPLITS, q["_id"]
        assert q.get("scope") in {None, "ess", "outside"}, q["_id"]
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
    assert counts["no_answer"] + counts["member_only"] >= MIN_UNANSWERABLE
    ess = [q for q in queries if q["category"] == "no_answer" and q["scope"] == "ess"]
    assert len(ess) >= MIN_ESS_NO_ANSWER


def test_the_holdout_split_is_big_enough_and_holds_every_category(queries):
    holdout = [q for q in queries if q["split"] == "holdout"]
    assert len(holdout) >= MIN_HOLDOUT
    assert {q["category"] for q in holdout} == set(MINIMUMS)


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


def test_member_only_questions_are_judged_on_private_resources_alone(queries, qrels, resources):
    """Unanswerable anonymously, answerable with a member token."""
    member_only = [q for q in queries if q["category"] == "member_only"]
    assert member_only
    for q in member_only:
        judged = qrels[q["_id"]]
        assert all(resources[rid].private for rid in judged), q["_id"]
        assert 2 in judged.values(), q["_id"]


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


def _in_dev_extension(qid: str) -> bool:
    """q255–q449: dev-only questions added for fitting (eval/README « Splits »)."""
    return qid.startswith("q") and DEV_EXTENSION[0] <= int(qid[1:]) <= DEV_EXTENSION[1]


def test_every_category_is_split_evenly_between_dev_and_test(queries):
    """The balance holds over the original set; the dev extension is left out of it."""
    splits: dict[str, Counter] = defaultdict(Counter)
    for q in queries:
        if q["split"] != "holdout" and not _in_dev_extension(q["_id"]):
            splits[q["category"]][q["split"]] += 1
    for category, counts in splits.items():
        assert counts["dev"] > 0 and counts["test"] > 0, category
        assert abs(counts["dev"] - counts["test"]) <= 1, category


def test_every_question_of_the_dev_extension_is_dev(queries):
    """q255–q449 were written to enlarge the tuning data: never test, never holdout."""
    extension = [q for q in queries if _in_dev_extension(q["_id"])]
    assert extension, "the dev extension starts at q255"
    assert [q["_id"] for q in extension if q["split"] != "dev"] == []


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


def test_answer_spans_occur_verbatim_in_the_passage_they_cite(queries, qrels, resources):
    """The indexed passage covering the span's line holds the span, so a quote can hold it."""
    from indexer.chunk import chunk_resource

    for q in queries:
        answer = q["answer"]
        if answer is None:
            continue
        span = _norm(answer["text"])
        cited = [
            _norm(p.text)
            for rid, grade in qrels[q["_id"]].items()
            if grade == 2
            for p in chunk_resource(resources[rid])
            if p.source.file == answer["file"]
            and p.source.start_line <= answer["line"] <= p.source.end_line
        ]
        assert cited, f"{q['_id']}: no passage of a grade-2 resource covers its answer line"
        assert any(span in text or span in " ".join(text.split()) for text in cited), q["_id"]


def test_some_questions_are_answered_only_by_private_resources(queries, qrels, resources):
    """Member and public runs must differ: the public loses these answers."""
    private_only = [
        q["_id"]
        for q in queries
        if q["_id"] in qrels and all(resources[rid].private for rid in qrels[q["_id"]])
    ]
    assert len(private_only) >= 3
    assert {q["split"] for q in queries if q["_id"] in private_only} == SPLITS
