"""Hostile or broken configs (issue 20, items 2, 7 and 10): a YAML alias bomb under
``reference:`` or ``tune:``, non-UTF-8 or oversized files, absurd nesting and numbers, and
values outside their range. Each must end in `seqlab: error: ...` on one line naming the key
or file, exit code 2, in under 2 s and 300 MB (net of start-up: the command modules are
imported here first), with nothing written.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import seqlab.experiments.tune  # noqa: F401  (imported here: the timed calls pay no start-up)
import seqlab.training.run  # noqa: F401
from seqlab import config
from seqlab.cli.main import main
from seqlab.errors import ConfigError

from testpaths import REPO, SMOKE
from limits import MB, measured

HEADER = "name: hostile\ndata: {name: synthetic_waves, n_samples: 200}\nmodel: {name: tiny_cnn}\n"
LAUGHS = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]" for a, b in zip("abcdefgh", "bcdefghi")]


@pytest.fixture(scope="module", autouse=True)
def started():
    """Start-up, paid once: the first command imports the CLI's modules (several seconds)."""
    main(["train", "/nonexistent/config.yaml"])
    main(["tune", "/nonexistent/config.yaml", "--trials", "1"])
    config.load(SMOKE)  # imports every model, to check the model arguments


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch, started):
    """Run in an empty tmp_path; a rejected config must leave it as it was."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SEQLAB_DATA", str(tmp_path / "data"))
    (tmp_path / "cfg").mkdir()
    yield
    assert [p.name for p in tmp_path.iterdir()] == ["cfg"]
    assert not list((tmp_path / "data").glob("*"))


def rejected(argv: list[str], capsys, *fragments: str) -> str:
    """``seqlab ARGV`` exits 2 with one line holding every fragment, fast and small."""
    code, elapsed, peak = measured(lambda: main(argv))
    err = capsys.readouterr().err.strip()
    assert code == 2, err
    assert err.startswith("seqlab: error: ") and "\n" not in err, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)
    assert elapsed < 2.0, f"took {elapsed:.2f} s: {err}"
    assert peak < 300 * MB, f"peak {peak / MB:.0f} MB: {err}"
    return err


def write(tmp_path: Path, text: str | bytes, name: str = "c.yaml") -> str:
    path = tmp_path / "cfg" / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    return str(path)


@pytest.mark.parametrize("section", ["reference", "tune", "unknown"])
def test_billion_laughs_is_refused_before_anything_is_built(tmp_path, capsys, section):
    bomb = write(tmp_path, HEADER + f"{section}:\n" + "".join(f"  {line}\n" for line in LAUGHS))
    rejected(["train", bomb], capsys, bomb, "line 5", "anchors and aliases")


def test_billion_laughs_is_refused_by_tune_too(tmp_path, capsys):
    bomb = write(tmp_path, HEADER + "tune:\n" + "".join(f"  {line}\n" for line in LAUGHS))
    rejected(["tune", bomb, "--trials", "1", "--out", str(tmp_path / "cfg" / "t")], capsys, "anchors and aliases")


def test_an_alias_in_an_override_is_refused(tmp_path, capsys):
    rejected(["train", str(SMOKE), "reference=[&a [1, 2], *a]"], capsys, "override 'reference=", "aliases")


def test_a_merge_key_is_refused_like_any_alias(tmp_path, capsys):
    cfg = write(tmp_path, HEADER + "optim: &o {lr: 0.1}\neval:\n  <<: *o\n")
    rejected(["train", cfg], capsys, "line 4", "anchors and aliases")


@pytest.mark.parametrize("body, fragments", [
    (b"name: caf\xe9\n", ("not UTF-8", "byte 0xe9 at offset 9", "save the config as UTF-8")),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, ("not UTF-8",)),
    (HEADER.encode() + b"reference: {note: \"" + b"x" * (2 * MB) + b"\"}\n", ("larger than 1 MB",)),
    (HEADER.encode() + b"reference: " + b"[" * 5000 + b"]" * 5000 + b"\n", ("nested more than 32 levels",)),
    (HEADER.encode() + b"seed: " + b"9" * 6000 + b"\n", ("cannot be converted", "6000 digits")),
    (HEADER.encode() + b"optim: {lr: !!python/object/apply:os.system [touch pwned]}\n", ("not valid YAML", "line 4")),
    (HEADER.encode() + b"trainer: {max_epochs: 3\n", ("not valid YAML",)),
    (b"- just\n- a list\n", ("expected a mapping",)),
], ids=["latin1", "binary", "2mb", "deep", "bigint", "python-tag", "unclosed", "list"])
def test_unreadable_configs_are_one_line(tmp_path, capsys, body, fragments):
    path = write(tmp_path, body)
    rejected(["train", path], capsys, path, *fragments)
    assert not (tmp_path / "cfg" / "pwned").exists() and not Path("pwned").exists()


def test_a_directory_is_not_a_config(tmp_path, capsys):
    rejected(["train", str(tmp_path / "cfg")], capsys, "config file not found")


@pytest.mark.parametrize("override, key", [
    ("trainer.max_epochs=-1", "'trainer.max_epochs': input should be greater than or equal to 1"),
    ("trainer.max_epochs=0", "'trainer.max_epochs'"),
    ("optim.lr=-1", "'optim.lr': input should be greater than 0"),
    ("optim.lr=.nan", "'optim.lr': input should be a finite number"),
    ("optim.lr=.inf", "'optim.lr': input should be a finite number"),
    ("optim.weight_decay=-0.1", "'optim.weight_decay'"),
    ("optim.momentum=5", "'optim.momentum'"),
    ("optim.label_smoothing=1", "'optim.label_smoothing'"),
    ("optim.lr_mult={'features': -2}", "'optim.lr_mult.features'"),
    ("data.batch_size=0", "'data.batch_size': must lie in 1..1048576, got 0"),
    ("data.batch_size=-3", "'data.batch_size'"),
    ("data.batch_size=10000000000", "'data.batch_size'"),
    ("eval.batch_size=0", "'eval.batch_size'"),
    ("seed=-1", "'seed'"),
    ("seed=99999999999", "'seed'"),
    ("trainer.devices=0", "'trainer.devices': at least 1"),
    ("trainer.num_workers=-1", "'trainer.num_workers'"),
    ("trainer.threads=0", "'trainer.threads'"),
    ("trainer.log_every_n_steps=0", "'trainer.log_every_n_steps'"),
    ("trainer.limit_train_batches=0", "'trainer.limit_train_batches'"),
    ("trainer.limit_train_batches=1.5", "'trainer.limit_train_batches': a fraction"),
    ("trainer.gradient_clip_val=-1", "'trainer.gradient_clip_val'"),
    ("augment.prob=2", "'augment.prob'"),
    ("augment.noise=-1", "'augment.noise'"),
])
def test_values_out_of_range_are_one_line_naming_the_key(tmp_path, capsys, override, key):
    rejected(["train", str(SMOKE), override, "--out", str(tmp_path / "cfg" / "run")], capsys, key)


def test_values_in_range_still_load():
    cfg = config.load(SMOKE, ["trainer.limit_train_batches=5", "trainer.limit_train_batches=0.5",
                              "trainer.devices=auto", "optim.lr=1e-5", "seed=4294967295"])
    assert cfg.trainer.limit_train_batches == 0.5 and cfg.trainer.devices == "auto" and cfg.seed == 2**32 - 1


def test_every_shipped_config_still_loads():
    for path in sorted((REPO / "configs").rglob("*.yaml")):
        if path.parent.name in ("crawl",):  # crawl configs have their own loader
            continue
        if "pretrain" in path.name:  # pre-training configs have their own loader
            continue
        config.load(path, check_model=False)


def test_missing_data_name_points_at_list_datasets():
    with pytest.raises(ConfigError, match=r"see `seqlab list datasets`"):
        config.from_dict({"model": {"name": "tiny_cnn"}, "data": {}})
    with pytest.raises(ConfigError, match=r"see `seqlab list models`"):
        config.from_dict({"data": {"name": "synthetic_waves"}, "model": {}})


# Model arguments and data shapes: the model is probed on the meta device before it is built
# (inference.loading.check_size), the dataset config has ranges.
@pytest.mark.parametrize("override", ["model.width=0", "data.seq_len=0", "model.width=1000000000"])
def test_zero_width_or_length_is_a_config_error(tmp_path, override):
    from seqlab.training import run

    with pytest.raises(ConfigError) as caught:
        run.train(config.load(SMOKE, ["data.n_samples=120", "trainer.max_epochs=1", override]),
                  tmp_path / "cfg" / "run", report=False)
    assert "\n" not in str(caught.value)


def test_a_feature_set_the_dataset_would_ignore_is_refused():
    """ptbdb holds beat windows only: a de Chazal or patient-relative feature set there would be
    silently dropped, so the config is refused in one line instead."""
    with pytest.raises(ConfigError, match="data.features.*ptbdb gives beat windows only"):
        config.from_dict({"data": {"name": "ptbdb", "features": "dechazal"}, "model": {"name": "kachuee_resnet"}})
