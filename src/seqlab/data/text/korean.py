"""Korean morphological tokenisation with kiwipiepy (Kiwi), as picklable callables.

Korean glues particles and endings onto stems (영화가, 영화를, 영화는 are one noun), so word
n-grams over raw spaces fragment the vocabulary; morphemes are the usual unit for count /
TF-IDF models. Three modes, dispatched through ``_MODES``:

- ``morphs``: every morpheme form (영화 / 가 / 재밌 / 었 / 다);
- ``nouns``: nouns only (tags NN*, plus foreign words SL and Chinese characters SH);
- ``pos``: ``form/TAG`` for the content tags in ``tags`` (default nouns, verbs, adjectives,
  adverbs, roots, exclamations, foreign words); the tag keeps 재밌/VA apart from 재밌/NNG.

A user dictionary (Komoran ``userdic`` format: ``word<TAB>TAG`` per line, ``#`` comments; an
optional third column is Kiwi's score) adds words the analyser splits wrongly, e.g. new film
titles or slang. ``KiwiTokenizer`` builds its analyser lazily and drops it when pickled, so a
fitted scikit-learn pipeline that holds one pickles and reloads.

Why a cache (``MorphCache``): kiwipiepy 0.24 ships only its CoNg model, which analyses a few
hundred reviews/s per core and takes seconds to load, while the rest of the best NSMC model runs
at thousands of reviews/s. An analysis depends only on the text, the analyser's version and the
user dictionary, so ``tokenize_many`` looks each text up first and runs Kiwi only on texts it
has never seen (and never loads Kiwi when it has seen them all).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import warnings
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from seqlab.errors import DataError

DEFAULT_POS_TAGS = ("NNG", "NNP", "NNB", "NR", "NP", "VV", "VA", "VX", "MAG", "MAJ", "XR", "IC",
                    "SL", "SH", "SN", "VCN")
NOUN_TAGS = ("NNG", "NNP", "NNB", "NR", "NP", "SL", "SH")


def read_userdic(path: str | Path) -> list[tuple[str, str, float]]:
    """Parse a user dictionary: ``word[<TAB>TAG[<TAB>score]]`` lines; TAG defaults to NNP."""
    entries = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = line.rstrip("\n").split("\t")
        word = parts[0].strip()
        tag = parts[1].strip() if len(parts) > 1 and parts[1].strip() else "NNP"
        try:
            score = float(parts[2]) if len(parts) > 2 and parts[2].strip() else 0.0
        except ValueError:
            raise DataError(f"{path}:{lineno}: score {parts[2]!r} is not a number") from None
        entries.append((word, tag, score))
    return entries


class KiwiTokenizer:
    """Callable ``text -> list[str]`` for ``CountVectorizer(tokenizer=...)`` and batch
    ``tokenize_many(texts)`` (Kiwi's multi-threaded path, much faster than per-document calls).
    ``cache``: a ``MorphCache`` (or None) that ``tokenize_many`` reads before running Kiwi.

    >>> KiwiTokenizer("nouns")("배우들 연기가 좋았다")
    ['배우', '연기']
    """

    def __init__(self, mode: str = "morphs", *, tags: Iterable[str] | None = None,
                 userdic: str | None = None, num_workers: int = 1, cache=None):
        if mode not in _MODES:
            raise DataError(f"unknown kiwi mode {mode!r}; valid: {', '.join(_MODES)}")
        self.mode = mode
        self.tags = tuple(tags) if tags is not None else None
        self.userdic = userdic
        self.num_workers = num_workers
        self.cache = cache
        self._kiwi = None

    def _analyser(self):
        if self._kiwi is None:
            from kiwipiepy import Kiwi

            kiwi = Kiwi(num_workers=self.num_workers)
            if self.userdic:
                for word, tag, score in read_userdic(self.userdic):
                    kiwi.add_user_word(word, tag, score)
            self._kiwi = kiwi
        return self._kiwi

    def analyse_many(self, texts: list[str]) -> list[Analysis]:
        """Kiwi's ``(forms, tags)`` per text; an empty text gives ``([], [])`` without Kiwi."""
        todo = [t for t in dict.fromkeys(texts) if t and not t.isspace()]
        found = self.cache.get_many(todo, self.userdic) if self.cache is not None and todo else {}
        found.update(self._analyse_fresh([t for t in todo if t not in found]))
        return [found.get(t, _NOTHING) for t in texts]

    def joined_many(self, texts: Iterable[str]) -> list[str]:
        """The tokens of each text joined by spaces (what the vectorisers read), the same as
        ``" ".join`` over ``tokenize_many``. A cached text is never split into lists: in
        ``morphs`` mode its stored tab-joined forms only swap tabs for spaces (with 50,000
        reviews, the lists and their garbage collection took half the time of a warm cache)."""
        texts = list(texts)
        todo = [t for t in dict.fromkeys(texts) if t and not t.isspace()]
        rows = self.cache.get_rows(todo, self.userdic) if self.cache is not None and todo else {}
        select, tags = _MODES[self.mode], self.tags
        if self.mode == "morphs" and tags is None:
            joined = {t: forms.replace("\t", " ") for t, (forms, _) in rows.items()}
        else:
            joined = {t: " ".join(select(*_split_row(forms, kinds), tags)) for t, (forms, kinds) in rows.items()}
        fresh = self._analyse_fresh([t for t in todo if t not in joined])
        joined.update({t: " ".join(select(forms, kinds, tags)) for t, (forms, kinds) in fresh.items()})
        return [joined.get(t, "") for t in texts]

    def _analyse_fresh(self, texts: list[str]) -> dict[str, Analysis]:
        """Kiwi's analysis of texts the cache lacks, written to the cache."""
        if not texts:
            return {}
        fresh = {t: ([tok.form for tok in toks], [str(tok.tag) for tok in toks])
                 for t, toks in zip(texts, self._analyser().tokenize(texts))}
        if self.cache is not None:
            self.cache.put_many(fresh, self.userdic)
        return fresh

    def __call__(self, text: str) -> list[str]:
        if not text or text.isspace():
            return []
        toks = self._analyser().tokenize(text)
        return _MODES[self.mode]([t.form for t in toks], [str(t.tag) for t in toks], self.tags)

    def tokenize_many(self, texts: Iterable[str]) -> list[list[str]]:
        select, tags = _MODES[self.mode], self.tags
        return [select(forms, kinds, tags) for forms, kinds in self.analyse_many(list(texts))]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state["_kiwi"] = None
        return state

    def __repr__(self) -> str:
        return f"KiwiTokenizer(mode={self.mode!r}, userdic={self.userdic!r})"


def _morphs(forms, kinds, tags) -> list[str]:
    return list(forms) if tags is None else [f for f, k in zip(forms, kinds) if k in tags]


def _nouns(forms, kinds, tags) -> list[str]:
    keep = tags or NOUN_TAGS
    return [f for f, k in zip(forms, kinds) if k in keep]


def _pos(forms, kinds, tags) -> list[str]:
    keep = tags or DEFAULT_POS_TAGS
    return [f"{f}/{k}" for f, k in zip(forms, kinds) if k.split("-")[0] in keep]


_MODES = {"morphs": _morphs, "nouns": _nouns, "pos": _pos}

Analysis = tuple[list[str], list[str]]  # (forms, tags), one entry per morpheme
_NOTHING: Analysis = ([], [])


def _split_row(forms: str, tags: str) -> Analysis:
    """A cache row's tab-joined forms and tags as lists (an empty analysis is stored as "")."""
    return (forms.split("\t"), tags.split("\t")) if forms else _NOTHING


class MorphCache:
    """Kiwi's ``(forms, tags)`` by text, in an SQLite file that processes share.

    The key is a 16-byte BLAKE2 hash of the analyser's identity (kiwipiepy and model versions,
    the user dictionary's bytes) and the text, so an upgrade or a new dictionary never reads old
    analyses. SQLite's transactions make each batch's write atomic. A cache that cannot be read
    or written (read-only disk, a locked or corrupt file) is switched off with one warning: it
    never fails a prediction.
    """

    _CHUNK = 900  # keys per SELECT (well under SQLite's bound on query parameters)

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._off = False

    def get_many(self, texts: list[str], userdic: str | None = None) -> dict[str, Analysis]:
        return {t: _split_row(forms, tags) for t, (forms, tags) in self.get_rows(texts, userdic).items()}

    def get_rows(self, texts: list[str], userdic: str | None = None) -> dict[str, tuple[str, str]]:
        """The stored rows: (forms, tags), each tab-joined, by text."""
        keys = {_key(_scope(userdic), t): t for t in texts}
        found: dict[str, tuple[str, str]] = {}
        if self._off or not self.path.is_file():
            return found
        blobs = list(keys)
        with self._connect() as db:
            if db is None:
                return found
            for i in range(0, len(blobs), self._CHUNK):
                chunk = blobs[i:i + self._CHUNK]
                rows = db.execute(f"SELECT key, forms, tags FROM morphs WHERE key IN ({','.join('?' * len(chunk))})",
                                  chunk).fetchall()
                found.update((keys[key], (forms, tags)) for key, forms, tags in rows)
        return found

    def put_many(self, analyses: dict[str, Analysis], userdic: str | None = None) -> None:
        scope = _scope(userdic)
        rows = [(_key(scope, text), "\t".join(forms), "\t".join(tags))
                for text, (forms, tags) in analyses.items()
                if not any("\t" in f for f in forms)]  # a tab inside a form would not split back
        if self._off or not rows:
            return
        with self._connect(create=True) as db:
            if db is not None:
                with db:  # one transaction
                    db.executemany("INSERT OR IGNORE INTO morphs VALUES (?, ?, ?)", rows)

    def _connect(self, create: bool = False):
        return _Connection(self, create)

    def _fail(self, exc: Exception) -> None:
        self._off = True
        warnings.warn(f"Kiwi morpheme cache {self.path} switched off ({type(exc).__name__}: {exc}); "
                      "set SEQLAB_KIWI_CACHE to another file, or to off", RuntimeWarning, stacklevel=3)


class _Connection:
    """``with``: an open connection to a cache's file (None once the cache is off)."""

    def __init__(self, cache: MorphCache, create: bool):
        self.cache, self.create, self.db = cache, create, None

    def __enter__(self):
        try:
            if self.create:
                self.cache.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(self.cache.path, timeout=60)
            if self.create:
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("CREATE TABLE IF NOT EXISTS morphs "
                                "(key BLOB PRIMARY KEY, forms TEXT NOT NULL, tags TEXT NOT NULL) WITHOUT ROWID")
        except (sqlite3.Error, OSError) as exc:
            self.cache._fail(exc)
            self.db = None
        return self.db

    def __exit__(self, kind, exc, tb) -> bool:
        if self.db is not None:
            self.db.close()
        if isinstance(exc, (sqlite3.Error, OSError)):
            self.cache._fail(exc)
            return True
        return False


def default_morph_cache() -> MorphCache | None:
    """``$SEQLAB_KIWI_CACHE`` (a file, or ``off``), else ``<cache dir>/text/kiwi-morphs.sqlite``."""
    from seqlab.paths import cache_dir

    setting = os.environ.get("SEQLAB_KIWI_CACHE")
    if setting is not None and setting.strip().lower() in ("", "0", "off", "none", "false"):
        return None
    return MorphCache(Path(setting).expanduser() if setting else cache_dir() / "text" / "kiwi-morphs.sqlite")


@lru_cache(maxsize=16)
def _scope(userdic: str | None) -> bytes:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for dist in ("kiwipiepy", "kiwipiepy_model"):
        try:
            parts.append(f"{dist}={version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist}=?")
    if userdic:
        path = Path(userdic)
        parts.append(hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else f"missing:{userdic}")
    return ";".join(parts).encode()


def _key(scope: bytes, text: str) -> bytes:
    return hashlib.blake2b(scope + b"\0" + text.encode("utf-8", "surrogatepass"), digest_size=16).digest()
