"""A tiny Hugging Face encoder checkpoint written with ``save_pretrained``, for offline tests of
``hf_encoder`` (the machines that run the tests cannot reach the hub): a BERT with hidden size
32 and 2 layers, and a WordPiece vocabulary of the characters of the given texts (each
character and its ``##`` continuation), so Korean and English reviews both tokenise without
[UNK]. ``pad_id=1`` writes a vocabulary that pads with id 1, as RoBERTa and KoBERT do."""

from __future__ import annotations

from pathlib import Path

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def tiny_checkpoint(dest: Path, texts: list[str], *, pad_id: int = 0, max_positions: int = 64,
                    seed: int = 0) -> Path:
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    chars = sorted({c for t in texts for c in t if not c.isspace()})
    specials = list(SPECIALS)
    specials.insert(pad_id, specials.pop(0))  # [PAD] at index pad_id
    vocab = specials + chars + [f"##{c}" for c in chars]
    tokenizer = BertTokenizerFast(vocab={w: i for i, w in enumerate(vocab)}, do_lower_case=False)
    tokenizer.save_pretrained(dest)
    (Path(dest) / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")  # as BERT releases ship it
    config = BertConfig(vocab_size=len(vocab), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=37, max_position_embeddings=max_positions, pad_token_id=pad_id)
    torch.manual_seed(seed)
    BertModel(config).save_pretrained(dest)
    return Path(dest)
