"""Metrics against numbers worked out by hand (log2(3) = 1.58496, log2(7) = 2.80735)."""

from __future__ import annotations

import copy

import pytest

from eval.metrics import (
    answer_containment,
    evaluate,
    format_table,
    mrr_at_k,
    ndcg_at_k,
    no_answer_scores,
    normalize_answer,
    private_leaks,
    recall_at_k,
)

A2_C1 = {"a": 2, "c": 1}


# --- nDCG -----------------------------------------------------------------------------


def test_ndcg_graded():
    # ranked [a,b,c], a grade 2, c grade 1:
    # DCG = 2/log2(2) + 0 + 1/log2(4) = 2 + 0.5 = 2.5
    # IDCG = 2/log2(2) + 1/log2(3) = 2 + 0.63093 = 2.63093; nDCG = 2.5 / 2.63093 = 0.95023
    assert ndcg_at_k(["a", "b", "c"], A2_C1) == pytest.approx(0.95023, abs=1e-5)


def test_ndcg_perfect_ranking_is_one():
    # ranked [a,c] is the ideal order: DCG = IDCG = 2.63093
    assert ndcg_at_k(["a", "c", "x"], A2_C1) == pytest.approx(1.0)


def test_ndcg_cut_at_k_smaller_than_list():
    # ranked [b,a,c], k=2: DCG@2 = 0 + 2/log2(3) = 1.26186
    # IDCG@2 = 2 + 1/log2(3) = 2.63093; nDCG@2 = 1.26186 / 2.63093 = 0.47962 (c at rank 3 ignored)
    assert ndcg_at_k(["b", "a", "c"], A2_C1, k=2) == pytest.approx(0.47962, abs=1e-5)


def test_ndcg_ideal_counts_relevant_docs_not_retrieved():
    # ranked [c] only: DCG = 1/log2(2) = 1; IDCG = 2.63093 (a is judged) → 0.38009
    assert ndcg_at_k(["c"], A2_C1) == pytest.approx(0.38009, abs=1e-5)


def test_ndcg_ideal_is_cut_at_k_too():
    # k=1, ranked [c]: DCG@1 = 1; IDCG@1 = 2 (only a fits) → 0.5
    assert ndcg_at_k(["c", "a"], A2_C1, k=1) == pytest.approx(0.5)


def test_ndcg_repeated_id_counts_once():
    # [a,a,c] is read as [a,c]: the ideal ranking, 1.0, not above it
    assert ndcg_at_k(["a", "a", "c"], A2_C1) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("ranked", "rels"),
    [
        (["x", "y"], A2_C1),  # nothing relevant retrieved
        ([], A2_C1),  # empty ranking
        (["a"], {}),  # no judgement at all (a no_answer query)
        (["a"], {"a": 0}),  # judged, but not relevant
    ],
)
def test_ndcg_zero_cases(ranked, rels):
    assert ndcg_at_k(ranked, rels) == 0.0


def test_k_must_be_positive():
    for metric in (ndcg_at_k, mrr_at_k, recall_at_k):
        with pytest.raises(ValueError, match="k must be at least 1"):
            metric(["a"], A2_C1, k=0)


# --- MRR ------------------------------------------------------------------------------


def test_mrr_first_relevant_rank():
    # first doc with grade >= 1 is c at rank 3 (x is judged 0): 1/3
    assert mrr_at_k(["x", "y", "c", "a"], {"x": 0, **A2_C1}) == pytest.approx(1 / 3)


def test_mrr_outside_cut_off_is_zero():
    # c at rank 3, k=2 → 0
    assert mrr_at_k(["x", "y", "c"], A2_C1, k=2) == 0.0


def test_mrr_empty_ranking_and_no_rels():
    assert mrr_at_k([], A2_C1) == 0.0
    assert mrr_at_k(["a"], {}) == 0.0


# --- Recall ---------------------------------------------------------------------------


def test_recall_at_k():
    # 3 relevant (a,b,c); ranked [a,x,b,y,c]: top 2 holds a → 1/3; top 5 holds all → 1.0
    rels = {"a": 2, "b": 1, "c": 1, "z": 0}  # z grade 0 is not in the denominator
    ranked = ["a", "x", "b", "y", "c"]
    assert recall_at_k(ranked, rels, 2) == pytest.approx(1 / 3)
    assert recall_at_k(ranked, rels, 3) == pytest.approx(2 / 3)
    assert recall_at_k(ranked, rels, 5) == pytest.approx(1.0)


def test_recall_zero_cases():
    assert recall_at_k([], A2_C1, 10) == 0.0
    assert recall_at_k(["x"], A2_C1, 10) == 0.0
    assert recall_at_k(["a"], {}, 10) == 0.0


# --- evaluate -------------------------------------------------------------------------

QRELS = {"q1": dict(A2_C1), "q2": {"b": 1}, "q3": {"d": 1}}
CATEGORIES = {"q1": "factual", "q2": "thematic", "q3": "thematic", "q4": "no_answer"}
RESULTS = {
    "q1": ["a", "b", "c"],
    "q2": ["x1", "x2", "x3", "x4", "x5", "b"],
    # q3 missing: counts as an empty ranking
    "q4": ["a"],  # no qrels: left out
}


def test_evaluate_overall_and_per_category():
    # q1: nDCG 0.95023, MRR 1,   R@5 1, R@10 1
    # q2: b at rank 6: nDCG = (1/log2(7)) / 1 = 0.35621, MRR = 1/6, R@5 0, R@10 1
    # q3: nothing → all 0
    # thematic (q2,q3): nDCG 0.17810, MRR 0.08333, R@5 0, R@10 0.5, n 2
    # overall (q1..q3): nDCG (0.95023+0.35621)/3 = 0.43548, MRR (1+1/6)/3 = 0.38889,
    #                   R@5 1/3, R@10 2/3, n 3
    rows = evaluate(RESULTS, QRELS, CATEGORIES)
    assert list(rows) == ["overall", "factual", "thematic"]
    assert list(rows["overall"]) == ["nDCG@10", "MRR@10", "Recall@5", "Recall@10", "n"]
    expected = {
        "overall": [0.43548, 0.38889, 1 / 3, 2 / 3, 3],
        "factual": [0.95023, 1.0, 1.0, 1.0, 1],
        "thematic": [0.17810, 0.08333, 0.0, 0.5, 2],
    }
    for name, values in expected.items():
        assert list(rows[name].values()) == pytest.approx(values, abs=1e-5), name


def test_evaluate_other_cut_offs():
    # ks=(1, 3): nDCG/MRR at 3, recall at 1 and 3; q1 [a,b,c] R@1 = 1/2 (a of a,c)
    rows = evaluate({"q1": ["a", "b", "c"]}, {"q1": A2_C1}, {"q1": "factual"}, ks=(3, 1))
    assert list(rows["overall"]) == ["nDCG@3", "MRR@3", "Recall@1", "Recall@3", "n"]
    assert rows["overall"]["Recall@1"] == pytest.approx(0.5)


def test_evaluate_nothing_judged():
    rows = evaluate({"q4": ["a"]}, {}, {"q4": "no_answer"})
    assert rows == {
        "overall": {"nDCG@10": 0.0, "MRR@10": 0.0, "Recall@5": 0.0, "Recall@10": 0.0, "n": 0}
    }


def test_evaluate_requires_a_category_for_judged_queries():
    with pytest.raises(ValueError, match="q2"):
        evaluate(RESULTS, QRELS, {"q1": "factual", "q3": "thematic"})


def test_inputs_not_mutated():
    results, qrels, categories = (copy.deepcopy(x) for x in (RESULTS, QRELS, CATEGORIES))
    ranked, rels = ["b", "a", "a", "c"], {"a": 2, "c": 1, "z": 0}
    ranked_copy, rels_copy = list(ranked), dict(rels)
    for metric in (ndcg_at_k, mrr_at_k, recall_at_k):
        metric(ranked, rels, 2)
    evaluate(results, qrels, categories)
    private_leaks(results, {"a"})
    confident, unanswerable = {"q1": False}, {"q1", "q4"}
    no_answer_scores(confident, unanswerable)
    answers, spans = {"q1": "Abc"}, {"q1": "abc"}
    answer_containment(answers, spans)
    assert (ranked, rels) == (ranked_copy, rels_copy)
    assert (results, qrels, categories) == (RESULTS, QRELS, CATEGORIES)
    assert (confident, unanswerable) == ({"q1": False}, {"q1", "q4"})
    assert (answers, spans) == ({"q1": "Abc"}, {"q1": "abc"})


# --- no-answer detection --------------------------------------------------------------


def test_no_answer_precision_recall():
    # flagged (confident False) = {q2, q3}; unanswerable = {q2, q4, q5}; hits = {q2}
    # precision = 1/2; recall = 1/3 (q4 missed, q5 never run counts as missed);
    # answerable run = {q1, q3}, of which q3 flagged: false abstention 1/2
    confident = {"q1": True, "q2": False, "q3": False, "q4": True}
    scores = no_answer_scores(confident, {"q2", "q4", "q5"})
    assert scores == {
        "precision": pytest.approx(0.5),
        "recall": pytest.approx(1 / 3),
        "false_abstention": pytest.approx(0.5),
        "flagged": 2,
        "unanswerable": 3,
        "true_positives": 1,
        "n": 4,
    }


def test_no_answer_zero_denominators():
    nothing_flagged = no_answer_scores({"q1": True}, {"q1"})
    assert (nothing_flagged["precision"], nothing_flagged["recall"]) == (0.0, 0.0)
    nothing_unanswerable = no_answer_scores({"q1": False}, set())
    assert (nothing_unanswerable["precision"], nothing_unanswerable["recall"]) == (0.0, 0.0)


# --- answer containment ---------------------------------------------------------------


def test_normalize_answer():
    decomposed = "L\u2019E\u0301CONOMIE\u00a0\u202f solidaire\n"
    assert normalize_answer(decomposed) == "l'\u00e9conomie solidaire"


def test_answer_containment():
    # q1 matches after NFC + case + apostrophe + space folding; q2 across a line break;
    # q3 answered None; q4 not answered at all → 2 of 4 = 0.5. q9 has no span: ignored.
    spans = {
        "q1": "l'Économie  solidaire",
        "q2": "24 avril 2023",
        "q3": "RTES",
        "q4": "abc",
    }
    answers = {
        "q1": "Le rôle de L\u2019E\u0301CONOMIE\u00a0solidaire est central.",
        "q2": "Rendez-vous le 24\navril 2023 à Lyon.",
        "q3": None,
        "q9": "anything",
    }
    assert answer_containment(answers, spans) == pytest.approx(0.5)


def test_answer_containment_edges():
    assert answer_containment({"q1": "x"}, {}) == 0.0
    assert answer_containment({"q1": "avril 2023"}, {"q1": "24 avril 2023"}) == 0.0
    with pytest.raises(ValueError, match="q1"):
        answer_containment({"q1": "x"}, {"q1": " \u00a0"})


# --- private leaks --------------------------------------------------------------------


def test_private_leaks():
    results = {"q1": ["a", "p1", "b", "p1", "p2"], "q2": ["a", "b"], "q3": []}
    assert private_leaks(results, {"p1", "p2"}) == {"q1": ["p1", "p2"]}
    assert private_leaks(results, set()) == {}


# --- table ----------------------------------------------------------------------------


def test_format_table():
    table = format_table(evaluate(RESULTS, QRELS, CATEGORIES))
    lines = table.splitlines()
    assert lines[0].split() == ["nDCG@10", "MRR@10", "Recall@5", "Recall@10", "n"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split() == ["overall", "0.4355", "0.3889", "0.3333", "0.6667", "3"]
    assert [line.split()[0] for line in lines[3:]] == ["factual", "thematic"]
    assert len({len(line) for line in lines}) == 1  # fixed width


def test_format_table_missing_value():
    table = format_table({"overall": {"nDCG@10": 0.5, "n": 2}, "typo": {"n": 1}})
    assert table.splitlines()[-1].split() == ["typo", "-", "1"]
