"""TF-IDF cosine search and the `seqlab text similar` handler."""

import argparse
import json

import pytest

from seqlab.cli import text as text_cli
from seqlab.data.text.similarity import SimilarityIndex, corpus_texts
from seqlab.errors import DataError


def test_search_ranks_by_cosine():
    index = SimilarityIndex().fit(["배우들 연기가 좋았다", "지루한 영화", "", "연기가 정말 좋았다"])
    hits = index.search("연기 좋았다", top=5)
    assert len(hits) == 3 and hits[0][1] >= hits[1][1] >= hits[2][1]
    assert hits[-1][0] == "지루한 영화"


def test_empty_corpus_is_an_error():
    with pytest.raises(DataError):
        SimilarityIndex().fit(["", "  "])


def test_cli_handler(fixtures, capsys):
    args = argparse.Namespace(query="최고 감동", top=2, limit=None, json=True,
                              corpus=str(fixtures / "nsmc" / "ratings_train.txt"))
    assert text_cli.cmd_similar(args) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 2 and "감동" in hits[0]["text"]
    assert len(corpus_texts(fixtures / "aclImdb")) == 11


def test_parsers_register():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="command")
    text_cli.register(sub)
    data = sub.add_parser("data").add_subparsers(dest="verb")
    text_cli.register_data(data)
    a = p.parse_args(["data", "build", "nsmc", "--source", "x.tsv.gz", "--seed", "3"])
    assert a.func is text_cli.cmd_build_nsmc and a.seed == 3
    a = p.parse_args(["text", "similar", "q", "--top", "5"])
    assert a.func is text_cli.cmd_similar
    a = p.parse_args(["pretrain", "c.yaml", "trainer.max_steps=5"])
    assert a.overrides == ["trainer.max_steps=5"]
