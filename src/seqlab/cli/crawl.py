"""``seqlab crawl``: run a crawl from a YAML config, resume it, or export its items.

    seqlab crawl CONFIG.yaml [--out items.jsonl] [--resume | --overwrite] [--quiet]
    seqlab crawl export CONFIG.yaml --format nsmc-tsv --out reviews.tsv.gz [--items items.jsonl]

A crawl whose output already exists is not touched without ``--resume`` (continue from the
SQLite state next to the output) or ``--overwrite`` (delete output, state and summary first),
so a repeated command never silently mixes two crawls.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from seqlab.errors import ConfigError, SeqlabError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "crawl",
        help="crawl a site politely into JSONL/CSV items (resumable), or export them",
        description="Crawl a site politely into JSONL/CSV items, resumable after any kill; "
        "`seqlab crawl export CONFIG --format nsmc-tsv --out reviews.tsv.gz` writes the NSMC "
        "raw format for `seqlab data build nsmc --source reviews.tsv.gz` (see docs/crawl.md).",
        usage="seqlab crawl [export] CONFIG.yaml [options]",
    )
    p.add_argument("words", nargs="+", metavar="[export] CONFIG.yaml", help="crawl config; prefix 'export' to export items")
    p.add_argument("--out", help="crawl: items file (overrides output.path); export: the file to write")
    p.add_argument("--resume", action="store_true", help="continue the crawl recorded next to the output")
    p.add_argument("--overwrite", action="store_true", help="delete an earlier crawl's output and state first")
    p.add_argument("--quiet", action="store_true", help="no progress lines on stderr")
    p.add_argument("--format", default="nsmc-tsv", choices=["nsmc-tsv"], help="export format")
    p.add_argument("--items", help="export: crawled items to read (default: the config's output.path)")
    p.set_defaults(func=handler)


def handler(args: argparse.Namespace) -> int:
    words = list(args.words)
    if words[0] == "export" and len(words) == 2:
        return _export(Path(words[1]), args)
    if len(words) != 1:
        raise ConfigError(f"expected `seqlab crawl CONFIG.yaml` or `seqlab crawl export CONFIG.yaml`, got {' '.join(words)!r}")
    return _crawl(Path(words[0]), args)


def _crawl(config_path: Path, args: argparse.Namespace) -> int:
    from seqlab.crawl import Crawler, load_config
    from seqlab.crawl.crawler import summary_path
    from seqlab.crawl.state import state_path

    if args.resume and args.overwrite:
        raise ConfigError("--resume and --overwrite contradict each other; pick one")
    config = load_config(config_path, out=args.out)
    output = Path(config.output.path)
    leftovers = [p for p in (output, state_path(output), summary_path(output)) if p.exists()]
    if args.overwrite:
        for path in [*leftovers, *(state_path(output).with_name(state_path(output).name + s) for s in ("-wal", "-shm"))]:
            path.unlink(missing_ok=True)
    elif leftovers and not args.resume:
        raise SeqlabError(f"{leftovers[0]} exists from an earlier crawl; pass --resume to continue it or --overwrite to start again")
    elif output.exists() and not state_path(output).exists():
        raise SeqlabError(f"{output} exists but has no crawl state beside it; pass --overwrite to replace it")
    summary = Crawler(config, progress=None if args.quiet else sys.stderr).run()
    pages = summary["pages"]
    print(
        f"crawl finished: {pages['done']} pages, {summary['items_total']} items, "
        f"{pages['failed']} failed, {pages['skipped']} skipped -> {output} (summary: {summary_path(output)})"
    )
    return 0


def _export(config_path: Path, args: argparse.Namespace) -> int:
    from seqlab.crawl import load_config, to_nsmc_tsv

    if not args.out:
        raise ConfigError("crawl export needs --out, e.g. --out reviews.tsv.gz")
    config = load_config(config_path)
    if config.export.nsmc is None:
        raise ConfigError(f"{config_path} has no export.nsmc mapping (review, rating, ... item fields)")
    counts = to_nsmc_tsv(args.items or config.output.path, args.out, config.export.nsmc)
    print(f"wrote {counts['written']} reviews to {args.out} ({counts['skipped']} items without text or 1-10 rating)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m seqlab.cli.crawl ...``: this command alone, before/without the main CLI."""
    parser = argparse.ArgumentParser(prog="seqlab")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["crawl", *(sys.argv[1:] if argv is None else argv)])
    try:
        return args.func(args)
    except SeqlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
