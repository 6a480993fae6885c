"""A pre-trained checkpoint's own tokenizer as a run's tokenizer (``data.tokenizer_path``).

``data.tokenizer_path`` names either a ``tokenizer.json`` seqlab trained (a ``seqlab pretrain``
run's) or, for a Hugging Face checkpoint, its directory or hub name (``klue/bert-base``; the
config loader fills it in from ``model.pretrained`` for ``hf_encoder`` models). The latter is
read once with ``AutoTokenizer`` (offline first, ``seqlab.hf_hub``), and its fast backend is
written as a plain ``tokenizers`` JSON into the cache: the file the run copies to
``artifacts/tokenizer.json``. So prediction reads the exact tokenizer the model was
fine-tuned with from the run directory alone, with ``tokenizers`` only: no hub, no
``transformers``, no torch (HF's fast tokenizers are this same file format).

Checkpoints pad with their own id (BERT's ``[PAD]`` is 0 like seqlab's, RoBERTa's and
KoBERT's ``<pad>`` / ``[PAD]`` is 1), so the written JSON records its padding, and
``encode_tokens`` pads with it and builds the attention mask from the true lengths.

>>> from seqlab.data.text.subword import subword_train
>>> tok = subword_train(["good film", "bad film"] * 10, vocab_size=40)
>>> tok.enable_padding(pad_id=1, pad_token="[UNK]")  # a checkpoint whose padding id is 1
>>> x = encode_tokens(tok, ["good film", "bad"], max_length=6)
>>> x["input_ids"][1, [0, 2, 3, 4, 5]].tolist(), x["attention_mask"][1].tolist()  # [CLS] bad [SEP] pad…
([2, 3, 1, 1, 1], [1, 1, 1, 0, 0, 0])
"""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path
from typing import Sequence

import numpy as np

from seqlab.atomic import write_text
from seqlab.data.text.subword import PAD_ID, subword_encode
from seqlab.errors import DataError
from seqlab.hf_hub import from_hub
from seqlab.paths import cache_dir

PROBE = "seqlab probe: Good film, 좋은 영화 123."  # checks the written tokenizer against transformers'


def is_pretrained_name(tokenizer_path: str | None) -> bool:
    """A checkpoint directory or hub name, not a seqlab ``tokenizer.json``."""
    return bool(tokenizer_path) and not str(tokenizer_path).endswith(".json")


def tokenizer_file(tokenizer_path: str | None) -> Path | None:
    """The ``tokenizers`` JSON file ``data.tokenizer_path`` stands for (None: train one)."""
    if not tokenizer_path:
        return None
    if not is_pretrained_name(tokenizer_path):
        return Path(tokenizer_path)
    return pretrained_tokenizer_file(str(tokenizer_path))


def pretrained_tokenizer_file(name_or_path: str) -> Path:
    """Read a checkpoint's tokenizer with ``AutoTokenizer`` and write its fast backend, padding
    recorded, truncation left to ``encode_tokens``, under ``cache_dir()/text/hf-tokenizers/``."""
    from transformers import AutoTokenizer  # imports torch: only when a checkpoint is named

    hf = from_hub(AutoTokenizer.from_pretrained, name_or_path, "data.tokenizer_path")
    if not getattr(hf, "is_fast", False):
        raise DataError(f"data.tokenizer_path: {name_or_path!r} has no fast (Rust) tokenizer, which seqlab "
                        "needs to save it in the run; convert it with the `tokenizers` library first")
    if len(hf) <= len(hf.all_special_ids):  # e.g. a tokenizer_config.json without its vocabulary file
        raise DataError(f"data.tokenizer_path: {name_or_path!r} holds no vocabulary beyond its special tokens "
                        "(tokenizer.json, vocab.txt or the sentencepiece model is missing)")
    if hf.pad_token_id is None:
        raise DataError(f"data.tokenizer_path: {name_or_path!r} defines no padding token (an encoder "
                        "checkpoint has one: [PAD] or <pad>)")
    from tokenizers import Tokenizer

    backend = Tokenizer.from_str(hf.backend_tokenizer.to_str())
    backend.enable_padding(pad_id=int(hf.pad_token_id), pad_token=str(hf.pad_token))
    want = list(hf(PROBE)["input_ids"])
    got = encode_tokens(backend, [PROBE], max_length=len(want) + 1)["input_ids"][0][:len(want)].tolist()
    if got != want:
        raise DataError(f"data.tokenizer_path: {name_or_path!r}'s Rust tokenizer encodes differently from its "
                        f"Python tokenizer ({got[:8]} vs {want[:8]}); seqlab cannot save it faithfully")
    backend.no_truncation()  # the file is the checkpoint's tokenizer as is; each run truncates to its max_length
    text = backend.to_str()
    path = cache_dir() / "text" / "hf-tokenizers" / hashlib.sha256(text.encode()).hexdigest()[:16] / "tokenizer.json"
    if not path.is_file():
        write_text(path, text)
    return path


def padding_id(path: Path) -> int:
    """The id a tokenizer file pads with: its recorded padding (a checkpoint's), else ``[PAD]`` = 0."""
    padding = json.loads(Path(path).read_text(encoding="utf-8")).get("padding")
    return int(padding["pad_id"]) if padding else PAD_ID


def encode_tokens(tok, texts: Sequence[str], *, max_length: int) -> dict[str, np.ndarray]:
    """Texts → ``{"input_ids", "attention_mask"}`` (N, max_length) int64. A tokenizer without
    recorded padding is seqlab's own (``[PAD]`` = 0): ``subword_encode``. One that records it
    (a checkpoint's) is padded with its own id, the mask taken from the true lengths; the
    tokenizer is left as it was found."""
    padding = tok.padding
    if padding is None:
        return subword_encode(tok, texts, max_length=max_length)
    pad_id = int(padding["pad_id"])
    tok.no_padding()  # padded Encodings cost time; numpy pads below (as subword_encode does)
    tok.enable_truncation(max_length=max_length)
    try:
        encode = getattr(tok, "encode_batch_fast", tok.encode_batch)
        encodings = encode(list(texts))
    finally:
        tok.enable_padding(pad_id=pad_id, pad_token=padding["pad_token"], pad_type_id=padding["pad_type_id"],
                           direction=padding["direction"])
    lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
    flat = np.fromiter(itertools.chain.from_iterable(e.ids for e in encodings), dtype=np.int64,
                       count=int(lengths.sum()))
    filled = np.arange(max_length)[None, :] < lengths[:, None]  # (N, L)
    ids = np.full((len(encodings), max_length), pad_id, dtype=np.int64)
    ids[filled] = flat
    return {"input_ids": ids, "attention_mask": filled.astype(np.int64)}
