"""Write a WFDB (MIT format) annotation file with numpy, byte for byte what ``wfdb.wrann``
writes for beats with a symbol, a note and the sampling rate.

Why not ``wfdb.wrann``: importing ``wfdb`` imports pandas, about as long as classifying a
record with ONNX Runtime, and ``seqlab predict`` needs only this one small format. Files are
read back with ``wfdb.rdann`` (and PhysioNet's ``rdann``) like any other; a test compares the
bytes with ``wfdb.wrann``'s.

Format (https://www.physionet.org/physiotools/wag/annot-5.htm): 16-bit little-endian words,
annotation code in the top 6 bits and the sample difference from the previous annotation in
the low 10; a larger difference goes first in a SKIP word (code 59) and a 32-bit PDP-11 long;
a note follows its annotation as an AUX word (code 63, its length) and the bytes, padded to
even length. The file opens with a NOTE at sample 0 giving the time resolution, and ends with
a zero word.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from seqlab import atomic
from seqlab.errors import SeqlabError

# MIT annotation codes of the beat symbols seqlab writes (wfdb's ``ann_label_table``)
CODES = {"N": 1, "L": 2, "R": 3, "V": 5, "F": 6, "A": 8, "S": 9, "Q": 13}
SKIP, NOTE, AUX = 59, 22, 63
# wfdb ends its leading definition notes with a SKIP of -1 and a zero-length step of +1
END_SPECIAL = bytes([0, 236, 255, 255, 255, 255, 1, 0])


def _word(diff: int, code: int) -> bytes:
    return bytes([diff & 255, ((diff & 768) >> 8) + 4 * code])


def _aux(text: str) -> bytes:
    raw = text.encode("ascii")
    if not 0 < len(raw) < 256:
        raise SeqlabError(f"annotation note {text!r} must be 1-255 ASCII characters")
    return bytes([len(raw), 4 * AUX]) + raw + (b"\0" if len(raw) % 2 else b"")


def encode_annotations(samples: np.ndarray, symbols: Sequence[str], notes: Sequence[str],
                       fs: int) -> bytes:
    """The file's bytes: one annotation per sample, each with its symbol and a note.

    >>> encode_annotations(np.array([5]), ["N"], ["N"], 360)[-8:].hex()  # N at 5, note "N", end
    '050401fc4e000000'
    """
    samples = np.asarray(samples, dtype=np.int64)
    if samples.size and (samples[0] < 0 or np.any(np.diff(samples) < 0)):
        raise SeqlabError("annotation samples must be non-negative and sorted")
    out = bytearray(_word(0, NOTE) + _aux(f"## time resolution: {int(fs)}") + END_SPECIAL)
    previous = 0
    for sample, symbol, note in zip(samples.tolist(), symbols, notes):
        diff, previous = sample - previous, sample
        while diff > 1023:
            n = min(diff, 0x7FFFFFFF)
            out += bytes([0, 4 * SKIP, (n >> 16) & 255, (n >> 24) & 255, n & 255, (n >> 8) & 255])
            diff -= n
        out += _word(diff, CODES[symbol])
        if note:
            out += _aux(note)
    return bytes(out + b"\0\0")


def write_annotation_file(path: str | Path, samples: np.ndarray, symbols: Sequence[str],
                          notes: Sequence[str], fs: int) -> Path:
    """Write ``path`` (e.g. ``208.seqlab``) atomically."""
    atomic.write_bytes(path, encode_annotations(samples, symbols, notes, fs))
    return Path(path)
