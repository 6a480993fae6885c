"""`seqlab serve`: its options reach the app and uvicorn (127.0.0.1 unless told otherwise), and
bad options are one-line errors."""

from __future__ import annotations

import argparse

import pytest

from seqlab.errors import ConfigError


def parse(argv: list[str]) -> argparse.Namespace:
    from seqlab.cli import serve

    parser = argparse.ArgumentParser(prog="seqlab")
    serve.register(parser.add_subparsers(dest="command"))
    return parser.parse_args(argv)


def test_serve_starts_uvicorn_on_localhost_with_the_runs(ecg_run, text_run, monkeypatch, capsys, tmp_path):
    import uvicorn

    seen = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    args = parse(["serve", str(ecg_run), str(text_run), "--max-upload-mb", "5", "--tmp-dir", str(tmp_path)])
    assert args.func(args) == 0
    assert seen["host"] == "127.0.0.1" and seen["port"] == 8000 and seen["root_path"] == ""
    app = seen["app"]
    assert sorted(app.state.runs) == ["ecg-run", "text-run"]
    assert app.state.settings.max_upload_bytes == 5_000_000 and app.state.settings.tmp_root == tmp_path
    out = capsys.readouterr().out
    assert "run ecg-run: ecg, rr_resnet, classes N/S/V/F/Q" in out and "http://127.0.0.1:8000/" in out


@pytest.mark.parametrize("argv, message", [
    (["--port", "70000"], "--port must be 1-65535"),
    (["--jobs", "0"], "--jobs must be at least 1"),
    (["--threads", "0"], "--threads must be at least 1"),
    (["--max-upload-mb", "0"], "--max-upload-mb must be positive"),
])
def test_bad_options_are_config_errors(ecg_run, argv, message):
    args = parse(["serve", str(ecg_run), *argv])
    with pytest.raises(ConfigError, match=message):
        args.func(args)
