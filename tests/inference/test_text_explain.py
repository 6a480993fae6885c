"""`seqlab explain RUN --text`: token attributions of a neural run, terms of a linear run."""

from pathlib import Path

import pytest

from seqlab import config
from seqlab.cli.main import main
from seqlab.inference.text_explain import explain_text
from seqlab.training import run

REPO = Path(__file__).resolve().parents[2]
NSMC = REPO / "tests" / "fixtures" / "text" / "nsmc"


@pytest.fixture(scope="module")
def text_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("text-explain")
    mp = pytest.MonkeyPatch()
    mp.setenv("SEQLAB_DATA", str(root / "data"))
    tokens = [f"data.root={NSMC}", "data.val_fraction=0.25", "data.vocab_size=200", "data.min_frequency=1",
              "data.max_length=16", "data.batch_size=4", "trainer.max_epochs=1", "trainer.threads=1"]
    neural = run.train(config.load(REPO / "configs" / "text" / "nsmc_textcnn.yaml", tokens), root / "cnn", report=False)
    linear = run.train(config.load(REPO / "configs" / "text" / "nsmc_tfidf_nb.yaml",
                                   [f"data.root={NSMC}", "data.val_fraction=0.25"]), root / "nb", report=False)
    yield neural, linear
    mp.undo()


def test_neural_run_gives_one_score_per_token(text_runs):
    neural, _ = text_runs
    r = explain_text(neural, "정말 재미있는 영화 최고")
    assert r["kind"] == "tokens" and r["tokens"] and abs(sum(r["probs"].values()) - 1) < 1e-5
    assert r["tokens"][0][0] == "[CLS]" and r["tokens"][-1][0] == "[SEP]"


def test_linear_run_names_its_terms_and_the_cli_writes_html(text_runs, tmp_path, capsys):
    _, linear = text_runs
    out = tmp_path / "why.html"
    assert main(["explain", str(linear), "--text", "정말 재미있는 영화 최고", "--out", str(out)]) == 0
    page = out.read_text()
    assert "value x weight" in page and "strongest terms" in page
    assert "strongest terms for" in capsys.readouterr().out
    assert main(["explain", str(linear), "--text", "   "]) == 2
    assert "empty after the run's cleaning" in capsys.readouterr().err


def test_text_geometry_gives_one_row_per_layer(tmp_path, capsys, monkeypatch):
    import json

    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))
    tokens = [f"data.root={NSMC}", "data.val_fraction=0.25", "data.vocab_size=200", "data.min_frequency=1",
              "data.max_length=16", "data.batch_size=4", "trainer.max_epochs=1", "trainer.threads=1",
              "model.num_layers=2", "model.hidden_size=32", "model.num_heads=2"]
    run_dir = run.train(config.load(REPO / "configs" / "text" / "nsmc_transformer.yaml", tokens), tmp_path / "tf",
                        report=False)
    out = tmp_path / "geometry"
    assert main(["text", "geometry", str(run_dir), "--data", str(NSMC / "ratings_train.txt"), "--n", "40",
                 "--max-length", "16", "--out", str(out)]) == 0
    rows = json.loads((out / "geometry.json").read_text())
    assert [r["layer"] for r in rows] == [0, 1, 2] and all(r["words"] > 0 for r in rows)
    for r in rows:  # measured, in range, and the adjustment is the layer's anisotropy
        assert -1 <= r["anisotropy"] <= 1 and 0 < r["mev"] <= 1
        assert abs(r["self_similarity_adjusted"] - (r["self_similarity"] - r["anisotropy"])) < 1e-9
    assert (out / "geometry.png").stat().st_size > 5000 and "anisotropy" in capsys.readouterr().out
