"""The studies' shared command line: rows saved and read back, the holdout and a missing
index refused with a message."""

from pathlib import Path

import pytest

from eval.study_cli import study_parser, study_rows


@pytest.mark.slow  # loads the seed index with its real model
def test_rows_saved_are_read_back_without_searching(tmp_path: Path, seed_index: Path) -> None:
    saved = tmp_path / "rows.pkl"
    calls = []

    def collect(searcher, split):
        calls.append(split)
        return {"split": split, "passages": searcher.size}

    args = study_parser("rows").parse_args(["--index", str(seed_index), "--save", str(saved)])
    first = study_rows(args, collect)
    assert first["split"] == "dev" and first["passages"] > 100 and calls == ["dev"]
    again = study_rows(study_parser("rows").parse_args(["--load", str(saved)]), collect)
    assert again == first and calls == ["dev"]


@pytest.mark.fast
@pytest.mark.parametrize("argv, message", [
    (["--split", "holdout"], "the holdout is never used"),
    (["--index", "/nonexistent/index"], "no index at /nonexistent/index"),
])
def test_what_a_study_refuses(argv, message) -> None:
    with pytest.raises(SystemExit, match=message):
        study_rows(study_parser("rows").parse_args(argv), lambda searcher, split: None)
