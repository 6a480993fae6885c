"""`seqlab ablate`: one table of validation macro-F1 with each switch flipped."""

import json

from seqlab import config
from seqlab.cli.main import main
from seqlab.experiments import ablation

from testpaths import SMOKE


def test_plan_flips_from_the_config_and_marks_model_switches_not_taken():
    cfg = config.load(SMOKE, ["optim.label_smoothing=0.2"])
    rows = {r["switch"]: r for r in ablation.plan(cfg, None, {"dropout": 0.5})}
    assert set(rows) == set(ablation.SWITCHES)
    assert rows["label_smoothing"]["base_is"] == "on" and rows["label_smoothing"]["on"] == 0.2
    assert rows["dropout"]["base_is"] == "off" and rows["dropout"]["on"] == 0.5
    assert rows["dropout"]["applicable"] and not rows["batch_norm"]["applicable"]  # tiny_cnn has no BN switch


def test_model_switches_apply_to_the_ecg_models():
    raw = config.load(SMOKE).to_dict()
    raw["model"] = {"name": "kachuee_resnet"}
    cfg = config.from_dict(raw)
    rows = {r["switch"]: r for r in ablation.plan(cfg, ["batch_norm", "noise_std", "dropconnect"], {})}
    assert all(r["applicable"] for r in rows.values())


def test_ablate_cli_prints_one_table(tmp_path, capsys):
    out = tmp_path / "abl"
    assert main(["ablate", str(SMOKE), "--switches", "label_smoothing", "batch_norm", "--out", str(out),
                 "trainer.max_epochs=1"]) == 0
    text = capsys.readouterr().out
    assert "| label_smoothing | optim.label_smoothing | 0.0 | 0.1 | off |" in text
    assert "not a tiny_cnn argument" in text
    result = json.loads((out / "ablation.json").read_text())
    row = result["switches"][0]
    assert row["delta"] == row["f1_on"]["mean"] - row["f1_off"]["mean"]
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["base_s0", "label_smoothing_s0"]
    assert json.loads((out / "base_s0" / "metrics.json").read_text())["split"] == "val"
