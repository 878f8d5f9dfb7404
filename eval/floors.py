"""The quality gate's floors, in one file (`floors.json`) that the CI gate and the report read.

A floor is a measured figure minus a margin for noise; the file says when and how each was
measured, so raising or lowering one is a reviewed change of data, not of test code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

FLOORS_FILE = Path(__file__).parent / "floors.json"
# Keys of a run's figures that a floor may bound from below.
METRICS = ("nDCG@10", "MRR@10", "Recall@10", "containment", "no_answer_recall",
           "no_answer_precision")


@dataclass(frozen=True)
class Floors:
    """Lowest acceptable public-run figures of `mode` on `split`."""

    split: str
    mode: str
    floors: dict[str, float]
    measured: str

    def below(self, got: dict[str, float]) -> dict[str, tuple[float, float]]:
        """`{metric: (got, floor)}` for every figure under its floor."""
        return {k: (round(got[k], 4), v) for k, v in self.floors.items() if got[k] < v}


def load_floors(path: Path = FLOORS_FILE) -> Floors:
    """Read and check the floors file; a ValueError names the file and what is wrong."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        floors = {str(k): float(v) for k, v in raw["floors"].items()}
        result = Floors(split=raw["split"], mode=raw["mode"], floors=floors,
                        measured=raw["measured"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise ValueError(f"{path}: not a floors file ({exc})") from exc
    unknown = sorted(set(floors) - set(METRICS))
    if unknown:
        raise ValueError(f"{path}: unknown metrics {unknown}; expected some of {METRICS}")
    return result
