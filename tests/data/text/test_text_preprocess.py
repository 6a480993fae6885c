"""Cleaning rules: HTML, Unicode, whitespace, length, bad bytes, stopwords."""

import pickle

from seqlab.data.text.preprocess import (english_stopwords, english_words, text_clean,
                                         text_decode, text_is_empty, text_remove_stopwords,
                                         text_strip_html, text_truncate)


def test_strip_html_removes_tags_and_unescapes():
    assert text_strip_html("a<br /><br />b &amp; c") == "a  b & c"
    assert text_clean("Great<br /><br />film &amp; <i>cast</i>", strip_html=True) == "Great film & cast"


def test_without_strip_html_tags_stay():
    assert "<br />" in text_clean("a<br />b")


def test_nfkc_folds_full_width_and_compatibility_forms():
    assert text_clean("ＡＢＣ　１２３") == "ABC 123"
    assert text_clean("ｶﾀｶﾅ") == "カタカナ"
    assert text_clean("ＡＢＣ", normalize="none") == "ＡＢＣ"


def test_whitespace_collapsed_and_empty_detected():
    assert text_clean("  a\tb\n\nc  ") == "a b c"
    assert text_is_empty(text_clean(" \t\n "))
    assert text_is_empty("")
    assert not text_is_empty("x")


def test_bad_utf8_bytes_are_replaced_and_counted():
    text, bad = text_decode("Caf".encode() + b"\xe9" + " ok".encode())
    assert text == "Caf\ufffd ok" and bad == 1
    text, bad = text_decode("진짜 \ufffd".encode())  # a real U+FFFD is not counted as bad
    assert bad == 0


def test_very_long_text_is_cut():
    long = "좋아요 " * 10_000
    assert len(text_clean(long, max_chars=500)) == 500
    assert text_truncate("abc", None) == "abc"


def test_stopwords_keep_negations():
    stop = english_stopwords()
    assert {"the", "and", "is"} <= stop
    assert not {"not", "no", "nor"} & stop
    assert text_remove_stopwords("This is not a good film") == "not good film"
    assert english_words("The film was NOT good") == ["film", "not", "good"]
    pickle.dumps(english_words)
