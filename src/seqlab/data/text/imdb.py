"""IMDB Large Movie Review Dataset (Maas et al. 2011): three readers, one builder, one dataset.

The benchmark protocol: train on the 25,000 training reviews, report accuracy on the 25,000
test reviews (12,500 per class in each). The corpus comes in three forms, all read here into
the same ``ImdbCorpus``:

- **JSON Lines** (``imdb_labelled.jsonl[.gz]``, the shared copy): one object a line with
  ``split``, ``label`` (pos/neg), ``id``, ``rating``, ``review``;
- the original **folder layout** ``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt``
  (``unsup/`` ignored);
- **one CSV file** with columns ``review`` and ``sentiment`` (or ``label``): positive/negative,
  pos/neg or 1/0; an optional ``split`` column. Without one (the Kaggle 50K CSV), a
  class-stratified half is the test split, drawn with seed 0 (said in the summary).

Duplicate reviews (a few hundred, inside and across splits) are kept, as in the published
protocol, and counted in the summary. ``seqlab data build imdb --source X`` converts any form
to ``data_root()/imdb/imdb_labelled.jsonl.gz``.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from seqlab.atomic import atomic_open
from seqlab.data.registry import register_dataset
from seqlab.data.text.sources import gzip_errors
from seqlab.data.text.prepare import TextDataConfig, prepare_text
from seqlab.data.text.preprocess import text_decode
from seqlab.errors import DataError
from seqlab.paths import data_root, shared_data_dir

CLASSES = ["neg", "pos"]
_LABELS = {"neg": 0, "negative": 0, "0": 0, "pos": 1, "positive": 1, "1": 1}
_FILE = re.compile(r"^(\d+)_(\d+)\.txt$")


@dataclass
class ImdbCorpus:
    """Reviews of both splits: parallel lists, ``label`` 0 = neg, 1 = pos."""

    split: list[str] = field(default_factory=list)
    label: list[int] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, split: str, label: int, text: str) -> None:
        self.split.append(split)
        self.label.append(label)
        self.text.append(text)

    def part(self, split: str) -> tuple[list[str], np.ndarray]:
        idx = [i for i, s in enumerate(self.split) if s == split]
        return [self.text[i] for i in idx], np.array([self.label[i] for i in idx], dtype=np.int64)


def _label(value, where: str) -> int:
    key = str(value).strip().lower()
    if key not in _LABELS:
        raise DataError(f"{where}: label {value!r} is not one of pos/neg/positive/negative/1/0")
    return _LABELS[key]


def read_imdb_jsonl(path: str | Path) -> ImdbCorpus:
    """The shared JSON Lines copy (``unsup`` rows skipped)."""
    corpus = ImdbCorpus()
    opener = gzip.open if str(path).endswith(".gz") else open
    with gzip_errors(path), opener(path, "rb") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            text, _ = text_decode(line)
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{lineno}: not JSON ({exc.msg})") from None
            missing = [k for k in ("split", "label", "review") if k not in row] \
                if isinstance(row, dict) else ["split", "label", "review"]
            if missing:
                raise DataError(f"{path}:{lineno}: a row needs an object with 'split', 'label' "
                                f"and 'review' (missing {', '.join(missing)})")
            if row["label"] == "unsup":
                continue
            corpus.add(str(row["split"]), _label(row["label"], f"{path}:{lineno}"), str(row["review"]))
    return corpus


def read_imdb_folder(root: str | Path) -> ImdbCorpus:
    """``aclImdb/{train,test}/{pos,neg}/<id>_<rating>.txt`` (files read as bytes; bad UTF-8
    becomes U+FFFD and is counted)."""
    root = Path(root)
    corpus, bad = ImdbCorpus(), 0
    for split in ("train", "test"):
        for name in ("neg", "pos"):
            folder = root / split / name
            if not folder.is_dir():
                raise DataError(f"{folder} missing: expected aclImdb/{{train,test}}/{{pos,neg}}/")
            files = sorted((p for p in folder.iterdir() if _FILE.match(p.name)),
                           key=lambda p: int(_FILE.match(p.name).group(1)))
            for path in files:
                text, n = text_decode(path.read_bytes())
                bad += n
                corpus.add(split, _LABELS[name], text)
    if bad:
        corpus.notes.append(f"{bad} undecodable bytes replaced by U+FFFD")
    return corpus


def read_imdb_csv(path: str | Path, *, seed: int = 0) -> ImdbCorpus:
    """One CSV: ``review`` + ``sentiment``/``label`` [+ ``split``] columns."""
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    corpus = ImdbCorpus()
    opener = gzip.open if str(path).endswith(".gz") else open
    with gzip_errors(path), opener(path, "rt", encoding="utf-8", errors="replace", newline="") as fh:
        reader = csv.DictReader(fh)
        try:
            cols = {c.strip().lower(): c for c in reader.fieldnames or []}
            label_col = cols.get("sentiment") or cols.get("label")
            if "review" not in cols or label_col is None:
                raise DataError(f"{path}: needs columns 'review' and 'sentiment' (or 'label'); "
                                f"found {reader.fieldnames}")
            rows = [(r.get(cols["split"]) or "" if "split" in cols else "", r[label_col] or "",
                     r[cols["review"]] or "") for r in reader]
        except csv.Error as exc:
            raise DataError(f"{path}:{reader.line_num}: not a CSV file ({exc})") from None
    labels = [_label(lab, str(path)) for _, lab, _ in rows]
    if "split" in cols:
        for (split, _, text), y in zip(rows, labels):
            if split not in ("train", "test"):
                raise DataError(f"{path}: split {split!r} is not train/test")
            corpus.add(split, y, text)
        return corpus
    y = np.array(labels)
    rng = np.random.default_rng(seed)
    test = np.zeros(len(y), dtype=bool)
    for c in (0, 1):
        idx = np.flatnonzero(y == c)
        test[rng.choice(idx, size=len(idx) // 2, replace=False)] = True
    for (_, _, text), lab, is_test in zip(rows, labels, test):
        corpus.add("test" if is_test else "train", lab, text)
    corpus.notes.append(f"CSV without a split column: a class-stratified half is the test split "
                        f"(seed {seed}), not the official aclImdb split")
    return corpus


def read_imdb(source: str | Path) -> ImdbCorpus:
    """Dispatch on the form: a folder, ``*.csv[.gz]`` or ``*.jsonl[.gz]``."""
    source = Path(source)
    if source.is_dir():
        return read_imdb_folder(source)
    if not source.is_file():
        raise DataError(f"IMDB source {source} not found; give a .jsonl[.gz], .csv or the "
                        "aclImdb folder (data.source / --source)")
    name = source.name.lower().removesuffix(".gz")
    if name.endswith(".csv"):
        return read_imdb_csv(source)
    if name.endswith((".jsonl", ".json")):
        return read_imdb_jsonl(source)
    raise DataError(f"{source}: unknown IMDB form (expected .jsonl[.gz], .csv[.gz] or a folder)")


def imdb_build(source: str | Path, dest: str | Path | None = None) -> dict:
    """Convert any IMDB form to ``dest/imdb_labelled.jsonl.gz`` (atomic); returns counts."""
    corpus = read_imdb(source)
    dest = Path(dest) if dest else data_root() / "imdb"
    with atomic_open(dest / "imdb_labelled.jsonl.gz", "wb") as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            for i, (split, y, text) in enumerate(zip(corpus.split, corpus.label, corpus.text)):
                row = {"split": split, "label": CLASSES[y], "id": i, "review": text}
                gz.write((json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8"))
    counts = {s: corpus.split.count(s) for s in ("train", "test")}
    return {"source": str(source), "dest": str(dest), **counts, "notes": corpus.notes}


def default_imdb_source() -> Path:
    built = data_root() / "imdb" / "imdb_labelled.jsonl.gz"
    return built if built.is_file() else shared_data_dir() / "imdb" / "imdb_labelled.jsonl.gz"


class ImdbConfig(TextDataConfig):
    """IMDB: ``source`` is a .jsonl[.gz], a .csv or an aclImdb folder (default: the built copy
    under ``data_root()/imdb`` or the shared one). HTML is stripped by default."""

    name: Literal["imdb"] = "imdb"
    source: str | None = None
    strip_html: bool = True
    max_length: int = 256


@register_dataset(config=ImdbConfig)
def imdb(cfg: ImdbConfig, *, seed: int):
    """IMDB movie reviews, binary sentiment (25K train / 25K test, Maas et al. 2011)."""
    source = Path(cfg.source) if cfg.source else default_imdb_source()
    corpus = read_imdb(source)
    train, test = corpus.part("train"), corpus.part("test")
    if not len(train[1]) or not len(test[1]):
        raise DataError(f"{source}: needs both train and test reviews")
    n_dup = len(corpus.text) - len(set(corpus.text))
    summary = {"protocol": "IMDB official split: train on 'train', accuracy on 'test'",
               "source": str(source),
               "notes": corpus.notes + [f"{n_dup} duplicate reviews kept (published protocol)"]}
    st = os.stat(source)
    return prepare_text(cfg, classes=CLASSES, train=train, test=test, summary=summary,
                        source_id=f"{source}:{st.st_size}:{st.st_mtime_ns}")
