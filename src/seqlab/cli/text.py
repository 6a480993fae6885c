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
    p = subparsers.add_parser("pretrain", help="masked-language-model pre-training of a text encoder")
    p.add_argument("config", help="pre-training YAML, e.g. configs/text/nsmc_pretrain.yaml")
    p.add_argument("overrides", nargs="*", help="key.sub=value, e.g. trainer.max_steps=2000")
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


def cmd_build_nsmc(args) -> int:
    from seqlab.data.text.nsmc import nsmc_build, shared_data_dir

    source = args.source or shared_data_dir() / "nsmc" / "reviews.tsv.gz"
    summary = nsmc_build(source, args.dest, seed=args.seed)
    print(json.dumps(summary, indent=2, ensure_ascii=False))
    return 0


def cmd_build_imdb(args) -> int:
    from seqlab.data.text.imdb import imdb_build
    from seqlab.data.text.nsmc import shared_data_dir

    source = args.source or shared_data_dir() / "imdb" / "imdb_labelled.jsonl.gz"
    print(json.dumps(imdb_build(source, args.dest), indent=2, ensure_ascii=False))
    return 0


def cmd_pretrain(args) -> int:
    from seqlab.training.pretrain import load_pretrain_config, pretrain

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    cfg = load_pretrain_config(args.config, args.overrides)
    print(f"checkpoint: {pretrain(cfg)}")
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
