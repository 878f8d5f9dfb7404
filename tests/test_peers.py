"""The off-the-shelf peers of `python -m eval peers` (eval/peers.py): their fusion and
grouping, and a real run of both on the seed index beside this service."""

import pytest

from eval.data import default_eval_dir
from eval.peers import compare, format_peers, resource_ranking, rrf


@pytest.mark.fast
def test_rrf_rewards_items_both_rankings_place_high():
    assert rrf([[1, 2, 3], [3, 1, 4]])[:2] == [1, 3]
    assert rrf([[5], []]) == [5]


@pytest.mark.fast
def test_a_resource_ranks_by_its_best_passage():
    assert resource_ranking([3, 0, 2, 1], ["a", "b", "a", "c"], k=2) == ["c", "a"]


@pytest.mark.slow
def test_both_peers_run_on_the_seed_index_and_rank_below_this_service_on_dev(seed_index):
    result = compare(seed_index, ["dev"], default_eval_dir())
    rows = result["dev"]
    assert set(rows) == {"this service (hybrid)", "txtai hybrid (edge n-grams, bayes)",
                         "bm25s + e5, RRF"}
    ours = rows["this service (hybrid)"]["overall"]
    for name, row in rows.items():
        assert row["overall"]["n"] == ours["n"] > 90, name  # the same judged questions
        assert 0.4 < row["overall"]["nDCG@10"] <= ours["nDCG@10"], name
    assert "txtai hybrid" in format_peers(result)
