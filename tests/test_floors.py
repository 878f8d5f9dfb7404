"""The gate's floors file: read from one place, checked, and compared metric by metric."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.floors import METRICS, load_floors


def test_the_shipped_floors_file_names_known_metrics_and_how_they_were_measured() -> None:
    floors = load_floors()
    assert floors.split == "test" and floors.mode == "hybrid"
    assert set(floors.floors) <= set(METRICS) and "nDCG@10" in floors.floors
    assert "python -m eval run" in floors.measured


def test_below_lists_only_the_figures_under_their_floor(tmp_path: Path) -> None:
    path = tmp_path / "floors.json"
    path.write_text(json.dumps({"split": "test", "mode": "hybrid", "measured": "by hand",
                                "floors": {"nDCG@10": 0.8, "containment": 0.5}}))
    floors = load_floors(path)
    assert floors.below({"nDCG@10": 0.79999, "containment": 0.5}) == {"nDCG@10": (0.8, 0.8)}
    assert floors.below({"nDCG@10": 0.9, "containment": 0.6}) == {}


@pytest.mark.parametrize(("content", "message"), [
    ("{", "not a floors file"),
    ('{"split": "test", "mode": "hybrid", "measured": "x"}', "not a floors file"),
    ('{"split": "test", "mode": "hybrid", "measured": "x", "floors": {"speed": 1}}',
     "unknown metrics \\['speed'\\]"),
])
def test_a_broken_floors_file_is_refused_naming_it(tmp_path: Path, content: str,
                                                   message: str) -> None:
    path = tmp_path / "floors.json"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as info:
        load_floors(path)
    assert str(path) in str(info.value)
