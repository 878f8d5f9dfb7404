"""CI quality gate: the run named in eval/floors.json must not fall below its floors, and no
anonymous search (dense, bm25 or hybrid) may return a private resource.

Questions run in-process on the seed index, through the service's own pipeline.
"""

from __future__ import annotations

import pytest

from eval.data import SPLITS, default_eval_dir, load_question_set
from eval.floors import load_floors
from eval.runner import RunReport, in_process_backend, run_questions

FLOORS = load_floors()  # eval/floors.json: the one place the floors live
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
def gated_run(searcher, questions, private_ids) -> RunReport:
    return run_questions(questions.split(FLOORS.split), in_process_backend(searcher), FLOORS.mode,
                         FLOORS.split, private_ids)


@pytest.mark.slow
def test_the_gated_run_stays_above_every_floor(gated_run: RunReport) -> None:
    overall, na = gated_run.rows["overall"], gated_run.no_answer
    got = {"nDCG@10": overall["nDCG@10"], "MRR@10": overall["MRR@10"],
           "Recall@10": overall["Recall@10"], "containment": gated_run.containment,
           "no_answer_recall": na["recall"], "no_answer_precision": na["precision"]}
    below = FLOORS.below(got)
    assert not below, (f"{FLOORS.mode} on the {FLOORS.split} split fell below its floors "
                       f"(got, floor): {below}")


@pytest.mark.slow
@pytest.mark.parametrize("mode", MODES)
def test_anonymous_search_never_returns_a_private_resource(searcher, questions, private_ids,
                                                           mode: str) -> None:
    """Every question of every split: leaks are not a tuned quantity, so all may check them."""
    backend = in_process_backend(searcher)
    leaks = {}
    for split in SPLITS:
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
