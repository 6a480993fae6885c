"""``seqlab`` entry point: builds the parser from each command module and turns a
``SeqlabError`` into one line on stderr (exit 2 for config mistakes, 1 otherwise)."""

from __future__ import annotations

import argparse
import sys

from seqlab.errors import SeqlabError

COMMAND_MODULES = ("seqlab.cli.run", "seqlab.cli.ecg", "seqlab.cli.inside", "seqlab.cli.crawl",
                   "seqlab.cli.toolbox", "seqlab.cli.text", "seqlab.cli.serve", "seqlab.cli.export",
                   "seqlab.cli.generate")
DATA_MODULES = ("seqlab.cli.ecg_data", "seqlab.cli.text")


def build_parser() -> argparse.ArgumentParser:
    import importlib

    parser = argparse.ArgumentParser(prog="seqlab", description="Train, evaluate and explain sequence classifiers (ECG beats, text).")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    data = sub.add_parser("data", help="fetch, verify, build and inspect datasets")
    data_sub = data.add_subparsers(dest="data_command", required=True, metavar="VERB")
    for name in DATA_MODULES:
        module = importlib.import_module(name)
        getattr(module, "register_data", getattr(module, "register", None))(data_sub)
    return parser


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    _quiet_lightning()
    parser = build_parser()
    # overrides (key=value) may come after options such as --out: argparse leaves those over
    args, extra = parser.parse_known_args(argv)
    stray = [e for e in extra if e.startswith("-") or "=" not in e]
    if stray or (extra and not hasattr(args, "overrides")):
        parser.error(f"unrecognized arguments: {' '.join(stray or extra)}")
    if extra:
        args.overrides = list(args.overrides or []) + extra
    return args


def main(argv: list[str] | None = None) -> int:
    return run_command(parse_args(argv))


def console() -> None:
    """The ``seqlab`` console script. A command that sets ``fast_exit`` (``predict``: its files
    are written and synced before it returns, and it starts no background writer) ends with
    ``os._exit``: tearing down an interpreter that has imported torch takes ~0.4 s here, a
    fifth of a one-record prediction."""
    import os

    args = parse_args()
    code = run_command(args)
    if getattr(args, "fast_exit", False):
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def run_command(args: argparse.Namespace) -> int:
    try:
        return int(args.func(args) or 0)
    except SeqlabError as exc:
        print(f"seqlab: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("seqlab: interrupted", file=sys.stderr)
        return 130


def _quiet_lightning() -> None:
    """Keep Lightning's start-up chatter (GPU/TPU lines, tips) off the user's screen."""
    import logging
    import warnings

    # lightning sets its package loggers to INFO when imported, so quiet the modules that talk
    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero",
                 "lightning.pytorch.trainer.connectors.logger_connector.logger_connector",
                 "lightning.pytorch.accelerators.cuda", "lightning.pytorch.utilities.model_summary"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", message=r".*(LeafSpec|litlogger|limit_train_batches|does not have many workers)")


if __name__ == "__main__":
    console()
