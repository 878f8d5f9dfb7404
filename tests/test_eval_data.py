"""Loading the question set: a small hand-written set, each defect naming file and line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import eval.data
from eval.data import (
    AnswerSpan,
    Query,
    QuestionSetError,
    default_eval_dir,
    load_question_set,
)
from eval.metrics import normalize_answer

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
HEADER = "query-id\tcorpus-id\tscore"
ANSWER = {"text": "Mars 2022", "file": "000_b7e720c58eb8b2a1.txt", "line": 12}


def _queries() -> list[dict]:
    return [
        {"_id": "q001", "text": "Quand est parue la newsletter ?", "category": "factual",
         "split": "dev", "lang": "fr", "answer": dict(ANSWER)},
        {"_id": "q002", "text": "économie solidaire et quartiers", "category": "thematic",
         "split": "test", "lang": "fr", "answer": None},
        {"_id": "q003", "text": "Quel temps fera-t-il demain ?", "category": "no_answer",
         "split": "test", "lang": "fr", "answer": None, "scope": "outside"},
        {"_id": "q004", "text": "social economy newsletter", "category": "foreign",
         "split": "dev", "lang": "en", "answer": None},
    ]


def _qrels() -> list[str]:
    return [HEADER, "q001\tr1\t2", "q001\tr9\t0", "q002\tr2\t1", "q002\tr3\t2", "q004\tr1\t1"]


def _write(tmp_path: Path, queries: list, qrels: list[str]) -> Path:
    lines = [q if isinstance(q, str) else json.dumps(q, ensure_ascii=False) for q in queries]
    (tmp_path / "queries.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (tmp_path / "qrels.tsv").write_text("\n".join(qrels) + "\n", encoding="utf-8")
    return tmp_path


def test_load_small_set(tmp_path):
    qs = load_question_set(_write(tmp_path, _queries(), _qrels()))
    assert [q.id for q in qs.queries] == ["q001", "q002", "q003", "q004"]
    assert qs.queries[0] == Query(
        id="q001", text="Quand est parue la newsletter ?", category="factual", split="dev",
        lang="fr", answer=AnswerSpan(text="Mars 2022", file="000_b7e720c58eb8b2a1.txt", line=12),
    )
    assert qs.queries[3].answer is None
    assert qs.queries[2].scope == "outside" and qs.queries[0].scope is None
    assert qs.qrels == {"q001": {"r1": 2, "r9": 0}, "q002": {"r2": 1, "r3": 2}, "q004": {"r1": 1}}
    assert qs.categories()["q004"] == "foreign"
    assert qs.unanswerable() == {"q003"}
    assert qs.answer_spans() == {"q001": "Mars 2022"}


def test_split_filters_queries_and_qrels(tmp_path):
    qs = load_question_set(_write(tmp_path, _queries(), _qrels()))
    dev = qs.split("dev")
    assert [q.id for q in dev.queries] == ["q001", "q004"]
    assert dev.qrels == {"q001": {"r1": 2, "r9": 0}, "q004": {"r1": 1}}
    test = qs.split("test")
    assert [q.id for q in test.queries] == ["q002", "q003"]
    assert set(test.qrels) == {"q002"}
    assert len(qs.queries) == 4  # the full set is untouched
    with pytest.raises(ValueError, match="unknown split"):
        qs.split("train")


def test_blank_lines_are_skipped_but_counted(tmp_path):
    queries = [_queries()[0], "", "{not json"]
    with pytest.raises(QuestionSetError) as info:
        load_question_set(_write(tmp_path, queries, _qrels()))
    assert (info.value.path.name, info.value.line) == ("queries.jsonl", 3)


def _edit_query(index: int, **changes):
    def edit(queries: list, qrels: list[str]) -> None:
        queries[index].update(changes)
        for key, value in changes.items():
            if value is ...:
                del queries[index][key]
    return edit


def _replace_query(index: int, line: str):
    def edit(queries: list, qrels: list[str]) -> None:
        queries[index] = line
    return edit


def _set_qrel(index: int, line: str):
    def edit(queries: list, qrels: list[str]) -> None:
        if index == len(qrels):
            qrels.append(line)
        else:
            qrels[index] = line
    return edit


MALFORMED = [
    # (edit, file at fault, 1-based line, words of the message)
    (_replace_query(1, "{not json"), "queries.jsonl", 2, "not valid JSON"),
    (_replace_query(1, "[1, 2]"), "queries.jsonl", 2, "JSON object"),
    (_edit_query(1, text=...), "queries.jsonl", 2, "'text' must be a non-empty string"),
    (_edit_query(1, _id=""), "queries.jsonl", 2, "'_id' must be a non-empty string"),
    (_edit_query(1, category="opinion"), "queries.jsonl", 2, "unknown category 'opinion'"),
    (_edit_query(1, split="train"), "queries.jsonl", 2, "unknown split 'train'"),
    (_edit_query(3, lang="de"), "queries.jsonl", 4, "unknown lang 'de'"),
    (_edit_query(2, _id="q001"), "queries.jsonl", 3, "duplicate query id 'q001' (first on line 1)"),
    (_edit_query(0, answer=None), "queries.jsonl", 1, "factual query needs an answer"),
    (_edit_query(0, answer={**ANSWER, "line": 0}), "queries.jsonl", 1, "answer.line"),
    (_edit_query(0, answer={**ANSWER, "text": " "}), "queries.jsonl", 1, "answer.text"),
    (_edit_query(0, answer="Mars 2022"), "queries.jsonl", 1, "'answer' must be null or"),
    (_edit_query(2, answer=dict(ANSWER)), "queries.jsonl", 3, "no_answer query cannot have"),
    (_edit_query(3, lang="fr"), "queries.jsonl", 4, "foreign query must be in"),
    (_set_qrel(0, "qid\tdoc\tgrade"), "qrels.tsv", 1, "expected header"),
    (_set_qrel(2, "q001\tr9"), "qrels.tsv", 3, "3 tab-separated columns"),
    (_set_qrel(2, "q001 r9 0"), "qrels.tsv", 3, "3 tab-separated columns"),
    (_set_qrel(2, "q001\tr9\t3"), "qrels.tsv", 3, "grade must be one of"),
    (_set_qrel(2, "q001\tr9\thigh"), "qrels.tsv", 3, "grade must be one of"),
    (_set_qrel(6, "q999\tr1\t1"), "qrels.tsv", 7, "qrel for unknown query 'q999'"),
    (_set_qrel(6, "q002\tr2\t2"), "qrels.tsv", 7, "duplicate judgement"),
    (_set_qrel(6, "q003\tr1\t1"), "queries.jsonl", 3, "no_answer query 'q003' has qrels"),
    (_set_qrel(5, "q004\tr1\t0"), "queries.jsonl", 4, "'q004' has no relevant resource"),
]


@pytest.mark.parametrize(("edit", "file", "line", "words"), MALFORMED)
def test_malformed_names_file_and_line(tmp_path, edit, file, line, words):
    queries, qrels = _queries(), _qrels()
    edit(queries, qrels)
    with pytest.raises(QuestionSetError) as info:
        load_question_set(_write(tmp_path, queries, qrels))
    assert info.value.path == tmp_path / file
    assert info.value.line == line
    assert f"{tmp_path / file}:{line}: " in str(info.value)
    assert words in str(info.value)


def test_missing_file_names_it(tmp_path):
    _write(tmp_path, _queries(), _qrels())
    (tmp_path / "qrels.tsv").unlink()
    with pytest.raises(QuestionSetError, match="qrels.tsv: cannot read") as info:
        load_question_set(tmp_path)
    assert info.value.line is None


def test_empty_queries_file(tmp_path):
    _write(tmp_path, [], [HEADER])
    with pytest.raises(QuestionSetError, match="queries.jsonl: no queries"):
        load_question_set(tmp_path)


def test_default_eval_dir_is_the_package():
    assert default_eval_dir() == Path(eval.data.__file__).parent
    assert (default_eval_dir() / "metrics.py").is_file()


SHIPPED = default_eval_dir() / "queries.jsonl"


@pytest.mark.skipif(not SHIPPED.exists(), reason="eval/queries.jsonl not written yet")
def test_shipped_answers_sit_at_their_seed_line():
    """Each answer span is found in its seed file, starting on the line it names."""
    qs = load_question_set(default_eval_dir())
    for query in qs.queries:
        if query.answer is None:
            continue
        lines = (SEEDS / query.answer.file).read_text(encoding="utf-8").splitlines()
        start = query.answer.line - 1
        window = normalize_answer(" ".join(lines[start : start + 4]))
        span = normalize_answer(query.answer.text)
        assert span in window, f"{query.id}: {query.answer.text!r} not at line {start + 1}"
        first_word = span.split()[0]
        assert first_word in normalize_answer(lines[start]), f"{query.id}: not on line {start + 1}"


def test_a_holdout_split_and_a_member_only_question_load(tmp_path):
    queries = [*_queries(),
               {"_id": "h001", "text": "Qui finance le restaurant ?", "category": "member_only",
                "split": "holdout", "lang": "fr", "answer": None}]
    qs = load_question_set(_write(tmp_path, queries, [*_qrels(), "h001\tr7\t2"]))
    holdout = qs.split("holdout")
    assert [q.id for q in holdout.queries] == ["h001"]
    assert holdout.qrels == {"h001": {"r7": 2}}
    assert holdout.queries[0].member_only and not qs.queries[0].member_only
    # Answerable with a member token: it is not among the always-unanswerable questions.
    assert qs.unanswerable() == {"q003"}


def test_a_member_only_question_without_qrels_is_refused(tmp_path):
    queries = [*_queries(),
               {"_id": "h001", "text": "Qui finance le restaurant ?", "category": "member_only",
                "split": "holdout", "lang": "fr", "answer": None}]
    with pytest.raises(QuestionSetError, match="no relevant resource") as info:
        load_question_set(_write(tmp_path, queries, _qrels()))
    assert info.value.line == 5


@pytest.mark.parametrize(("change", "message"), [
    ({"scope": None}, "unknown scope None"),
    ({"scope": "town"}, "unknown scope 'town'"),
])
def test_a_no_answer_question_says_why_it_has_no_answer(tmp_path, change, message):
    queries = _queries()
    queries[2] = {**queries[2], **change}
    with pytest.raises(QuestionSetError, match=message) as info:
        load_question_set(_write(tmp_path, queries, _qrels()))
    assert info.value.line == 3


def test_only_no_answer_questions_carry_a_scope(tmp_path):
    queries = _queries()
    queries[1] = {**queries[1], "scope": "ess"}
    with pytest.raises(QuestionSetError, match="only a no_answer query has a 'scope'"):
        load_question_set(_write(tmp_path, queries, _qrels()))
