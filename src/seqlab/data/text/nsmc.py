"""NSMC (Naver Sentiment Movie Corpus): build it from the raw reviews, read it, register it.

The builder follows the corpus's published method (e9t/nsmc README): ratings 1–4 → negative
(0), 9–10 → positive (1), 5–8 excluded; 100,000 reviews of each class sampled with a fixed
seed, shuffled, the first 150,000 the training split and the last 50,000 the test split. Our
choices where the method is silent, fixed here and written to ``build.json``:

- reviews empty or whitespace-only are dropped before sampling;
- exact duplicate texts (after trimming) are kept once, and a text that occurs with both a
  negative and a positive rating is dropped altogether, before sampling, so no test review
  also appears in training;
- the unlabelled remainder (ratings 5–8 and the labelled reviews not sampled, duplicates
  removed, any text equal to a test review removed) is written to ``unlabelled.txt`` for
  masked-language-model pre-training.

Output, in the original format (``id<TAB>document<TAB>label`` with a header), written atomically
to ``data_root()/nsmc/``: ``ratings_train.txt``, ``ratings_test.txt``, ``unlabelled.txt``
(one review a line) and ``build.json``. The reader also takes the original
``ratings_train.txt`` / ``ratings_test.txt`` a user may already have.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import Literal

import numpy as np

from seqlab.atomic import atomic_open, write_json
from seqlab.data.registry import register_dataset
from seqlab.data.text.prepare import TextDataConfig, prepare_text
from seqlab.data.text.preprocess import text_decode, text_is_empty, text_squeeze
from seqlab.errors import DataError
from seqlab.data.text.sources import gzip_errors
from seqlab.paths import data_root, shared_data_dir

CLASSES = ["negative", "positive"]
PER_CLASS, N_TRAIN = 100_000, 150_000


def _open_text(path: Path):
    """Binary handle (gzip or plain): lines are decoded one by one so bad bytes stay local."""
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_raw_reviews(path: str | Path) -> tuple[list[tuple[str, int, str]], dict]:
    """The raw crawl TSV (``review_id movie_id rating date review``) → [(id, rating, text)]."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"NSMC raw reviews {path} not found; pass --source FILE "
                        "(reviews.tsv.gz from the shared data)")
    rows, stats = [], {"lines": 0, "malformed": 0, "replaced_bytes": 0}
    with gzip_errors(path), _open_text(path) as fh:
        header = fh.readline()
        if not header.startswith(b"review_id"):
            raise DataError(f"{path}: expected a 'review_id<TAB>movie_id<TAB>rating…' header")
        for line in fh:
            stats["lines"] += 1
            text, bad = text_decode(line.rstrip(b"\r\n"))
            stats["replaced_bytes"] += bad
            parts = text.split("\t")
            if len(parts) != 5 or not parts[2].strip().isdigit():
                stats["malformed"] += 1
                continue
            rows.append((parts[0], int(parts[2]), parts[4]))
    return rows, stats


def nsmc_build(source: str | Path, dest: str | Path | None = None, *, seed: int = 0,
               per_class: int = PER_CLASS, n_train: int = N_TRAIN) -> dict:
    """Build NSMC from the raw reviews with the published method; returns the build summary.
    (``per_class`` / ``n_train`` exist for small test corpora; the published values are the
    defaults.)"""
    dest = Path(dest) if dest else data_root() / "nsmc"
    rows, stats = read_raw_reviews(source)
    label_of = {r: 0 for r in range(1, 5)} | {9: 1, 10: 1}
    texts_by_label: dict[str, set[int]] = {}
    first: dict[str, tuple[str, int]] = {}
    empty = 0
    unlabelled: list[str] = []
    for rid, rating, raw in rows:
        text = text_squeeze(raw)
        if text_is_empty(text):
            empty += 1
            continue
        if rating not in label_of:
            unlabelled.append(text)
            continue
        texts_by_label.setdefault(text, set()).add(label_of[rating])
        first.setdefault(text, (rid, label_of[rating]))
    conflicting = {t for t, labels in texts_by_label.items() if len(labels) > 1}
    pools: list[list[tuple[str, str]]] = [[], []]
    for text, (rid, label) in first.items():
        if text not in conflicting:
            pools[label].append((rid, text))
    n_labelled = sum(1 for _, r, _ in rows if r in label_of)
    for label, pool in enumerate(pools):
        if len(pool) < per_class:
            raise DataError(f"only {len(pool)} unique {CLASSES[label]} reviews in {source}; "
                            f"the method needs {per_class}")
    train, test, remainder = _sample(pools, unlabelled, per_class, n_train, seed)

    _write_ratings(dest / "ratings_train.txt", train)
    _write_ratings(dest / "ratings_test.txt", test)
    with atomic_open(dest / "unlabelled.txt", "w") as fh:
        fh.writelines(t + "\n" for t in remainder)
    summary = {
        "source": str(source), "seed": seed, "method": "e9t/nsmc: 1-4 negative, 9-10 positive, "
        f"5-8 excluded; {per_class:,} per class sampled, shuffled, {n_train:,} train / "
        f"{2 * per_class - n_train:,} test",
        "raw_lines": stats["lines"], "malformed_lines": stats["malformed"],
        "replaced_bytes": stats["replaced_bytes"], "empty_dropped": empty,
        "labelled_reviews": n_labelled,
        "duplicate_texts_dropped": n_labelled - _n_empty_labelled(rows, label_of) - len(first),
        "conflicting_texts_dropped": len(conflicting),
        "unique_pool": {CLASSES[i]: len(p) for i, p in enumerate(pools)},
        "train": len(train), "test": len(test),
        "train_counts": {c: sum(1 for *_, y in train if y == i) for i, c in enumerate(CLASSES)},
        "test_counts": {c: sum(1 for *_, y in test if y == i) for i, c in enumerate(CLASSES)},
        "unlabelled": len(remainder),
    }
    write_json(dest / "build.json", summary)
    return summary


def _sample(pools: list[list[tuple[str, str]]], unlabelled: list[str], per_class: int, n_train: int,
            seed: int) -> tuple[list, list, list[str]]:
    """The published draw: ``per_class`` reviews of each label, shuffled, the first ``n_train``
    for training; what was not drawn (and the 5-8 ratings) is the unlabelled remainder, minus
    any text that is in the test split."""
    rng = np.random.default_rng(seed)
    chosen, rest = [], []
    for label, pool in enumerate(pools):
        pick = np.zeros(len(pool), dtype=bool)
        pick[rng.choice(len(pool), size=per_class, replace=False)] = True
        chosen += [(rid, text, label) for (rid, text), p in zip(pool, pick) if p]
        rest += [text for (_, text), p in zip(pool, pick) if not p]
    order = rng.permutation(len(chosen))
    sample = [chosen[i] for i in order]
    train, test = sample[:n_train], sample[n_train:]
    test_texts = {t for _, t, _ in test}
    seen: set[str] = set()
    remainder = []
    for text in unlabelled + rest:
        if text not in test_texts and text not in seen:
            seen.add(text)
            remainder.append(text)
    return train, test, remainder


def _n_empty_labelled(rows, label_of) -> int:
    return sum(1 for _, r, t in rows if r in label_of and text_is_empty(t))


def _write_ratings(path: Path, rows: list[tuple[str, str, int]]) -> None:
    with atomic_open(path, "w") as fh:
        fh.write("id\tdocument\tlabel\n")
        fh.writelines(f"{rid}\t{text}\t{label}\n" for rid, text, label in rows)


def read_ratings(path: str | Path) -> tuple[list[str], np.ndarray, dict]:
    """``ratings_*.txt`` (``id<TAB>document<TAB>label``, header) → (texts, labels, stats).

    Empty documents (the original files have a few) are kept here and dropped by the dataset's
    cleaning step, which counts them; bad UTF-8 bytes become U+FFFD and are counted."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} not found; run `seqlab data build nsmc` first "
                        "(or put the original ratings_train.txt / ratings_test.txt there)")
    texts, labels = [], []
    stats = {"replaced_bytes": 0, "malformed": 0}
    with gzip_errors(path), _open_text(path) as fh:
        header = fh.readline().decode("utf-8", "replace").rstrip("\r\n").split("\t")
        if header[:3] != ["id", "document", "label"]:
            raise DataError(f"{path}: expected header 'id<TAB>document<TAB>label', got {header}")
        for line in fh:
            text, bad = text_decode(line.rstrip(b"\r\n"))
            stats["replaced_bytes"] += bad
            parts = text.split("\t")
            if len(parts) != 3 or parts[2].strip() not in ("0", "1"):
                stats["malformed"] += 1
                continue
            texts.append(parts[1])
            labels.append(int(parts[2]))
    return texts, np.array(labels, dtype=np.int64), stats


def read_unlabelled(path: str | Path) -> list[str]:
    """``unlabelled.txt``: one review a line."""
    with io.open(path, encoding="utf-8", errors="replace") as fh:
        return [line.rstrip("\n") for line in fh if line.strip()]


class NsmcConfig(TextDataConfig):
    """NSMC: ``root`` holds ratings_train.txt / ratings_test.txt (built or original); when
    they are missing and ``raw_source`` exists, the builder runs first (seed ``build_seed``)."""

    name: Literal["nsmc"] = "nsmc"
    root: str | None = None
    raw_source: str | None = None
    build_seed: int = 0
    max_length: int = 64


@register_dataset(config=NsmcConfig)
def nsmc(cfg: NsmcConfig, *, seed: int):
    """Naver movie reviews, binary sentiment (published NSMC method, 150K train / 50K test)."""
    root = Path(cfg.root) if cfg.root else data_root() / "nsmc"
    train_file, test_file = root / "ratings_train.txt", root / "ratings_test.txt"
    if not (train_file.is_file() and test_file.is_file()):
        raw = Path(cfg.raw_source) if cfg.raw_source else shared_data_dir() / "nsmc" / "reviews.tsv.gz"
        if not raw.is_file():
            raise DataError(f"NSMC not found in {root} and no raw reviews at {raw}; run "
                            "`seqlab data build nsmc --source reviews.tsv.gz` first")
        nsmc_build(raw, root, seed=cfg.build_seed)
    tr_x, tr_y, tr_stats = read_ratings(train_file)
    te_x, te_y, te_stats = read_ratings(test_file)
    notes = []
    if (root / "build.json").is_file():
        notes.append("built by seqlab from the raw reviews: empty reviews dropped, exact duplicate "
                     "texts kept once, texts rated both negative and positive dropped (build.json)")
    bad = tr_stats["replaced_bytes"] + te_stats["replaced_bytes"]
    if bad:
        notes.append(f"{bad} undecodable bytes replaced by U+FFFD")
    summary = {"protocol": "NSMC published split (150,000 train / 50,000 test), binary sentiment",
               "source": str(root), "notes": notes}
    source_id = ";".join(f"{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in (train_file, test_file))
    return prepare_text(cfg, classes=CLASSES, train=(tr_x, tr_y), test=(te_x, te_y),
                        summary=summary, source_id=source_id)
