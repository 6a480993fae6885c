"""The files ``seqlab predict RUN FILE`` reads texts from and writes predictions to.

Input, by suffix (``.gz`` allowed on any): ``.csv`` (comma) and ``.tsv`` (tab) have a header and
the texts in ``column`` (default: the first of ``review``, ``document``, ``text``, ``sentence``);
any other file is one text a line, or, when ``column`` is given, tab-separated with a header
(NSMC's own ``ratings_*.txt``). Every line or row is one output row, blank ones included, so
the output lines up with the input. Bytes that are not UTF-8 become U+FFFD and are counted,
as the datasets do.

Output (CSV, written atomically): ``row`` (1-based line or data-row number), ``id`` when the
input has an ``id`` column, ``label``, ``p_<class>`` per class, and ``text``: the input with
whitespace collapsed, cut to ``TEXT_CHARS`` characters (the full review is in the input).
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

import numpy as np

from seqlab.data.text.preprocess import text_decode, text_squeeze
from seqlab.errors import DataError

TEXT_COLUMNS = ("review", "document", "text", "sentence")
TEXT_CHARS = 80


@dataclass
class TextTable:
    """Texts read from a file, one per output row."""

    texts: list[str]
    ids: list[str] | None
    replaced_bytes: int = 0


def read_texts(path: str | Path, column: str | None = None) -> TextTable:
    """The texts of ``path`` (see the module docstring for the formats)."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path} not found (give a .txt file, one text a line, or a .csv with --column)")
    try:
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    except (OSError, EOFError) as exc:
        raise DataError(f"{path}: cannot read it ({type(exc).__name__}: {exc})") from None
    content, bad = text_decode(raw.removeprefix(b"\xef\xbb\xbf"))
    kind = Path(path.stem).suffix if path.suffix == ".gz" else path.suffix
    if kind.lower() in (".csv", ".tsv") or column is not None:
        table = _read_table(path, content, "," if kind.lower() == ".csv" else "\t", column)
    else:
        lines = content.replace("\r\n", "\n").split("\n")
        table = TextTable(lines[:-1] if lines and lines[-1] == "" else lines, None)
    table.replaced_bytes = bad
    return table


def _read_table(path: Path, content: str, delimiter: str, column: str | None) -> TextTable:
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # a long review is one field
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        header = next(reader, None)
        if not header:
            raise DataError(f"{path} is empty: expected a header row naming the columns")
        names = [h.strip() for h in header]
        col = _text_column(path, names, column)
        id_col = next((i for i, n in enumerate(names) if n.lower() == "id"), None)
        texts, ids = [], []
        for fields in reader:
            texts.append(fields[col] if col < len(fields) else "")
            if id_col is not None:
                ids.append(fields[id_col] if id_col < len(fields) else "")
    except csv.Error as exc:
        raise DataError(f"{path}: malformed near line {reader.line_num} ({exc})") from None
    return TextTable(texts, ids if id_col is not None else None)


def _text_column(path: Path, names: list[str], column: str | None) -> int:
    if column is not None:
        if column in names:
            return names.index(column)
        raise DataError(f"{path} has no column {column!r}; its columns: {', '.join(names)}")
    for name in TEXT_COLUMNS:
        if name in names:
            return names.index(name)
    raise DataError(f"{path} has none of the columns {', '.join(TEXT_COLUMNS)}; its columns: "
                    f"{', '.join(names)} (choose one with --column)")


def prediction_header(classes: list[str], with_id: bool) -> list[str]:
    return ["row"] + (["id"] if with_id else []) + ["label"] + [f"p_{c}" for c in classes] + ["text"]


def prediction_rows(start: int, texts: list[str], ids: list[str] | None, labels: list[str | None],
                    probs: np.ndarray) -> Iterable[list[str]]:
    """CSV rows for a chunk beginning at row ``start`` (1-based); a text with no prediction
    (empty after the run's cleaning) has an empty label and empty probabilities."""
    for i, (text, label, p) in enumerate(zip(texts, labels, probs.tolist())):
        shown = text_squeeze(text)
        shown = shown if len(shown) <= TEXT_CHARS else shown[:TEXT_CHARS - 1] + "…"
        cells = [f"{v:.6f}" for v in p] if label is not None else [""] * len(p)
        yield [str(start + i)] + ([ids[i]] if ids is not None else []) + [label or ""] + cells + [shown]


def csv_writer(fh):
    return csv.writer(fh, lineterminator="\n")
