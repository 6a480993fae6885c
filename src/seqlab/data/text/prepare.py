"""From labelled texts to ``PreparedData``: cleaning, the validation carve, and the two
representations every text dataset offers.

- ``representation: raw`` → ``Split.x`` is a numpy object array of cleaned strings, for the
  scikit-learn pipelines in ``seqlab.models.sklearn_factories`` (they vectorise inside the model, so a
  pickled model takes raw text);
- ``representation: tokens`` → ``{"input_ids", "attention_mask"}`` (N, L) int64 arrays from a
  subword tokenizer trained on the training split only (or the one given in
  ``tokenizer_path``, e.g. the pre-training run's, so ids match the pre-trained encoder).

Tokenizer and encoded arrays are cached under ``cache_dir()/text/<hash of the config>/``;
the tokenizer is listed in ``PreparedData.artifacts`` so the run keeps a copy.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal, Sequence

import numpy as np

from seqlab.atomic import save_npz
from seqlab.data.base import DataConfigBase, PreparedData, Split
from seqlab.data.text.hf_tokenizer import encode_tokens, padding_id, tokenizer_file
from seqlab.data.text.preprocess import text_clean, text_is_empty
from seqlab.data.text.subword import subword_load, subword_save, subword_train
from seqlab.errors import ConfigError
from seqlab.paths import cache_dir

# fields that do not change the prepared arrays (left out of the cache key)
_NOT_IN_KEY = {"batch_size", "sampler"}


class TextDataConfig(DataConfigBase):
    """Fields shared by the text datasets (NSMC, IMDB)."""

    representation: Literal["raw", "tokens"] = "raw"
    val_fraction: float = 0.1
    split_seed: int = 0
    # cleaning (see seqlab.data.text.preprocess)
    normalize: Literal["NFKC", "NFC", "none"] = "NFKC"
    strip_html: bool = False
    lowercase: bool = False
    max_chars: int = 5000
    # a class-stratified subsample, for quick runs and tests (None = everything)
    max_train: int | None = None
    max_test: int | None = None
    # subword tokenizer (representation: tokens)
    tokenizer: Literal["wordpiece", "bpe"] = "wordpiece"
    vocab_size: int = 16000
    min_frequency: int = 2
    tokenizer_lowercase: bool = True
    max_length: int = 64
    tokenizer_path: str | None = None


def config_hash(cfg: DataConfigBase, extra: dict | None = None) -> str:
    fields = {k: v for k, v in cfg.model_dump().items() if k not in _NOT_IN_KEY}
    blob = json.dumps({"cfg": fields, **(extra or {})}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def stratified_take(y: np.ndarray, n: int | None, seed: int) -> np.ndarray:
    """Indices of a class-stratified random subset of size ~``n`` (all, in order, if None)."""
    if n is None or n >= len(y):
        return np.arange(len(y))
    rng = np.random.default_rng(seed)
    keep = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        keep.append(rng.choice(idx, size=max(1, round(n * len(idx) / len(y))), replace=False))
    return np.sort(np.concatenate(keep))


def val_carve(y: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(train_idx, val_idx): a stratified ``fraction`` of the training rows, fixed by ``seed``."""
    if not 0 < fraction < 1:
        raise ConfigError(f"data.val_fraction must be in (0, 1), got {fraction}")
    rng = np.random.default_rng(seed)
    val = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        val.append(rng.choice(idx, size=max(1, round(fraction * len(idx))), replace=False))
    val_idx = np.sort(np.concatenate(val))
    train_idx = np.setdiff1d(np.arange(len(y)), val_idx)
    return train_idx, val_idx


def clean_kept(cfg: TextDataConfig, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The config's cleaning: (cleaned texts as an object array, boolean mask of the texts kept).
    A document left empty by cleaning is dropped; the mask tells the caller which ones."""
    cleaned = [text_clean(t, strip_html=cfg.strip_html, normalize=cfg.normalize,
                          lowercase=cfg.lowercase, max_chars=cfg.max_chars) for t in texts]
    keep = np.array([not text_is_empty(t) for t in cleaned], dtype=bool)
    arr = np.empty(int(keep.sum()), dtype=object)
    arr[:] = [t for t, k in zip(cleaned, keep) if k]
    return arr, keep


def clean_texts(cfg: TextDataConfig, texts: list[str], y: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Apply the config's cleaning; drop documents left empty. Returns (texts, y, n_dropped)."""
    arr, keep = clean_kept(cfg, texts)
    return arr, np.asarray(y)[keep], int((~keep).sum())


def texts_to_inputs(cfg: TextDataConfig, texts: Sequence[str], tokenizer=None) -> tuple[object, np.ndarray]:
    """New raw texts → (model inputs, mask of the texts kept), exactly as ``prepare_text`` made
    a run's inputs from its documents: the same cleaning, then the raw cleaned strings
    (``representation: raw``) or ``encode_tokens`` with the run's ``tokenizer`` and
    ``max_length`` (``tokens``). Texts left empty by cleaning are not in the inputs.

    >>> x, kept = texts_to_inputs(TextDataConfig(name="demo"), ["  Great   film ", " "])
    >>> x.tolist(), kept.tolist()
    (['Great film'], [True, False])
    """
    cleaned, keep = clean_kept(cfg, texts)
    if cfg.representation == "raw":
        return cleaned, keep
    if tokenizer is None:
        raise ConfigError("a tokens run encodes texts with its tokenizer (artifacts/tokenizer.json); none was given")
    return encode_tokens(tokenizer, cleaned.tolist(), max_length=cfg.max_length), keep


def prepare_text(cfg: TextDataConfig, *, classes: list[str], train: tuple[list[str], np.ndarray],
                 test: tuple[list[str], np.ndarray], summary: dict,
                 source_id: str = "") -> PreparedData:
    """Clean, subsample, carve validation, and represent; ``summary`` gains counts and notes.
    ``source_id`` (e.g. file sizes and times) joins the cache key so rebuilt data is re-encoded."""
    tr_x, tr_y, tr_drop = clean_texts(cfg, *train)
    te_x, te_y, te_drop = clean_texts(cfg, *test)
    sub = stratified_take(tr_y, cfg.max_train, cfg.split_seed)
    tr_x, tr_y = tr_x[sub], tr_y[sub]
    sub = stratified_take(te_y, cfg.max_test, cfg.split_seed)
    te_x, te_y = te_x[sub], te_y[sub]
    fit_idx, val_idx = val_carve(tr_y, cfg.val_fraction, cfg.split_seed)

    texts = {"train": tr_x[fit_idx], "val": tr_x[val_idx], "test": te_x}
    labels = {"train": tr_y[fit_idx], "val": tr_y[val_idx], "test": te_y}
    notes = list(summary.pop("notes", []))
    notes.append(f"validation: a class-stratified {cfg.val_fraction:.0%} of the training split "
                 f"(seed {cfg.split_seed}); test is the dataset's own test split")
    if tr_drop or te_drop:
        notes.append(f"dropped documents empty after cleaning: {tr_drop} train, {te_drop} test")
    if cfg.max_train or cfg.max_test:
        notes.append(f"subsampled: max_train={cfg.max_train}, max_test={cfg.max_test} "
                     "(class-stratified); not the full benchmark")
    summary = {
        **summary,
        "documents": {k: int(len(v)) for k, v in labels.items()},
        "intra_patient": False,
        "preprocessing": _describe(cfg),
        "notes": notes,
    }
    artifacts: dict[str, str] = {}
    model_kwargs: dict = {}
    if cfg.representation == "raw":
        xs = texts
    else:
        xs, tok_path, vocab = _tokens(cfg, texts, source_id)
        artifacts["tokenizer.json"] = str(tok_path)
        model_kwargs = {"vocab_size": vocab, "max_length": cfg.max_length, "pad_id": padding_id(tok_path)}
    splits = {k: Split(xs[k], labels[k].astype(np.int64)) for k in texts}
    return PreparedData(classes, splits["train"], splits["val"], splits["test"],
                        model_kwargs=model_kwargs, summary=summary, artifacts=artifacts)


def _describe(cfg: TextDataConfig) -> str:
    steps = (["HTML tags removed, entities unescaped"] if cfg.strip_html else []) + [
        f"Unicode {cfg.normalize}", "whitespace collapsed"] + (
        ["lower-cased"] if cfg.lowercase else []) + [f"cut to {cfg.max_chars} characters"]
    if cfg.representation == "tokens":
        src = (f"tokenizer from {cfg.tokenizer_path}" if cfg.tokenizer_path else
               f"{cfg.tokenizer} tokenizer (vocabulary {cfg.vocab_size}) trained on the training split")
        steps.append(f"{src}; sequences truncated/padded to {cfg.max_length} tokens")
    return "; ".join(steps)


def _tokens(cfg: TextDataConfig, texts: dict[str, np.ndarray], source_id: str):
    """Train (or load) the tokenizer and encode every split, through the cache."""
    tok_file = tokenizer_file(cfg.tokenizer_path)  # a checkpoint's name: its tokenizer, written as a file
    extra = {"source": source_id}
    if tok_file is not None and tok_file.is_file():
        extra["tokenizer_bytes"] = hashlib.sha256(tok_file.read_bytes()).hexdigest()
    key_dir = cache_dir() / "text" / f"{cfg.name}-{config_hash(cfg, extra)}"
    arrays_path, tok_path = key_dir / "tokens.npz", key_dir / "tokenizer.json"
    if tok_file is not None:
        tok = subword_load(tok_file)
        tok_path = tok_file
    elif tok_path.is_file():
        tok = subword_load(tok_path)
    else:
        tok = subword_train(texts["train"].tolist(), kind=cfg.tokenizer, vocab_size=cfg.vocab_size,
                            min_frequency=cfg.min_frequency, lowercase=cfg.tokenizer_lowercase)
        subword_save(tok, tok_path)
    if arrays_path.is_file():
        with np.load(arrays_path) as z:
            xs = {s: {"input_ids": z[f"{s}_ids"], "attention_mask": z[f"{s}_mask"]} for s in texts}
    else:
        xs = {s: encode_tokens(tok, t.tolist(), max_length=cfg.max_length) for s, t in texts.items()}
        save_npz(arrays_path, **{f"{s}_ids": v["input_ids"] for s, v in xs.items()},
                 **{f"{s}_mask": v["attention_mask"] for s, v in xs.items()})
    return xs, tok_path, tok.get_vocab_size()
