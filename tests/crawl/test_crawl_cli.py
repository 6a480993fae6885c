"""``seqlab crawl`` end to end: crawl, export to the NSMC gzip TSV, and one-line user errors."""

from __future__ import annotations

import subprocess
import sys

import yaml

from seqlab.cli.crawl import main
from seqlab.crawl.export import NSMC_HEADER, read_nsmc_tsv


def write_config(path, config) -> str:
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return str(path)


def test_crawl_then_export_nsmc_tsv(make_site, review_config, tmp_path, capsys):
    base, _ = make_site(traps=False, movies=2, pages=2)
    config = write_config(tmp_path / "c.yaml", review_config(base, tmp_path / "items.jsonl"))
    assert main([config, "--quiet"]) == 0
    assert "16 items" in capsys.readouterr().out
    out = tmp_path / "reviews.tsv.gz"
    assert main(["export", config, "--format", "nsmc-tsv", "--out", str(out)]) == 0
    rows = read_nsmc_tsv(out)
    assert len(rows) == 16 and tuple(rows[0]) == NSMC_HEADER
    by_id = {r["review_id"]: r for r in rows}
    assert by_id["1-1-0"]["rating"] == "1" and "\t" not in by_id["1-1-0"]["review"]
    assert all(1 <= int(r["rating"]) <= 10 for r in rows)


def test_user_mistakes_print_one_line(make_site, review_config, tmp_path, capsys):
    base, _ = make_site(traps=False, movies=1, pages=1)
    bad = review_config(base, tmp_path / "i.jsonl", politeness={"delay": 1})
    assert main([write_config(tmp_path / "bad.yaml", bad)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "unknown key 'politeness.delay' (did you mean 'delay_s'?)" in err

    no_mapping = review_config(base, tmp_path / "i.jsonl")
    del no_mapping["export"]
    path = write_config(tmp_path / "nomap.yaml", no_mapping)
    assert main(["export", path, "--out", str(tmp_path / "x.tsv.gz")]) == 2
    assert "no export.nsmc mapping" in capsys.readouterr().err
    mapped = write_config(tmp_path / "ok.yaml", review_config(base, tmp_path / "i.jsonl"))
    assert main(["export", mapped, "--out", str(tmp_path / "x.tsv.gz"), "--items", str(tmp_path / "none.jsonl")]) == 1
    assert "no crawled items" in capsys.readouterr().err
    assert main(["one.yaml", "two.yaml"]) == 2
    assert main([path, "--resume", "--overwrite"]) == 2


def test_crawl_imports_no_torch_and_no_training_code():
    code = (
        "import sys, seqlab.crawl, seqlab.cli.crawl\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'torch' or m.startswith(('seqlab.training', 'seqlab.models'))]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
