"""`python -m eval report`: the evaluation as a Markdown page with plots, for RTES to read.

Every mode runs on the three splits as the public sees them, and hybrid once more as a
member: the test numbers are the ones to quote, the dev numbers (what the settings were
tuned on) sit beside them so an overfitted setting shows as a gap, and the holdout (written
blind, never used to choose anything) says whether the test figures generalise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eval.data import CATEGORIES, QuestionSet
from eval.runner import RunReport, in_process_backend, run_questions, visible_qrels
from eval.tables import markdown_table

REPORT_FILE = "report.md"
NDCG_PLOT = "ndcg_by_category.png"
CONFIDENCE_PLOT = "confidence.png"
SPLITS = ("test", "holdout", "dev")
SPLIT_ROLES = {"test": "reported, never tuned on",
               "holdout": "written blind, reported, never used to choose anything",
               "dev": "tuning split, for reference"}
# (mode, member): every anonymous mode, then hybrid with a member token.
RUNS = (("bm25", False), ("dense", False), ("hybrid", False), ("hybrid", True))
PLOT_MODES = ("bm25", "dense", "hybrid")
METRICS = ("nDCG@10", "MRR@10", "Recall@5", "Recall@10")
MODE_COLOURS = {"bm25": "#8c8c8c", "dense": "#4c72b0", "hybrid": "#dd8452"}


@dataclass(frozen=True)
class ReportFiles:
    report: Path
    plots: tuple[Path, ...]


def run_label(run: RunReport) -> str:
    return f"{run.mode} · {'member' if run.member else 'public'}"


def collect_runs(searcher: Any, qs: QuestionSet, splits: Sequence[str] = SPLITS
                 ) -> list[RunReport]:
    """All the runs the report shows, in-process, split by split in RUNS order."""
    private = {r["id"] for r in searcher.data.resources if r["private"]}
    backends = {False: in_process_backend(searcher),
                True: in_process_backend(searcher, member=True)}
    present = [s for s in splits if qs.split(s).queries]
    return [run_questions(qs.split(split), backends[member], mode, split, private, member=member)
            for split in present for mode, member in RUNS]


def index_facts(searcher: Any, threshold: float) -> list[tuple[str, str]]:
    """The facts that say which index and settings produced the numbers."""
    manifest = searcher.data.manifest
    model, corpus, faiss = manifest.model, manifest.corpus, manifest.faiss
    fusion = ", ".join(f"{k} {v}" for k, v in asdict(searcher.config).items())
    build = manifest.build_seconds
    sentences = manifest.sentences.count if manifest.sentences else "-"
    return [
        ("index version", f"`{searcher.data.path.name}`"),
        ("model", f"{model.spec} ({model.dimension} dimensions)"),
        ("model checksum", f"`{model.checksum[:12]}`"),
        ("resources", f"{corpus.resources} ({corpus.private} private)"),
        ("passages", str(corpus.passages)),
        ("sentences", str(sentences)),
        ("corpus checksum", f"`{corpus.hash[:12]}`"),
        ("built at", manifest.built_at),
        ("build time", f"{build} s" if build is not None else "-"),
        ("FAISS", f"{faiss.type}, {faiss.metric}"),
        ("fusion (the version's config.json)", fusion),
        ("confidence threshold (the version's config.json)", f"{threshold}"),
    ]




def _num(value: float) -> str:
    return f"{value:.3f}"


def _leaks(run: RunReport) -> str:
    return "n/a" if run.member else str(sum(len(v) for v in run.leaks.values()))


def summary_rows(runs: Sequence[RunReport]) -> list[list[str]]:
    """One line per run: overall ranking metrics, no-answer flags, answer spans, leaks."""
    rows = []
    for run in runs:
        overall, na = run.rows["overall"], run.no_answer
        rows.append([run_label(run), *(_num(overall[m]) for m in METRICS), str(overall["n"]),
                     _num(na["precision"]), _num(na["recall"]),
                     f"{na['true_positives']}/{na['unanswerable']} ({na['flagged']})",
                     _num(na["false_abstention"]),
                     _num(run.containment), _leaks(run)])
    return rows


SUMMARY_HEADER = ("run", *METRICS, "n", "no-answer P", "no-answer R",
                  "flagged right/unanswerable (flagged)", "false abstention", "span containment",
                  "private leaks")


BASELINE_CATEGORIES = ("paraphrase", "thematic", "factual", "keyword", "typo", "foreign")


def baseline_table(runs: Sequence[RunReport]) -> str:
    """One Markdown line per run: the figures the ranking and answer issues are measured by."""
    header = ("split · run", "nDCG@10", "MRR@10", "R@10", *BASELINE_CATEGORIES, "span",
              "NA P", "NA R", "false abst.", "n")
    rows = []
    for run in runs:
        overall, na = run.rows["overall"], run.no_answer
        per_cat = [_num(run.rows[c]["nDCG@10"]) if c in run.rows else "-"
                   for c in BASELINE_CATEGORIES]
        rows.append([f"{run.split} · {run_label(run)}", _num(overall["nDCG@10"]),
                     _num(overall["MRR@10"]), _num(overall["Recall@10"]), *per_cat,
                     _num(run.containment), _num(na["precision"]), _num(na["recall"]),
                     _num(na["false_abstention"]), str(int(overall["n"]))])
    return markdown_table(header, rows)


def category_rows(runs: Sequence[RunReport], metric: str = "nDCG@10") -> list[list[str]]:
    """`metric` per category (rows) and run (columns), with the query count."""
    names = ["overall", *(c for c in CATEGORIES if any(c in r.rows for r in runs))]
    rows = []
    for name in names:
        counts = {int(r.rows[name]["n"]) for r in runs if name in r.rows}
        cells = [_num(r.rows[name][metric]) if name in r.rows else "-" for r in runs]
        rows.append([name, *cells, "/".join(str(c) for c in sorted(counts))])
    return rows


def detail_rows(run: RunReport) -> list[list[str]]:
    """Every metric per category, in the question set's category order."""
    names = ["overall", *(c for c in CATEGORIES if c in run.rows)]
    return [[name, *(_num(run.rows[name][m]) for m in METRICS), str(run.rows[name]["n"])]
            for name in names]


def render_report(runs: Sequence[RunReport], facts: Sequence[tuple[str, str]], command: str,
                  plots: Sequence[str], generated: str | None = None) -> str:
    """The whole page; `plots` are file names relative to the page."""
    generated = generated or datetime.now(UTC).isoformat(timespec="seconds")
    out = [
        "# Evaluation report",
        "",
        f"Generated {generated} by:",
        "",
        "```sh",
        command,
        "```",
        "",
        "Questions: `eval/queries.jsonl` and `eval/qrels.tsv` (see `eval/README.md`). "
        "*Public* runs search without a member token: private resources leave the qrels, so a "
        "question only they answer counts as unanswerable, and any private resource returned "
        "is a leak. *Member* runs judge against all qrels. nDCG, MRR and recall average over "
        "the answerable questions; no-answer precision/recall say how well `confident: false` "
        "flags the unanswerable ones; span containment is the share of factual questions whose "
        "quoted answer contains the expected span.",
        "",
        "## Index and settings",
        "",
        markdown_table(("", "value"), [[k, v] for k, v in facts], align="left"),
    ]
    for split in dict.fromkeys(r.split for r in runs):
        in_split = [r for r in runs if r.split == split]
        role = SPLIT_ROLES[split]
        out += ["", f"## Split `{split}` ({role})", "",
                markdown_table(SUMMARY_HEADER, summary_rows(in_split)), "",
                f"nDCG@10 per category ({split}):", "",
                markdown_table(("category", *map(run_label, in_split), "n"),
                               category_rows(in_split))]
        for run in in_split:
            out += ["", f"### {split} · {run_label(run)}", "",
                    markdown_table(("category", *METRICS, "n"), detail_rows(run))]
    if plots:
        out += ["", "## Plots", ""]
        out += [f"![{Path(p).stem}]({p})" for p in plots]
    return "\n".join(out) + "\n"


def confidence_split(run: RunReport, unanswerable: set[str]) -> tuple[list[float], list[float]]:
    """Confidences of the answerable and the unanswerable questions of one run."""
    answerable, flagged = [], []
    for qid, outcome in run.outcomes.items():
        if outcome.confidence is None:
            continue
        (flagged if qid in unanswerable else answerable).append(outcome.confidence)
    return answerable, flagged


def plot_ndcg(runs: Sequence[RunReport], path: Path) -> Path:
    """Grouped bars: nDCG@10 per category for each public mode, one panel per split."""
    import numpy as np
    from matplotlib.figure import Figure

    splits = list(dict.fromkeys(r.split for r in runs))
    fig = Figure(figsize=(10, 3.6 * len(splits)), layout="constrained")
    axes = fig.subplots(len(splits), 1, squeeze=False)[:, 0]
    for ax, split in zip(axes, splits, strict=True):
        chosen = {r.mode: r for r in runs if r.split == split and not r.member
                  and r.mode in PLOT_MODES}
        names = ["overall", *(c for c in CATEGORIES
                              if any(c in r.rows for r in chosen.values()))]
        x = np.arange(len(names))
        width = 0.8 / max(len(chosen), 1)
        for i, mode in enumerate(m for m in PLOT_MODES if m in chosen):
            values = [chosen[mode].rows.get(n, {}).get("nDCG@10", 0.0) for n in names]
            bars = ax.bar(x + (i - (len(chosen) - 1) / 2) * width, values, width,
                          label=mode, color=MODE_COLOURS[mode])
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
        counts = [int(next(iter(chosen.values())).rows.get(n, {}).get("n", 0)) for n in names]
        ax.set_xticks(x, [f"{n}\n(n={c})" for n, c in zip(names, counts, strict=True)])
        ax.set_ylim(0, 1.12)
        ax.set_ylabel("nDCG@10")
        ax.set_title(f"nDCG@10 per category, split {split} (public runs)")
        ax.legend(loc="upper left", ncols=len(chosen), fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.savefig(path, dpi=110)
    return path


def threshold_bins(values: Sequence[float], threshold: float, count: int = 30) -> list[float]:
    """About `count` equal bins over `values`, one edge on the threshold, so that no bar mixes
    questions on both sides of it."""
    lo, hi = min(*values, threshold), max(*values, threshold)
    width = (hi - lo) / count if hi > lo else 0.01
    first = math.floor((lo - threshold) / width)
    last = math.ceil((hi - threshold) / width) + 1
    edges = [threshold + i * width for i in range(first, last + 1)]
    if edges[-1] <= hi:  # a value on the last edge would fall outside the last bin
        edges.append(edges[-1] + width)
    return edges


def plot_confidence(runs: Sequence[RunReport], unanswerable: dict[str, set[str]],
                    threshold: float, path: Path) -> Path:
    """Stacked histograms of the hybrid confidence, answerable vs unanswerable, with the
    threshold: what lies left of the dashed line is flagged `confident: false`."""
    from matplotlib.figure import Figure

    chosen = [r for r in runs if r.mode == "hybrid" and not r.member]
    points = {r.split: confidence_split(r, unanswerable[r.split]) for r in chosen}
    bins = threshold_bins([v for a, u in points.values() for v in (*a, *u)], threshold)
    fig = Figure(figsize=(10, 3.2 * len(chosen)), layout="constrained")
    axes = fig.subplots(len(chosen), 1, squeeze=False)[:, 0]
    for ax, run in zip(axes, chosen, strict=True):
        answerable, flagged = points[run.split]
        below = [sum(v < threshold for v in group) for group in (answerable, flagged)]
        ax.hist([answerable, flagged], bins=bins, stacked=True, color=["#4c72b0", "#c44e52"],
                edgecolor="white", linewidth=0.5,
                label=[f"answerable (n={len(answerable)}, {below[0]} below the threshold)",
                       f"unanswerable (n={len(flagged)}, {below[1]} below the threshold)"])
        ax.axvline(threshold, color="black", linestyle="--",
                   label=f"threshold {threshold}: below it, confident = false")
        ax.set_xlabel("confidence (best sentence cosine − similarity to out-of-scope questions)")
        ax.set_ylabel("questions")
        ax.set_title(f"Hybrid confidence, split {run.split} (public run)")
        ax.legend(fontsize=8)
        ax.grid(axis="y", alpha=0.3)
    fig.savefig(path, dpi=110)
    return path


def write_report(searcher: Any, qs: QuestionSet, out_dir: Path, command: str,
                 threshold: float | None = None) -> ReportFiles:
    """Run everything, write `report.md` and its PNGs into `out_dir`."""
    if threshold is None:
        threshold = searcher.answer_config.decision_threshold
    out_dir.mkdir(parents=True, exist_ok=True)
    runs = collect_runs(searcher, qs)
    private = {r["id"] for r in searcher.data.resources if r["private"]}
    unanswerable = {s: visible_qrels(qs.split(s), private, member=False)[1] for s in SPLITS}
    plots = (plot_ndcg(runs, out_dir / NDCG_PLOT),
             plot_confidence(runs, unanswerable, threshold, out_dir / CONFIDENCE_PLOT))
    text = render_report(runs, index_facts(searcher, threshold), command,
                         [p.name for p in plots])
    report = out_dir / REPORT_FILE
    report.write_text(text, encoding="utf-8")
    return ReportFiles(report, plots)
