"""kiwipiepy tokenisation modes, the user dictionary, pickling."""

import pickle

import pytest

from seqlab.data.text.korean import KiwiTokenizer, MorphCache, read_userdic
from seqlab.errors import DataError
from seqlab.models.sklearn_text import split_space


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


TEXTS = ["배우들 연기가 너무 좋았다", "", "지루하다 ㅋㅋ 10점 만점에 2점", "배우들 연기가 너무 좋았다",
         "   ", "스토리가 뻔하지만, 택시 시리즈는 괜찮음..6점", "Marvel 영화 중 최고!!"]


def test_cache_returns_identical_morphemes_without_loading_kiwi(morphs, tmp_path):
    cache = MorphCache(tmp_path / "kiwi.sqlite")
    first = KiwiTokenizer("morphs", cache=cache)
    first._kiwi = morphs._analyser()  # the fixture's loaded analyser (loading one takes seconds)
    direct = [morphs(t) for t in TEXTS]
    assert first.tokenize_many(TEXTS) == direct
    again = KiwiTokenizer("morphs", cache=MorphCache(tmp_path / "kiwi.sqlite"))
    assert again.tokenize_many(TEXTS) == direct and again._kiwi is None  # every text from the cache
    pos = KiwiTokenizer("pos", cache=cache)  # other modes read the same stored analyses
    pos_direct = KiwiTokenizer("pos")
    pos_direct._kiwi = morphs._analyser()
    assert pos.tokenize_many(TEXTS) == [pos_direct(t) for t in TEXTS] and pos._kiwi is None


def test_cache_is_scoped_by_user_dictionary(morphs, tmp_path, fixtures):
    cache = MorphCache(tmp_path / "kiwi.sqlite")
    tok = KiwiTokenizer("nouns", cache=cache)
    tok._kiwi = morphs._analyser()
    tok.tokenize_many(["걍인생영화"])
    assert cache.get_many(["걍인생영화"]) and not cache.get_many(["걍인생영화"], str(fixtures / "userdic.txt"))


def test_an_unusable_cache_is_switched_off_with_one_warning(morphs, tmp_path):
    (tmp_path / "dir.sqlite").mkdir()  # a directory where the file should be
    tok = KiwiTokenizer("morphs", cache=MorphCache(tmp_path / "dir.sqlite"))
    tok._kiwi = morphs._analyser()
    with pytest.warns(RuntimeWarning, match="switched off"):
        assert tok.tokenize_many(TEXTS[:3]) == [morphs(t) for t in TEXTS[:3]]
    assert tok.cache._off


def test_kiwi_transformer_reads_the_cache_set_in_the_environment(morphs, tmp_path, data_root, monkeypatch):
    from seqlab.data.text.analysers import KiwiMorphs, shared_tokenizer

    shared_tokenizer("morphs", None, 2)._kiwi = morphs._analyser()
    monkeypatch.setenv("SEQLAB_KIWI_CACHE", "off")
    plain = KiwiMorphs().transform(TEXTS).tolist()
    assert plain == [" ".join(morphs(t)) for t in TEXTS] and not data_root.exists()
    monkeypatch.setenv("SEQLAB_KIWI_CACHE", str(tmp_path / "k.sqlite"))
    assert KiwiMorphs().transform(TEXTS).tolist() == plain and (tmp_path / "k.sqlite").is_file()
    monkeypatch.delenv("SEQLAB_KIWI_CACHE")
    assert KiwiMorphs().transform(TEXTS).tolist() == plain
    assert (data_root / "cache" / "text" / "kiwi-morphs.sqlite").is_file()  # the default place


@pytest.mark.parametrize("mode,tags", [("morphs", None), ("morphs", ("NNG", "VA")), ("nouns", None), ("pos", None)])
def test_joined_many_is_tokenize_many_joined(morphs, tmp_path, mode, tags):
    """What the vectorisers read, from the cache's rows (never split into lists) or from Kiwi."""
    direct = KiwiTokenizer(mode, tags=tags)
    direct._kiwi = morphs._analyser()
    want = [" ".join(direct(t)) for t in TEXTS]
    assert direct.joined_many(TEXTS) == want  # no cache: Kiwi's analyses
    cached = KiwiTokenizer(mode, tags=tags, cache=MorphCache(tmp_path / "j.sqlite"))
    cached._kiwi = morphs._analyser()
    assert cached.joined_many(TEXTS) == want  # fills the cache
    again = KiwiTokenizer(mode, tags=tags, cache=MorphCache(tmp_path / "j.sqlite"))
    assert again.joined_many(TEXTS) == want and again._kiwi is None
