"""Subword tokenizers: fixed special ids, shapes, truncation, save/load, both kinds."""

import numpy as np
import pytest

from seqlab.data.text.subword import (CLS_ID, MASK_ID, PAD_ID, SEP_ID, subword_encode,
                                      subword_load, subword_save, subword_train)
from seqlab.errors import DataError

TEXTS = ["정말 재밌는 영화", "지루한 영화였다", "great film", "boring film"] * 20


@pytest.mark.parametrize("kind", ["wordpiece", "bpe"])
def test_train_encode_save_load(kind, tmp_path):
    tok = subword_train(TEXTS, kind=kind, vocab_size=300, min_frequency=1)
    assert tok.token_to_id("[MASK]") == MASK_ID and tok.token_to_id("[PAD]") == PAD_ID
    x = subword_encode(tok, ["정말 재밌는 영화", "", "great " * 100], max_length=10)
    ids, mask = x["input_ids"], x["attention_mask"]
    assert ids.shape == (3, 10) and ids.dtype == np.int64
    assert ids[0, 0] == CLS_ID and SEP_ID in ids[0]
    assert ids[1, :2].tolist() == [CLS_ID, SEP_ID] and mask[1].sum() == 2  # empty text
    assert mask[2].all() and ids[2, -1] == SEP_ID  # long text truncated, [SEP] kept
    path = subword_save(tok, tmp_path / "tokenizer.json")
    again = subword_encode(subword_load(path), ["정말 재밌는 영화"], max_length=10)
    assert np.array_equal(again["input_ids"][0], ids[0])


def test_unknown_kind_and_missing_file(tmp_path):
    with pytest.raises(DataError, match="valid: wordpiece, bpe"):
        subword_train(TEXTS, kind="unigram")
    with pytest.raises(DataError, match="not found"):
        subword_load(tmp_path / "none.json")


@pytest.mark.parametrize("kind", ["wordpiece", "bpe"])
def test_encoding_matches_the_tokenizers_own_padding(kind):
    """subword_encode pads in numpy: the ids and mask are the tokenizer's padded ones."""
    tok = subword_train(TEXTS, kind=kind, vocab_size=300, min_frequency=1)
    texts = ["정말 재밌는 영화", "", "great " * 100, "지루한", "film film film film film film film", "ＡＢＣ 영화"]
    ours = subword_encode(tok, texts, max_length=8)
    tok.enable_truncation(max_length=8)
    tok.enable_padding(pad_id=PAD_ID, pad_token="[PAD]", length=8)
    ref = tok.encode_batch(texts)
    assert ours["input_ids"].tolist() == [e.ids for e in ref]
    assert ours["attention_mask"].tolist() == [e.attention_mask for e in ref]
