"""Hostile data sources (issue 20): a manifest that points outside the destination, a --dest
that is a file, a manifest that is not UTF-8, fake and truncated .gz corpora. Each is built
here in tmp_path and must end in a one-line seqlab error naming the file and the fix, in
under 2 s and a few MB, with nothing written outside the destination.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

import pytest

from seqlab.cli.main import main
from seqlab.data.ecg.fetch import fetch_mitdb, read_manifest
from seqlab.data.text.imdb import read_imdb
from seqlab.data.text.nsmc import nsmc_build, read_ratings, read_raw_reviews
from seqlab.errors import DataError
from limits import refused


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def source(tmp_path, monkeypatch) -> Path:
    """A local 'mitdb' copy with one file and an honest manifest; the run happens in tmp."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))
    src = tmp_path / "src"
    src.mkdir()
    (src / "100.dat").write_bytes(b"\x01\x02" * 100)
    return src


def write_manifest(src: Path, names: list[str]) -> Path:
    digest = hashlib.sha256((src / "100.dat").read_bytes()).hexdigest()
    path = src / "SHA256SUMS.txt"
    path.write_text("".join(f"{digest}  {name}\n" for name in names))
    return path


def test_honest_manifest_copies_and_verifies(source, tmp_path):
    write_manifest(source, ["100.dat"])
    dest = fetch_mitdb(source=source, dest=tmp_path / "dest")
    assert (dest / "100.dat").read_bytes() == (source / "100.dat").read_bytes()


@pytest.mark.parametrize("name", ["../evil.dat", "sub/../../evil.dat", "ABSOLUTE", "..\\evil.dat"])
def test_manifest_names_leaving_dest_are_refused(source, tmp_path, name):
    (source / "evil.dat").write_bytes(b"x")
    if name == "ABSOLUTE":
        name = str(tmp_path / "evil.dat")
    manifest = write_manifest(source, ["100.dat", name])
    before = files_under(tmp_path)
    refused(lambda: fetch_mitdb(source=source, dest=tmp_path / "dest"), str(manifest),
            repr(name), "leaves the data folder")
    assert files_under(tmp_path) - before <= {"dest"}  # at most the empty destination itself
    assert not (tmp_path / "evil.dat").exists()


def test_symlink_inside_dest_pointing_out_is_refused(source, tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    dest = tmp_path / "dest"
    dest.mkdir()
    (dest / "sub").symlink_to(outside, target_is_directory=True)
    (source / "sub").mkdir()
    (source / "sub" / "100.dat").write_bytes((source / "100.dat").read_bytes())
    write_manifest(source, ["sub/100.dat"])
    refused(lambda: fetch_mitdb(source=source, dest=dest), "'sub/100.dat' resolves outside",
            "symbolic link")
    assert not any(outside.iterdir())


def test_dest_that_is_a_file_is_one_line(source, tmp_path, capsys):
    write_manifest(source, ["100.dat"])
    (tmp_path / "taken").write_text("mine")
    refused(lambda: fetch_mitdb(source=source, dest=tmp_path / "taken"), "--dest",
            "is a file, not a directory")
    assert (tmp_path / "taken").read_text() == "mine"
    code = main(["data", "fetch", "mitdb", "--source", str(source), "--dest", str(tmp_path / "taken")])
    err = capsys.readouterr().err.strip()
    assert code == DataError.exit_code and err.startswith("seqlab: error: --dest") and "\n" not in err


def test_non_utf8_manifest_is_one_line(source, tmp_path):
    (source / "SHA256SUMS.txt").write_bytes(b"\xff\xfe" + b"a" * 64 + b"  100.dat\n")
    refused(lambda: fetch_mitdb(source=source, dest=tmp_path / "dest"), "SHA256SUMS.txt",
            "is not UTF-8 text", "real manifest")
    refused(lambda: read_manifest(source / "SHA256SUMS.txt"), "not UTF-8")


# --- NSMC / IMDB raw sources ---------------------------------------------------------------

NSMC_HEAD = "review_id\tmovie_id\trating\tdate\treview\n"


def _fake_gz(path: Path) -> Path:
    path.write_text(NSMC_HEAD + "1\t1\t10\t2020\tgood\n")  # plain text, .gz name
    return path


def _truncated_gz(path: Path, text: str) -> Path:
    blob = gzip.compress(text.encode())
    path.write_bytes(blob[: len(blob) // 2])
    return path


def test_nsmc_fake_and_truncated_gz(tmp_path):
    fake = _fake_gz(tmp_path / "reviews.tsv.gz")
    refused(lambda: read_raw_reviews(fake), str(fake), "not a gzip file", "re-download")
    refused(lambda: nsmc_build(fake, tmp_path / "out"), "not a gzip file")
    assert not (tmp_path / "out").exists()
    cut = _truncated_gz(tmp_path / "cut.tsv.gz", NSMC_HEAD + "".join(
        f"{i}\t1\t{i % 10 + 1}\t2020\treview number {i}\n" for i in range(2000)))
    refused(lambda: read_raw_reviews(cut), str(cut), "truncated", "re-download it")
    ratings = _truncated_gz(tmp_path / "ratings_train.txt.gz", "id\tdocument\tlabel\n" + "".join(
        f"{i}\ttext {i}\t{i % 2}\n" for i in range(3000)))
    refused(lambda: read_ratings(ratings), str(ratings), "truncated")


def test_imdb_fake_truncated_and_malformed_jsonl(tmp_path):
    rows = "".join(json.dumps({"split": "train", "label": "pos", "review": f"fine {i}"}) + "\n"
                   for i in range(3000))
    fake = tmp_path / "imdb_labelled.jsonl.gz"
    fake.write_text(rows)
    refused(lambda: read_imdb(fake), str(fake), "not a gzip file")
    cut = _truncated_gz(tmp_path / "cut.jsonl.gz", rows)
    refused(lambda: read_imdb(cut), str(cut), "truncated", "re-download it")
    csv_cut = _truncated_gz(tmp_path / "cut.csv.gz", "review,sentiment\n" + "a fine film,positive\n" * 3000)
    refused(lambda: read_imdb(csv_cut), str(csv_cut), "truncated")
    odd = tmp_path / "odd.jsonl"
    odd.write_text('{"split": "train", "label": "pos"}\n[1, 2]\n')
    refused(lambda: read_imdb(odd), f"{odd}:1", "missing review")
    nul = tmp_path / "nul.csv"
    nul.write_bytes(b"review,sentiment\n\"a\x00b,positive\n")
    msg = refused(lambda: read_imdb(nul), str(nul))
    assert "line contains NUL" in msg or "not a CSV" in msg or "label" in msg
