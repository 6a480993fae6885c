"""kiwipiepy tokenisation modes, the user dictionary, pickling."""

import pickle

import pytest

from seqlab.data.text.korean import KiwiTokenizer, read_userdic
from seqlab.models.sklearn_text import split_space
from seqlab.errors import DataError


@pytest.fixture(scope="module")
def morphs():
    return KiwiTokenizer("morphs")


def test_modes(morphs):
    text = "배우들 연기가 너무 좋았다"
    assert morphs(text)[:3] == ["배우", "들", "연기"]
    assert KiwiTokenizer("nouns")(text) == ["배우", "연기"]
    pos = KiwiTokenizer("pos")(text)
    assert "좋/VA" in pos and "너무/MAG" in pos and all("/" in t for t in pos)
    with pytest.raises(DataError, match="valid: morphs, nouns, pos"):
        KiwiTokenizer("lemmas")


def test_empty_and_batch(morphs):
    assert morphs("") == [] and morphs("   ") == []
    batch = morphs.tokenize_many(["재밌다", "", "지루하다"])
    assert len(batch) == 3 and batch[1] == []


def test_user_dictionary_keeps_new_words_whole(fixtures):
    entries = read_userdic(fixtures / "userdic.txt")
    assert ("스파이더맨", "NNP", 0.0) in entries and ("이응경", "NNP", 0.0) in entries
    plain = KiwiTokenizer("nouns")("걍인생영화")
    custom = KiwiTokenizer("nouns", userdic=str(fixtures / "userdic.txt"))("걍인생영화")
    assert custom == ["걍인생영화"] and plain != custom


def test_pickles_without_the_analyser(morphs):
    morphs("워밍업")
    clone = pickle.loads(pickle.dumps(morphs))
    assert clone._kiwi is None and clone("최고의 영화") == morphs("최고의 영화")
    assert pickle.loads(pickle.dumps(split_space))("a b") == ["a", "b"]
