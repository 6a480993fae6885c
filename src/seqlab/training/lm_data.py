"""The pre-training corpus and its loaders: a text dataset's reviews without their labels,
never its test split.

The ``data`` section of a pre-training config is the dataset's own (``nsmc`` / ``imdb``, the
same keys a fine-tuning run uses), read this way:

- NSMC: ``unlabelled.txt`` (ratings 5–8 and the labelled reviews not sampled, test texts
  removed by the builder) + ``ratings_train.txt``'s texts;
- IMDB: the 50,000 ``unsup`` reviews (``imdb_unsup.jsonl.gz`` beside the source, an aclImdb
  folder's ``train/unsup/``, or the shared copy) + the training split's texts;
- cleaning as configured; ``max_train`` caps the corpus (random, ``split_seed``);
  ``val_fraction`` of it is held out for the LM loss; the tokenizer is trained on the rest
  (or read from ``tokenizer_path``).

Token ids and the tokenizer are cached under ``cache_dir()/text/<name>-lm-<hash>/``, so an MLM
and a CLM run on the same data section share one vocabulary (and prepare once).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from seqlab.atomic import save_npz, write_json
from seqlab.data.text.prepare import TextDataConfig, clean_texts, config_hash
from seqlab.data.text.subword import PAD_ID, subword_encode, subword_load, subword_save, subword_train
from seqlab.errors import ConfigError, DataError
from seqlab.paths import cache_dir, data_root, shared_data_dir

log = logging.getLogger(__name__)


@dataclass
class LmCorpus:
    ids: np.ndarray  # (N, L) int32, [CLS] … [SEP] right-padded with [PAD]=0
    lengths: np.ndarray  # (N,) real tokens per document
    fit: np.ndarray  # row indices trained on
    held_out: np.ndarray  # row indices of the held-out LM loss
    tokenizer_path: Path
    vocab_size: int
    summary: dict = field(default_factory=dict)


def _nsmc_root(cfg) -> Path:
    """The built NSMC folder (built from the raw reviews first when missing, as the dataset does)."""
    from seqlab.data.text.nsmc import nsmc_build

    root = Path(cfg.root) if cfg.root else data_root() / "nsmc"
    if not (root / "ratings_train.txt").is_file():
        raw = Path(cfg.raw_source) if cfg.raw_source else shared_data_dir() / "nsmc" / "reviews.tsv.gz"
        if not raw.is_file():
            raise DataError(f"NSMC not found in {root} and no raw reviews at {raw}; run "
                            "`seqlab data build nsmc --source reviews.tsv.gz` first")
        nsmc_build(raw, root, seed=cfg.build_seed)
    if not (root / "unlabelled.txt").is_file():
        raise DataError(f"{root / 'unlabelled.txt'} not found: NSMC's unlabelled reviews are written "
                        "by `seqlab data build nsmc` (set data.root to the built folder)")
    return root


def _nsmc_sources(cfg) -> list[Path]:
    root = _nsmc_root(cfg)
    return [root / "unlabelled.txt", root / "ratings_train.txt"]


def _nsmc_texts(cfg) -> tuple[list[str], list[str]]:
    from seqlab.data.text.nsmc import read_ratings, read_unlabelled

    unlabelled, train = _nsmc_sources(cfg)
    texts = read_unlabelled(unlabelled)
    notes = [f"NSMC unlabelled remainder ({len(texts):,}) + training texts, labels unused; "
             "the test split is never read"]
    return texts + read_ratings(train)[0], notes


def _imdb_sources(cfg) -> list[Path]:
    """[labelled source, unsup reviews] (the second only when found)."""
    from seqlab.data.text.imdb import default_imdb_source

    source = Path(cfg.source) if cfg.source else default_imdb_source()
    candidates = [source / "train" / "unsup"] if source.is_dir() else [source.with_name("imdb_unsup.jsonl.gz")]
    if cfg.source is None:
        candidates.append(shared_data_dir() / "imdb" / "imdb_unsup.jsonl.gz")
    return [source] + [p for p in candidates if p.exists()][:1]


def _read_unsup(path: Path) -> list[str]:
    if path.is_dir():  # aclImdb/train/unsup/*.txt
        return [f.read_text(encoding="utf-8", errors="replace") for f in sorted(path.glob("*.txt"))]
    with gzip.open(path, "rt", encoding="utf-8", errors="replace") as fh:
        return [json.loads(line)["review"] for line in fh if line.strip()]


def _imdb_texts(cfg) -> tuple[list[str], list[str]]:
    from seqlab.data.text.imdb import read_imdb

    source, *unsup_path = _imdb_sources(cfg)
    train = read_imdb(source).part("train")[0]
    if not unsup_path:
        log.warning("no unlabelled IMDB reviews beside %s: pre-training on the training texts only", source)
        return train, ["no unlabelled reviews found: the training split's texts only, labels unused"]
    unsup = _read_unsup(unsup_path[0])
    return unsup + train, [f"IMDB unsup reviews ({len(unsup):,}, {unsup_path[0]}) + training texts, "
                           "labels unused; the test split is never read"]


CORPORA = {"nsmc": (_nsmc_sources, _nsmc_texts), "imdb": (_imdb_sources, _imdb_texts)}


def _corpus(cfg: TextDataConfig):
    if cfg.name not in CORPORA:
        raise ConfigError(f"data.name {cfg.name!r} has no pre-training corpus; valid: {', '.join(CORPORA)}")
    return CORPORA[cfg.name]


def _held_out(n: int, cfg: TextDataConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kept rows, fit rows, held-out rows): ``max_train`` cap, then the ``val_fraction`` carve."""
    if not 0 < cfg.val_fraction < 1:
        raise ConfigError(f"data.val_fraction must be in (0, 1), got {cfg.val_fraction}")
    rng = np.random.default_rng(cfg.split_seed)
    keep = rng.permutation(n)[: cfg.max_train] if cfg.max_train else rng.permutation(n)
    n_val = max(1, round(cfg.val_fraction * len(keep)))
    return keep, np.sort(keep[n_val:]), np.sort(keep[:n_val])


def _source_id(paths: list[Path]) -> str:
    """Sizes and times of the corpus files: rebuilt data is re-encoded."""
    return ";".join(f"{p}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for p in paths)


def _encode(tok, texts: list[str], max_length: int, chunk: int = 50_000) -> np.ndarray:
    """(N, L) int32 ids, encoded in chunks: the tokenizer's per-document objects for half a
    million reviews at once would take gigabytes."""
    parts = [subword_encode(tok, texts[i:i + chunk], max_length=max_length)["input_ids"].astype(np.int32)
             for i in range(0, len(texts), chunk)]
    return np.concatenate(parts) if parts else np.zeros((0, max_length), dtype=np.int32)


def _build(cfg: TextDataConfig, key_dir: Path) -> None:
    texts, notes = _corpus(cfg)[1](cfg)
    cleaned, _, dropped = clean_texts(cfg, texts, np.zeros(len(texts), dtype=np.int64))
    keep, fit, held = _held_out(len(cleaned), cfg)
    if cfg.tokenizer_path:
        tok = subword_load(cfg.tokenizer_path)
    else:
        tok = subword_train(cleaned[fit].tolist(), kind=cfg.tokenizer, vocab_size=cfg.vocab_size,
                            min_frequency=cfg.min_frequency, lowercase=cfg.tokenizer_lowercase)
    subword_save(tok, key_dir / "tokenizer.json")
    ids = _encode(tok, cleaned[keep].tolist(), cfg.max_length)
    rows = np.empty(len(cleaned), dtype=np.int64)
    rows[keep] = np.arange(len(keep))  # corpus row -> row of the encoded (kept) documents
    save_npz(key_dir / "corpus.npz", ids=ids, lengths=(ids != PAD_ID).sum(1).astype(np.int32),
             fit=rows[fit], held_out=rows[held])
    if dropped:
        notes.append(f"{dropped} documents empty after cleaning dropped")
    if cfg.max_train:
        notes.append(f"capped at max_train={cfg.max_train} documents (random, seed {cfg.split_seed})")
    write_json(key_dir / "corpus.json", {
        "documents": len(keep), "fit": len(fit), "held_out": len(held), "vocab_size": tok.get_vocab_size(),
        "tokenizer": cfg.tokenizer_path or f"{cfg.tokenizer} trained on the fit documents",
        "max_length": cfg.max_length, "notes": notes})


def lm_corpus(cfg: TextDataConfig) -> LmCorpus:
    """Read, clean and tokenise (through the cache) the pre-training corpus of ``cfg``."""
    extra = {"lm": 1, "source": _source_id(_corpus(cfg)[0](cfg))}
    if cfg.tokenizer_path:
        if not Path(cfg.tokenizer_path).is_file():
            raise ConfigError(f"data.tokenizer_path: {cfg.tokenizer_path} not found")
        extra["tokenizer_bytes"] = hashlib.sha256(Path(cfg.tokenizer_path).read_bytes()).hexdigest()
    key_dir = cache_dir() / "text" / f"{cfg.name}-lm-{config_hash(cfg, extra)}"
    if not (key_dir / "corpus.json").is_file():
        _build(cfg, key_dir)
    summary = json.loads((key_dir / "corpus.json").read_text(encoding="utf-8"))
    with np.load(key_dir / "corpus.npz") as z:
        return LmCorpus(z["ids"], z["lengths"], z["fit"], z["held_out"], key_dir / "tokenizer.json",
                        summary["vocab_size"], summary)
