"""`python -m indexer parse`: the summary on the real seeds, and clear errors on bad files."""

import re
import shutil

import pytest

from indexer.__main__ import main
from indexer.parse import parse_seeds


def test_summary_on_seeds(seeds_dir, capsys):
    assert main(["parse", str(seeds_dir)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"website resources\s+29  \(article 3, conference 14, event 2, fiche 8, "
                     r"newsletter 2\)", out)
    assert re.search(r"single pages\s+1  \(event 1\)", out)
    assert re.search(r"catalogue\s+33  \(chapter 5, fiche 8, section 20\)", out)
    assert re.search(r"total\s+63  \(3 private", out)
    result = parse_seeds(seeds_dir)
    website = [r for r in result.resources if r.kind != "catalogue" and r.level is None]
    assert len(website) == 30  # 29 website resources and the seminar page
    assert len([r for r in result.resources if r.level == "fiche"]) == 8


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"  \n\n", "is empty"),
        ("binary.txt", b"\x00\x01\x02PNG", "is binary"),
        ("latin1.txt", "Économie solidaire".encode("latin-1"), "is not valid UTF-8"),
    ],
)
def test_bad_file_stops_with_its_name(tmp_path, seeds_dir, capsys, name, content, reason):
    shutil.copy(seeds_dir / "003_cbf2fb984e84aca7.txt", tmp_path)
    (tmp_path / name).write_bytes(content)
    assert main(["parse", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert name in err and reason in err
    assert "Traceback" not in err


def test_skip_invalid_warns_and_goes_on(tmp_path, seeds_dir, capsys):
    shutil.copy(seeds_dir / "003_cbf2fb984e84aca7.txt", tmp_path)
    (tmp_path / "binary.txt").write_bytes(b"\x00\x00")
    assert main(["parse", str(tmp_path), "--skip-invalid"]) == 0
    captured = capsys.readouterr()
    assert "binary.txt" in captured.err
    assert re.search(r"total\s+1  \(0 private", captured.out)


def test_missing_directory(tmp_path, capsys):
    assert main(["parse", str(tmp_path / "nowhere")]) == 2
    assert "nowhere" in capsys.readouterr().err
