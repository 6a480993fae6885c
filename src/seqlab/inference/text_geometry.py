"""``seqlab text geometry RUN``: Ethayarajh (2019)'s measures of how contextual a text encoder's
representations are, per layer (0 = the token embeddings), on reviews of a corpus.

The encoder comes from a ``seqlab pretrain`` output (``encoder.pt``) or a fine-tuned Transformer
classifier run (its ``encoder``), with the run's own tokenizer. Every subword occurrence of
the reviews except [CLS], [SEP] and padding is one vector per layer; occurrences are capped
(seeded sample) so the table takes seconds, not minutes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from seqlab.errors import ConfigError
from seqlab.evaluation.geometry import layer_measures

MAX_OCCURRENCES = 40_000
SPECIAL = ("[CLS]", "[SEP]", "[PAD]", "[MASK]", "[UNK]")


def load_encoder(run_dir: str | Path):
    """``(encoder, tokenizer)`` of a pre-training output or a Transformer classifier run."""
    run_dir = Path(run_dir)
    if (run_dir / "encoder.pt").is_file():
        from tokenizers import Tokenizer

        from seqlab.models.text_transformer import load_pretrained, make_bert

        ckpt = load_pretrained(run_dir)
        encoder = make_bert(ckpt["bert_config"])
        encoder.load_state_dict(ckpt["encoder"])
        return encoder.eval(), Tokenizer.from_str(ckpt["tokenizer_json"])
    from seqlab.data.text.subword import subword_load
    from seqlab.inference.loading import load_model

    model = load_model(run_dir)
    encoder = getattr(model, "encoder", None)
    if encoder is None or not hasattr(encoder, "config"):
        raise ConfigError(f"{run_dir} holds no Transformer encoder: give a `seqlab pretrain` output or a "
                          "text_transformer / text_bert_* run")
    return encoder.eval(), subword_load(run_dir / "artifacts" / "tokenizer.json")


def occurrences(encoder, tokenizer, texts: list[str], *, max_length: int = 64, seed: int = 0,
                batch_size: int = 64) -> tuple[list[np.ndarray], np.ndarray, np.ndarray]:
    """Per layer ``(M, H)`` vectors of every kept occurrence, their token ids and sentence ids."""
    import torch

    from seqlab.data.text.subword import subword_encode

    enc = subword_encode(tokenizer, texts, max_length=max_length)
    special = {tokenizer.token_to_id(t) for t in SPECIAL} - {None}
    ids, mask = enc["input_ids"], enc["attention_mask"].astype(bool)
    keep = mask & ~np.isin(ids, list(special))  # (N, L)
    layers: list[list[np.ndarray]] = []
    with torch.no_grad():
        for start in range(0, len(texts), batch_size):
            sl = slice(start, start + batch_size)
            out = encoder(input_ids=torch.from_numpy(ids[sl]), attention_mask=torch.from_numpy(enc["attention_mask"][sl]),
                          output_hidden_states=True)
            for k, h in enumerate(out.hidden_states):  # (B, L, H) per layer
                if len(layers) <= k:
                    layers.append([])
                layers[k].append(h.numpy()[keep[sl]])
    words = ids[keep]
    sentences = np.broadcast_to(np.arange(len(texts))[:, None], ids.shape)[keep]
    pick = np.sort(np.random.default_rng(seed).choice(len(words), size=min(MAX_OCCURRENCES, len(words)), replace=False))
    return [np.concatenate(v)[pick] for v in layers], words[pick], sentences[pick]


def geometry(run_dir: str | Path, texts: list[str], *, max_length: int = 64, seed: int = 0) -> list[dict[str, Any]]:
    """One row per layer: the measures of ``evaluation.geometry.layer_measures``."""
    if len(texts) < 10:
        raise ConfigError(f"{len(texts)} texts: the measures need at least 10 (use --n)")
    encoder, tokenizer = load_encoder(run_dir)
    vectors, words, sentences = occurrences(encoder, tokenizer, texts, max_length=max_length, seed=seed)
    return [{"layer": k, **layer_measures(v, words, sentences, seed=seed)} for k, v in enumerate(vectors)]
