"""The work of one request is bounded (issue 12, §3): the longest valid query, 500 characters
at k=50, costs at most 3 times a typical 15-word question at k=10, both measured in this run.
Only the ratio is asserted, never an absolute time."""

from __future__ import annotations

import pytest

from eval.cost import BUDGET_RATIO, TYPICAL, measure_cost, worst_cases
from search_service.bounds import MAX_QUERY_CHARS

pytestmark = [pytest.mark.slow, pytest.mark.fast]


def test_worst_cases_are_the_longest_valid_queries():
    cases = worst_cases()
    assert set(cases) == {"french", "chinese", "emoji"}
    assert all(MAX_QUERY_CHARS - 10 < len(text) <= MAX_QUERY_CHARS for text in cases.values())
    assert len(TYPICAL.split()) == 15


def test_the_encoder_sees_at_most_the_token_budget(searcher):
    budget = searcher.config.max_query_tokens
    tokenizer = searcher.embedder.model.tokenizer
    prompt = searcher.embedder.settings.query_prompt
    for text in [*worst_cases().values(), TYPICAL]:
        clipped = searcher.embedder.clip(text, prompt, budget)
        assert text.startswith(clipped)
        assert len(tokenizer(prompt + clipped)["input_ids"]) <= budget
    assert searcher.embedder.clip(TYPICAL, prompt, budget) == TYPICAL  # short ones untouched


def test_lexical_terms_are_capped(searcher):
    tokens = searcher.query_tokens(worst_cases()["french"])
    assert len(tokens) == searcher.config.max_query_terms


@pytest.mark.real_model
def test_longest_query_costs_at_most_three_typical_ones(searcher):
    report = measure_cost(searcher, repeats=7)
    assert report.ratio <= BUDGET_RATIO, report.to_dict()
