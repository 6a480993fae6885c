"""A pre-trained checkpoint's own tokenizer as a run's tokenizer, offline: read with AutoTokenizer
from a tiny BERT written with save_pretrained, saved as a plain tokenizers file that pads with
the checkpoint's id (0 like BERT, or 1 like RoBERTa and KoBERT) and encodes exactly as
transformers does; a vocab.txt-only checkpoint converts; one without a vocabulary is refused."""

import doctest
import json
import shutil

import numpy as np
import pytest

from hf_tiny import tiny_checkpoint
from seqlab.data.text import hf_tokenizer
from seqlab.data.text.hf_tokenizer import encode_tokens, pretrained_tokenizer_file
from seqlab.errors import DataError

TEXTS = ["배우들 연기가 좋았다", "지루하고 긴 영화", "A great film", "bad plot, boring"]


@pytest.fixture(autouse=True)
def isolated(data_root):
    return data_root


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory):
    """Two tiny checkpoints: one pads with id 0 (BERT), one with id 1 (RoBERTa, KoBERT)."""
    root = tmp_path_factory.mktemp("hf")
    return {pad: tiny_checkpoint(root / f"pad{pad}", TEXTS, pad_id=pad) for pad in (0, 1)}


@pytest.mark.parametrize("pad", [0, 1])
def test_the_checkpoints_tokenizer_is_saved_with_its_padding(checkpoints, no_network, pad):
    from tokenizers import Tokenizer
    from transformers import AutoTokenizer

    path = pretrained_tokenizer_file(str(checkpoints[pad]))
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert saved["padding"]["pad_id"] == pad and saved["truncation"] is None
    tok = Tokenizer.from_file(str(path))
    x = encode_tokens(tok, TEXTS, max_length=8)  # the last two are cut to 8 tokens, [SEP] kept
    want = AutoTokenizer.from_pretrained(checkpoints[pad], local_files_only=True)(
        TEXTS, padding="max_length", truncation=True, max_length=8, return_tensors="np")
    np.testing.assert_array_equal(x["input_ids"], want["input_ids"])
    np.testing.assert_array_equal(x["attention_mask"], want["attention_mask"])
    assert tok.padding["pad_id"] == pad  # left as found, for the next call
    assert not no_network


def test_a_slow_vocab_txt_checkpoint_is_converted(checkpoints, tmp_path):
    """Original BERT releases ship vocab.txt only: AutoTokenizer builds the fast tokenizer."""
    old = shutil.copytree(checkpoints[0], tmp_path / "old")
    (old / "tokenizer.json").unlink()
    new = json.loads(pretrained_tokenizer_file(str(old)).read_text(encoding="utf-8"))
    assert new["model"]["vocab"] == json.loads((checkpoints[0] / "tokenizer.json").read_text())["model"]["vocab"]


def test_the_examples_run():
    result = doctest.testmod(hf_tokenizer)
    assert result.failed == 0 and result.attempted > 0


def test_a_tokenizer_without_its_vocabulary_is_refused(checkpoints, tmp_path):
    bare = shutil.copytree(checkpoints[0], tmp_path / "bare")
    for name in ("tokenizer.json", "vocab.txt"):
        (bare / name).unlink()
    with pytest.raises(DataError, match="no vocabulary"):
        pretrained_tokenizer_file(str(bare))
