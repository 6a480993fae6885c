"""``seqlab generate RUN --class C --n N --out beats.npz`` and its one-line errors."""

import numpy as np
import pytest

from seqlab.cli.main import main

from gen_helpers import NUM_RR, SHAPE, shared_generator


@pytest.fixture(scope="module")
def gen_run(tmp_path_factory):
    return shared_generator(tmp_path_factory)


def test_generate_writes_the_requested_count_of_the_requested_class(gen_run, tmp_path, capsys):
    out = tmp_path / "beats.npz"
    assert main(["generate", str(gen_run), "--class", "S", "--n", "123", "--out", str(out)]) == 0
    assert "123 S beats" in capsys.readouterr().out
    with np.load(out) as z:
        assert z["x"].shape == (123, *SHAPE) and z["rr"].shape == (123, NUM_RR)
        assert str(z["class_name"]) == "S" and (z["y"] == list(z["classes"]).index("S")).all()
        # RR rows come from real S training beats (around 0.6), not from N (around 1.0)
        assert abs(float(z["rr"].mean()) - 0.6) < 0.1


def one_line_error(capsys, argv, code, *words):
    assert main(argv) == code
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and all(w in err[0] for w in words), err


def test_missing_run_unknown_class_and_classifier_run_are_one_line(gen_run, smoke_run, tmp_path, capsys):
    out = str(tmp_path / "b.npz")
    one_line_error(capsys, ["generate", str(tmp_path / "nope"), "--class", "S", "--out", out], 1, "not found")
    one_line_error(capsys, ["generate", str(gen_run), "--class", "Q", "--out", out], 2, "'Q'", "N, S")
    one_line_error(capsys, ["generate", str(smoke_run), "--class", "S", "--out", out], 1, "not a generator run")
    one_line_error(capsys, ["generate", str(gen_run), "--class", "S", "--n", "0", "--out", out], 2, "--n")
    one_line_error(capsys, ["evaluate", str(gen_run)], 2, "generator run")
