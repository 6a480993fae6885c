"""Text commands: ``seqlab data build nsmc|imdb``, ``seqlab pretrain``, ``seqlab text similar``.

``register_data`` adds to the ``data`` verbs, ``register`` adds top-level commands; each
handler returns an exit code and raises ``SeqlabError`` for user mistakes.
"""

from __future__ import annotations

import argparse
import json
import logging


def register_data(data_subparsers: argparse._SubParsersAction) -> None:
    p = data_subparsers.add_parser("build", help="build a text dataset (NSMC, IMDB) under $SEQLAB_DATA")
    which = p.add_subparsers(dest="dataset", required=True, metavar="DATASET")
    n = which.add_parser("nsmc", help="NSMC from the raw reviews (published method)")
    n.add_argument("--source", help="raw reviews.tsv[.gz] (default ../shared/data/nsmc/reviews.tsv.gz)")
    n.add_argument("--dest", help="output folder (default $SEQLAB_DATA/nsmc)")
    n.add_argument("--seed", type=int, default=0, help="sampling seed (default 0)")
    n.set_defaults(func=cmd_build_nsmc)
    i = which.add_parser("imdb", help="IMDB from JSON Lines, an aclImdb folder or a CSV")
    i.add_argument("--source", help="imdb_labelled.jsonl[.gz], aclImdb/ or a .csv "
                                    "(default ../shared/data/imdb/imdb_labelled.jsonl.gz)")
    i.add_argument("--dest", help="output folder (default $SEQLAB_DATA/imdb)")
    i.set_defaults(func=cmd_build_imdb)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("pretrain", help="language-model pre-training of a text encoder "
                                               "(BERT-style MLM or GPT-style CLM)")
    p.add_argument("config", nargs="?", help="pre-training YAML, e.g. configs/text/nsmc_pretrain.yaml")
    p.add_argument("overrides", nargs="*", help="key.sub=value, e.g. trainer.max_epochs=4")
    p.add_argument("--out", help="run directory (default runs/NAME, where the fine-tune configs look)")
    p.add_argument("--objective", choices=["mlm", "clm"],
                   help="mlm: masked LM, bidirectional encoder (BERT); clm: causal LM, causal "
                        "encoder (GPT-1); sets model.causal (default: the config's)")
    p.add_argument("--resume", metavar="RUN_DIR", help="continue a stopped run from its last.ckpt")
    p.set_defaults(func=cmd_pretrain)

    t = subparsers.add_parser("text", help="text tools")
    verbs = t.add_subparsers(dest="text_command", required=True, metavar="VERB")
    s = verbs.add_parser("similar", help="reviews most similar to a query (TF-IDF cosine)")
    s.add_argument("query")
    s.add_argument("--top", type=int, default=5)
    s.add_argument("--corpus", help="ratings_*.txt, an IMDB source or a one-document-a-line file "
                                    "(default $SEQLAB_DATA/nsmc/ratings_train.txt)")
    s.add_argument("--limit", type=int, help="index only the first N documents")
    s.add_argument("--json", action="store_true", help="print JSON instead of a table")
    s.set_defaults(func=cmd_similar)
    g = verbs.add_parser("geometry", help="how contextual an encoder's representations are, per layer "
                                          "(Ethayarajh 2019)")
    g.add_argument("run_dir", metavar="RUN", help="a `seqlab pretrain` output or a Transformer text run")
    g.add_argument("--data", default="nsmc", help="nsmc (the built test split), imdb (the shared reviews) or a "
                                                  "corpus file (default nsmc)")
    g.add_argument("--n", type=int, default=2000, help="reviews to read (default 2000)")
    g.add_argument("--max-length", type=int, default=64, help="tokens per review (default 64)")
    g.add_argument("--out", help="directory for geometry.json and geometry.png")
    g.set_defaults(func=cmd_geometry)


def cmd_build_nsmc(args) -> int:
    from seqlab.data.text.nsmc import nsmc_build
    from seqlab.paths import shared_data_dir

    source = args.source or shared_data_dir() / "nsmc" / "reviews.tsv.gz"
    summary = nsmc_build(source, args.dest, seed=args.seed)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


def cmd_build_imdb(args) -> int:
    from seqlab.data.text.imdb import imdb_build
    from seqlab.paths import shared_data_dir

    source = args.source or shared_data_dir() / "imdb" / "imdb_labelled.jsonl.gz"
    print(json.dumps(imdb_build(source, args.dest), indent=2, ensure_ascii=False))
    return 0


def cmd_pretrain(args) -> int:
    from seqlab import config as configlib
    from seqlab.errors import ConfigError
    from seqlab.training import pretrain

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    if args.resume:
        if args.config or args.overrides or args.objective or args.out:
            raise ConfigError("--resume takes the run's saved config; give no CONFIG, overrides, "
                              "--objective or --out with it")
        run_dir = pretrain.resume(args.resume)
    else:
        if not args.config:
            raise ConfigError("give a CONFIG file (e.g. configs/text/nsmc_pretrain.yaml) or --resume RUN_DIR")
        overrides = list(args.overrides)
        if args.objective:
            if any(o.startswith("model.causal=") for o in overrides):
                raise ConfigError("give either --objective or model.causal=..., not both")
            overrides.append(f"model.causal={str(args.objective == 'clm').lower()}")
        run_dir = pretrain.pretrain(configlib.load(args.config, overrides), args.out)
    summary = json.loads((run_dir / "pretrain.json").read_text(encoding="utf-8"))
    print(f"{summary['objective']}: {summary['steps']:,} steps, held-out loss {summary['val_loss']}")
    print(f"encoder: {run_dir / 'encoder.pt'}")
    print(f"run directory: {run_dir}")
    return 0


def cmd_similar(args) -> int:
    from seqlab.data.text.similarity import SimilarityIndex, corpus_texts
    from seqlab.paths import data_root

    corpus = args.corpus or data_root() / "nsmc" / "ratings_train.txt"
    index = SimilarityIndex().fit(corpus_texts(corpus, args.limit))
    hits = index.search(args.query, top=args.top)
    if args.json:
        print(json.dumps([{"score": round(s, 4), "text": t} for t, s in hits], ensure_ascii=False))
    else:
        for rank, (text, score) in enumerate(hits, 1):
            print(f"{rank:>2}  {score:.3f}  {text}")
    return 0


def geometry_corpus(data: str):
    """The corpus file behind ``--data``: NSMC's built test split, the shared IMDB reviews, or a path."""
    from pathlib import Path

    from seqlab.errors import DataError
    from seqlab.paths import data_root, shared_data_dir

    if data == "nsmc":
        path = data_root() / "nsmc" / "ratings_test.txt"
        if not path.is_file():
            raise DataError(f"{path} not found: build NSMC first (`seqlab data build nsmc`)")
        return path
    if data == "imdb":
        return shared_data_dir() / "imdb" / "imdb_labelled.jsonl.gz"
    return Path(data)


def cmd_geometry(args) -> int:
    from pathlib import Path

    from seqlab import atomic
    from seqlab.data.text.similarity import corpus_texts
    from seqlab.inference.text_geometry import geometry
    from seqlab.report.inside_plots import geometry_lines

    rows = geometry(args.run_dir, corpus_texts(geometry_corpus(args.data), limit=args.n), max_length=args.max_length)
    keys = ("anisotropy", "self_similarity", "self_similarity_adjusted", "intra_sentence_similarity",
            "intra_sentence_similarity_adjusted", "mev", "mev_adjusted")
    print("layer " + " ".join(f"{k[:22]:>22}" for k in keys))
    for r in rows:
        print(f"{r['layer']:>5} " + " ".join(f"{r[k]:>22.3f}" for k in keys))
    if args.out:
        out = Path(args.out)
        atomic.write_json(out / "geometry.json", rows)
        atomic.write_bytes(out / "geometry.png", geometry_lines(rows))
        print(f"table and figure: {out / 'geometry.json'}, {out / 'geometry.png'}")
    return 0
