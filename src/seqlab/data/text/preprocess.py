"""Text cleaning shared by every text dataset: bytes → str, HTML, Unicode form, length, stopwords.

Each step is a pure function ``text_verb(text) -> text`` so a dataset composes exactly the steps
its config names, and a test can check one step alone. The rules for awkward input are fixed
here, once:

- **non-UTF-8 bytes** are decoded with ``errors="replace"`` (each bad byte becomes U+FFFD) and
  counted, never raised: one bad byte must not lose a 600,000-line corpus;
- **empty or whitespace-only** documents (after cleaning) are dropped by the dataset and counted
  in its summary; ``text_is_empty`` is the single test for "empty";
- **very long** documents are cut to ``max_chars`` characters (a review longer than a few
  thousand characters carries no more signal and costs tokeniser time); subword encoding then
  truncates to ``max_length`` tokens.

>>> text_clean("Great<br /><br />film &amp; cast", strip_html=True)
'Great film & cast'
>>> text_normalize("ＡＢＣ１２３")
'ABC123'
"""

from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from importlib import resources

_TAG = re.compile(r"<[^>]{0,200}>")
_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"(?u)\b\w[\w']*\b")


def text_decode(data: bytes) -> tuple[str, int]:
    """UTF-8 bytes → (text, number of undecodable bytes replaced by U+FFFD)."""
    text = data.decode("utf-8", errors="replace")
    return text, text.count("\ufffd") - data.decode("utf-8", errors="ignore").count("\ufffd")


def text_strip_html(text: str) -> str:
    """Remove tags (IMDB's ``<br />``) and unescape entities (``&amp;`` → ``&``)."""
    return html.unescape(_TAG.sub(" ", text))


def text_normalize(text: str, form: str = "NFKC") -> str:
    """Unicode normalisation: NFKC folds full-width forms and compatibility jamo, so the same
    word typed two ways becomes one token."""
    return unicodedata.normalize(form, text) if form and form.lower() != "none" else text


def text_squeeze(text: str) -> str:
    """Collapse runs of whitespace (tabs, newlines) into one space and trim the ends."""
    return _SPACE.sub(" ", text).strip()


def text_truncate(text: str, max_chars: int | None) -> str:
    """Keep the first ``max_chars`` characters (``None`` or 0 keeps everything)."""
    return text[:max_chars] if max_chars and len(text) > max_chars else text


def text_is_empty(text: str) -> bool:
    return not text or text.isspace()


def text_clean(
    text: str,
    *,
    strip_html: bool = False,
    normalize: str = "NFKC",
    lowercase: bool = False,
    max_chars: int | None = None,
) -> str:
    """The dataset-level cleaning pipeline, in a fixed order: HTML, Unicode, whitespace,
    case, length."""
    if strip_html:
        text = text_strip_html(text)
    text = text_squeeze(text_normalize(text, normalize))
    if lowercase:
        text = text.lower()
    return text_truncate(text, max_chars)


@lru_cache(maxsize=1)
def english_stopwords() -> frozenset[str]:
    """The English stopword list shipped as ``stopwords_en.txt`` (NLTK's list without the
    negations *no, not, nor* and the *n't* forms: for sentiment "not good" must keep its not)."""
    words = resources.files("seqlab.data.text").joinpath("stopwords_en.txt").read_text("utf-8")
    return frozenset(w.strip() for w in words.splitlines() if w.strip() and not w.startswith("#"))


def text_remove_stopwords(text: str, stopwords: frozenset[str] | None = None) -> str:
    """Drop English stopwords (case-insensitive), keeping word order; punctuation is dropped."""
    stop = english_stopwords() if stopwords is None else stopwords
    return " ".join(w for w in _WORD.findall(text) if w.lower() not in stop)


def english_words(text: str) -> list[str]:
    """Lower-cased word tokens without stopwords: a picklable ``tokenizer=`` for vectorisers."""
    stop = english_stopwords()
    return [w for w in _WORD.findall(text.lower()) if w not in stop]
