"""A quoted answer names its own lines (the paragraph lines stored with each passage), not
its whole passage's: on the seed index and on the stored rows' shape."""

import json

import pytest

from eval.data import default_eval_dir, load_question_set
from eval.metrics import normalize_answer
from indexer.errors import IndexLoadError
from indexer.schema import PASSAGE, PASSAGE_OPTIONAL, field_problem, read_rows
from search_service.pipeline import run_search
from search_service.quote_window import quoted_lines

ROW = {"id": "p", "resource_id": "r", "text": "Un.\nDeux.", "section": None,
       "source": {"file": "f.txt", "start_line": 3, "end_line": 9}}


@pytest.mark.fast
def test_a_quote_is_given_the_lines_of_the_paragraphs_it_overlaps():
    text = "Une ligne.\nDeux lignes\njointes.\nLa fin."  # paragraphs at 0, 11, 32
    paragraphs = [[0, 10, 10], [11, 12, 14], [32, 20, 20]]
    assert quoted_lines(text, 10, 20, 0, 10, paragraphs) == (10, 10)
    assert quoted_lines(text, 10, 20, 32, 39, paragraphs) == (20, 20)
    assert quoted_lines(text, 10, 20, 5, 20, paragraphs) == (10, 14)
    # « Deux lignes\njointes. » has 2 text lines for 3 source lines: the whole paragraph.
    assert quoted_lines(text, 10, 20, 11, 22, paragraphs) == (12, 14)
    assert quoted_lines(text, 10, 20, 0, 10) == (10, 20), "no rows: the passage's lines"


@pytest.mark.fast
def test_malformed_paragraph_lines_are_refused_naming_the_file(tmp_path):
    assert field_problem({**ROW, "lines": [[0, 3, 3], [4, 9, 9]]}, PASSAGE, PASSAGE_OPTIONAL) \
        is None
    for bad in ([[1, 3, 3]], [[0, 3, 3], [0, 9, 9]], [[0, 5, 3]], [[0, 3]], [[0, True, 3]],
                [[0, 3, 3], [40, 9, 9]]):
        path = tmp_path / "passages.jsonl"
        path.write_text(json.dumps({**ROW, "lines": bad}) + "\n", encoding="utf-8")
        with pytest.raises(IndexLoadError, match="passages.jsonl.*line 1.*'lines'"):
            read_rows(path, PASSAGE, PASSAGE_OPTIONAL)


@pytest.mark.slow
def test_factual_answers_name_the_line_that_holds_their_span(searcher):
    """Every dev and test factual question whose quote holds its span: the source names
    the span's file and line, in a few lines (a paragraph), not a passage's dozens."""
    held = 0
    for question in load_question_set(default_eval_dir()).queries:
        if question.answer is None or question.split not in ("dev", "test"):
            continue
        answer = run_search(searcher, question.text).answer
        if answer is None or (normalize_answer(question.answer.text)
                              not in normalize_answer(answer.text)):
            continue
        held += 1
        source = answer.source
        assert source.end_line - source.start_line < 8, (question.id, source)
        if source.file == question.answer.file:
            assert source.start_line <= question.answer.line <= source.end_line, question.id
    assert held >= 30
