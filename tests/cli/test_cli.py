"""The command line as a user meets it: exit codes and one-line errors."""

import subprocess
import sys

from seqlab.cli.main import main

from testpaths import REPO, SMOKE


def seqlab(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "seqlab.cli.main", *args], capture_output=True, text=True,
                          cwd=REPO)


def test_misspelt_key_exits_2_with_one_line():
    out = seqlab("train", str(SMOKE), "optim.lrr=1")
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "lrr" in lines[0] and "'lr'" in lines[0]


def test_missing_config_file_exits_2(tmp_path):
    out = seqlab("train", str(tmp_path / "missing.yaml"))
    assert out.returncode == 2 and "not found" in out.stderr and "Traceback" not in out.stderr


def test_list_models_and_datasets(capsys):
    assert main(["list", "models"]) == 0
    models = capsys.readouterr().out
    assert "tiny_cnn" in models and "kachuee_resnet" in models
    assert main(["list", "datasets"]) == 0
    assert "synthetic_waves" in capsys.readouterr().out


def test_report_compares_runs(smoke_run, capsys, tmp_path):
    out = tmp_path / "cmp.html"
    assert main(["report", str(smoke_run), str(smoke_run), "--out", str(out)]) == 0
    assert "macro_f1" in capsys.readouterr().out
    assert "<table>" in out.read_text()


def test_evaluate_prints_the_table(smoke_run, capsys):
    assert main(["evaluate", str(smoke_run), "--split", "val"]) == 0
    assert "val split" in capsys.readouterr().out
    assert (smoke_run / "metrics_val.json").exists()
