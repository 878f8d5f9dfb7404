"""The evaluation report: its tables, its plots, and a real (reduced) run on the seed index."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.__main__ import build_parser
from eval.data import QuestionSet, default_eval_dir, load_question_set
from eval.report import (
    CONFIDENCE_PLOT,
    NDCG_PLOT,
    REPORT_FILE,
    SUMMARY_HEADER,
    baseline_table,
    category_rows,
    confidence_split,
    plot_confidence,
    plot_ndcg,
    render_report,
    summary_rows,
    threshold_bins,
    write_report,
)
from eval.runner import Outcome, RunReport, in_process_backend, run_questions
from eval.tables import markdown_table

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _row(ndcg: float, n: int) -> dict[str, float]:
    return {"nDCG@10": ndcg, "MRR@10": ndcg, "Recall@5": ndcg, "Recall@10": ndcg, "n": n}


def _run(mode: str, split: str, member: bool = False, ndcg: float = 0.5,
         leaks: dict[str, list[str]] | None = None) -> RunReport:
    outcomes = {
        "q1": Outcome(["a"], True, "x", 0.12),
        "q2": Outcome(["b"], False, None, -0.05),
        "q3": Outcome([], False, None, None),
    }
    return RunReport(
        mode=mode, split=split, member=member,
        rows={"overall": _row(ndcg, 3), "factual": _row(ndcg + 0.1, 2),
              "paraphrase": _row(ndcg - 0.1, 1)},
        no_answer={"precision": 0.5, "recall": 1.0, "false_abstention": 0.5, "flagged": 2,
                   "unanswerable": 1, "true_positives": 1, "n": 3},
        containment=0.25, leaks=leaks or {}, outcomes=outcomes)


def _runs() -> list[RunReport]:
    return [_run(mode, split, member, ndcg=0.4 + 0.1 * i)
            for split in ("test", "holdout", "dev")
            for i, (mode, member) in enumerate(
                [("bm25", False), ("dense", False), ("hybrid", False), ("hybrid", True)])]


def test_markdown_table_has_a_header_an_alignment_line_and_one_line_per_row() -> None:
    table = markdown_table(("run", "a", "b"), [["x", "1", "2"], ["y", "3", "4"]])
    assert table.splitlines() == ["| run | a | b |", "|:---|---:|---:|", "| x | 1 | 2 |",
                                  "| y | 3 | 4 |"]


def test_summary_rows_show_leaks_for_public_runs_and_not_for_member_runs() -> None:
    public = _run("hybrid", "test", leaks={"q1": ["private-a", "private-b"]})
    member = _run("hybrid", "test", member=True)
    rows = summary_rows([public, member])
    assert [len(r) for r in rows] == [len(SUMMARY_HEADER)] * 2
    assert rows[0][0] == "hybrid · public" and rows[0][-1] == "2"
    assert rows[1][0] == "hybrid · member" and rows[1][-1] == "n/a"
    assert rows[0][1] == "0.500" and rows[0][-2] == "0.250"
    assert rows[0][-3] == "0.500"  # false abstention
    assert rows[0][-4] == "1/1 (2)"


def test_category_rows_put_overall_first_then_categories_in_question_set_order() -> None:
    rows = category_rows(_runs()[:4])
    assert [r[0] for r in rows] == ["overall", "paraphrase", "factual"]
    assert rows[0][1:] == ["0.400", "0.500", "0.600", "0.700", "3"]


def test_confidence_split_separates_unanswerable_questions_and_skips_missing_scores() -> None:
    answerable, unanswerable = confidence_split(_run("hybrid", "test"), {"q2", "q3"})
    assert answerable == [0.12]
    assert unanswerable == [-0.05]


def test_render_report_has_the_command_the_facts_and_the_three_splits_test_first() -> None:
    text = render_report(_runs(), [("model checksum", "`abc123`")],
                         "python -m eval report --index /x", ["a.png", "b.png"],
                         generated="2026-01-01T00:00:00+00:00")
    assert "python -m eval report --index /x" in text
    assert "| model checksum | `abc123` |" in text
    assert (text.index("## Split `test`") < text.index("## Split `holdout`")
            < text.index("## Split `dev`"))
    assert "never used to choose anything" in text
    assert all(text.count(f"### {s} · ") == 4 for s in ("test", "holdout", "dev"))
    assert "![a](a.png)" in text and "![b](b.png)" in text
    assert "| hybrid · member |" in text


def test_threshold_bins_put_an_edge_on_the_threshold_and_cover_every_value() -> None:
    values = [-0.083, -0.02, 0.0, 0.05, 0.121]
    edges = threshold_bins(values, -0.013, count=30)
    assert any(abs(e - -0.013) < 1e-12 for e in edges)
    assert edges[0] <= min(values) and edges[-1] > max(values)
    widths = {round(b - a, 9) for a, b in zip(edges, edges[1:], strict=False)}
    assert len(widths) == 1 and 28 <= len(edges) - 1 <= 33


def _png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC, f"{path} is not a PNG"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def test_plots_are_pngs_with_one_panel_per_split(tmp_path: Path) -> None:
    runs = _runs()
    ndcg = plot_ndcg(runs, tmp_path / NDCG_PLOT)
    conf = plot_confidence(runs, {"test": {"q2"}, "holdout": {"q2"}, "dev": {"q2"}}, -0.013,
                           tmp_path / CONFIDENCE_PLOT)
    ndcg_one = plot_ndcg(runs[:4], tmp_path / "one.png")
    width, height = _png_size(ndcg)
    assert width > 800 and height > _png_size(ndcg_one)[1] * 2.5
    assert _png_size(conf)[0] > 800


def test_report_command_writes_into_the_eval_package_by_default() -> None:
    args = build_parser().parse_args(["report", "--index", "/some/index"])
    assert args.out_dir == default_eval_dir()
    args = build_parser().parse_args(["report", "--index", "/i", "--out-dir", "/o"])
    assert args.out_dir == Path("/o")


def _small(qs: QuestionSet, per_category: int = 2) -> QuestionSet:
    """A few questions of every category in each split: the real pipeline, in seconds."""
    kept, seen = [], {}
    for q in qs.queries:
        key = (q.split, q.category)
        if seen.get(key, 0) < per_category:
            seen[key] = seen.get(key, 0) + 1
            kept.append(q)
    ids = {q.id for q in kept}
    return QuestionSet(kept, {k: v for k, v in qs.qrels.items() if k in ids})


@pytest.mark.slow
def test_write_report_on_the_seed_index(searcher, seed_index: Path, tmp_path: Path) -> None:
    qs = _small(load_question_set(default_eval_dir()))
    files = write_report(searcher, qs, tmp_path, command="python -m eval report --index I",
                         threshold=-0.013)
    assert files.report == tmp_path / REPORT_FILE
    assert {p.name for p in files.plots} == {NDCG_PLOT, CONFIDENCE_PLOT}
    for plot in files.plots:
        _png_size(plot)
    text = files.report.read_text(encoding="utf-8")
    manifest = json.loads((seed_index / "current" / "manifest.json").read_text())
    assert f"`{manifest['model']['checksum'][:12]}`" in text
    assert f"| passages | {manifest['corpus']['passages']} |" in text
    assert "| confidence threshold (the version's config.json) | -0.013 |" in text
    assert "fusion weighted" in text
    # The summary line agrees with a run made directly.
    private = {r["id"] for r in searcher.data.resources if r["private"]}
    direct = run_questions(qs.split("test"), in_process_backend(searcher), "hybrid", "test",
                           private)
    line = next(r for r in text.splitlines() if r.startswith("| hybrid · public |"))
    assert f"| {direct.rows['overall']['nDCG@10']:.3f} |" in line
    assert line.endswith("| 0 |"), "a public run leaked a private resource"


def test_baseline_table_has_one_line_per_run_with_its_categories() -> None:
    lines = baseline_table(_runs()[:2]).splitlines()
    assert len(lines) == 4 and lines[0].startswith("| split · run | nDCG@10 |")
    cells = [c.strip() for c in lines[2].strip("|").split("|")]
    assert cells[0] == "test · bm25 · public" and cells[1] == "0.400"
    assert cells[4] == "0.300" and cells[5] == "-"  # paraphrase, then thematic (not run)
    assert cells[-2:] == ["0.500", "3"]  # false abstention, questions
