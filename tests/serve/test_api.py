"""The JSON API: runs, health, OpenAPI; a record in every accepted format classified exactly
as `seqlab predict` does it; bad records refused with the CLI's one-line errors."""

from __future__ import annotations

import base64

import numpy as np
import pytest

from servekit import multipart, record_parts


def predict(client, fields, files, **params):
    body, headers = multipart(fields, files)
    return client.post("/api/predict", content=body, headers=headers, params=params)


def test_health_runs_and_openapi(client, ecg_run, text_run):
    assert client.get("/health").json() == {"status": "ok", "runs": 2}
    runs = {r["id"]: r for r in client.get("/api/runs").json()}
    assert runs["ecg-run"]["kind"] == "ecg" and runs["ecg-run"]["classes"] == ["N", "S", "V", "F", "Q"]
    assert runs["text-run"]["kind"] == "text" and runs["text-run"]["model"] == "tfidf_nb"
    spec = client.get("/openapi.json").json()
    assert {"/api/predict", "/api/runs", "/health"} <= set(spec["paths"])
    body = spec["paths"]["/api/predict"]["post"]["requestBody"]["content"]["multipart/form-data"]
    assert {"run", "files", "fs", "beats", "text"} <= set(body["schema"]["properties"])
    page = client.get("/")
    assert page.status_code == 200 and "uPlot.iife.min.js" in page.text
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/static/uPlot.iife.min.js").text.startswith("/*! uPlot v1.6.32")


def test_wfdb_record_gives_seqlab_predicts_files_byte_for_byte(client, ecg_records, cli_outputs, request_root):
    csv, ann = cli_outputs["detect"]
    r = predict(client, {"run": "ecg-run"}, record_parts(ecg_records, "208"))
    assert r.status_code == 200, r.text
    res = r.json()
    assert res["files"]["csv"]["text"].encode() == csv
    assert base64.b64decode(res["files"]["annotation"]["base64"]) == ann
    rows = csv.decode().splitlines()[1:]
    assert res["n_beats"] == len(res["beats"]["sample"]) == len(rows) > 30
    classes = [row.split(",")[2] for row in rows]
    assert res["counts"] == {c: classes.count(c) for c in res["classes"]}
    assert res["record"] == "208" and res["files"]["csv"]["name"] == "208.seqlab.csv"
    assert res["fs"] == 360 and res["reference"] is None
    signal = np.frombuffer(base64.b64decode(res["signal"]["data"]), dtype="<i2") * res["signal"]["scale"]
    assert len(signal) == round(res["duration_s"] * 360) and 0.5 < np.abs(signal).max() < 10  # mV
    for which, expected in (("csv", csv), ("annotation", ann)):
        r = predict(client, {"run": "ecg-run"}, record_parts(ecg_records, "208"), download=which)
        assert r.status_code == 200 and r.content == expected
    assert 'filename="208.seqlab"' in r.headers["content-disposition"]
    assert list(request_root.iterdir()) == []  # every request directory removed


def test_reference_labels_are_compared_and_can_give_the_beats(client, ecg_records, cli_outputs):
    import wfdb

    parts = record_parts(ecg_records, "208", ("hea", "dat", "atr"))
    res = predict(client, {"run": "ecg-run"}, parts).json()
    ref = res["reference"]
    assert res["files"]["csv"]["text"].encode() == cli_outputs["detect"][0]  # the .atr changes nothing
    ann = wfdb.rdann(str(ecg_records / "208"), "atr")
    beats = [s for s in ann.symbol if s in "NLRBAaJSVrFejnE/fQ?"]
    assert ref["n_reference"] == len(beats) and len(ref["symbol"]) == res["n_beats"]
    assert sum(1 for s in ref["symbol"] if s) >= 0.9 * res["n_beats"]  # detected beats sit on reference beats
    expect = [i for i, (c, rc) in enumerate(zip(res["beats"]["class"], ref["class"])) if rc >= 0 and c != rc]
    assert ref["mismatch"] == expect
    assert ref["counts"]["V"] == sum(1 for s in beats if s in "VEr")
    res = predict(client, {"run": "ecg-run", "beats": "reference"}, parts).json()
    assert res["files"]["csv"]["text"].encode() == cli_outputs["reference"][0]
    assert base64.b64decode(res["files"]["annotation"]["base64"]) == cli_outputs["reference"][1]
    assert res["reference"]["mismatch"] == [i for i, (c, rc) in enumerate(
        zip(res["beats"]["class"], res["reference"]["class"])) if rc >= 0 and c != rc]


def test_csv_and_edf_records_are_read_like_the_wfdb_one(client, ecg_records, cli_outputs, tmp_path):
    import pyedflib
    import wfdb

    rec = wfdb.rdrecord(str(ecg_records / "208"), channels=[0], physical=True, return_res=32)
    lead = rec.p_signal[:, 0].astype(np.float32)
    text = "mlii_mv\n" + "\n".join(repr(float(v)) for v in lead) + "\n"
    r = predict(client, {"run": "ecg-run", "fs": "360"}, [("208.csv", text.encode())])
    assert r.status_code == 200, r.text
    assert r.json()["format"] == "csv"
    assert r.json()["files"]["csv"]["text"].encode() == cli_outputs["detect"][0]  # same samples, same file

    edf = tmp_path / "208.edf"
    head = {"label": "ECG MLII", "dimension": "uV", "sample_frequency": 360, "physical_min": -10000.0,
            "physical_max": 10000.0, "digital_min": -32768, "digital_max": 32767}
    pyedflib.highlevel.write_edf(str(edf), [lead.astype(np.float64) * 1000.0], [head])
    res = predict(client, {"run": "ecg-run"}, [("208.edf", edf.read_bytes())]).json()
    wfdb_rows = cli_outputs["detect"][0].decode().splitlines()[1:]
    wfdb_peaks = [int(row.split(",")[0]) for row in wfdb_rows]
    assert res["format"] == "edf" and res["lead"] == "ECG MLII"
    assert abs(len(res["beats"]["sample"]) - len(wfdb_peaks)) <= 1
    assert len(set(res["beats"]["sample"]) & set(wfdb_peaks)) >= 0.95 * len(wfdb_peaks)


@pytest.mark.parametrize("case, fields, files, status, message", [
    ("csv without fs", {}, [("x.csv", b"0.1\n0.2\n")], 422, "record x: a CSV record needs its sampling rate: give fs in Hz"),
    ("csv two columns", {"fs": "360"}, [("x.csv", b"1,2\n3,4\n")], 422, "record x: the CSV has 2 columns"),
    ("not an edf", {}, [("x.edf", b"0" * 512)], 422, "record x: not a readable EDF file"),
    ("unknown file", {}, [("notes.docx", b"hello")], 422, "cannot tell what 'notes.docx' is"),
    ("two records", {}, [("a.edf", b"0"), ("b.csv", b"1")], 422, "upload one record"),
    ("no data file", {}, [("208.hea", b"208 1 360 1000\n208.dat 212 200 11 1024 0 0 0 MLII\n")], 422,
     "record 208: a WFDB record needs its .dat file beside the .hea"),
    ("unknown run", {"run": "nope"}, [("x.csv", b"1")], 404, "unknown run 'nope'; runs: ecg-run, text-run"),
    ("no run", {"run": ""}, [("x.csv", b"1")], 422, "choose a run with the run field"),
    ("text to an ecg run", {"text": "good film"}, [], 422, "run ecg-run is an ECG run"),
    ("bad beats mode", {"beats": "guess", "fs": "360"}, [("x.csv", b"1")], 422, "beats must be one of detect, reference"),
])
def test_bad_input_is_a_one_line_error(client, request_root, case, fields, files, status, message):
    fields = {"run": "ecg-run", **fields}
    r = predict(client, fields, files)
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert error.startswith(message) and "\n" not in error and str(request_root) not in error
    assert list(request_root.iterdir()) == []


def test_an_edf_header_claiming_a_huge_signal_is_refused(client, tmp_path):
    import pyedflib

    edf = tmp_path / "huge.edf"
    head = {"label": "ECG", "dimension": "mV", "sample_frequency": 360, "physical_min": -5.0,
            "physical_max": 5.0, "digital_min": -32768, "digital_max": 32767}
    pyedflib.highlevel.write_edf(str(edf), [np.sin(np.arange(3600) / 10.0)], [head])
    raw = bytearray(edf.read_bytes())
    raw[236:244] = b"99999999"  # number of data records: ~10^8 seconds of signal
    r = predict(client, {"run": "ecg-run"}, [("huge.edf", bytes(raw))])
    assert r.status_code == 422
    assert r.json()["error"] == ("record huge: not a readable EDF file (the file is not EDF(+) or BDF(+) "
                                 "compliant (Filesize))")


def test_corrupt_records_get_the_clis_message(client, ecg_records, ecg_run, tmp_path, capsys):
    from seqlab.cli.main import main

    hea = (ecg_records / "208.hea").read_bytes()
    dat = (ecg_records / "208.dat").read_bytes()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "208.hea").write_bytes(hea)
    (bad / "208.dat").write_bytes(dat[: len(dat) // 3])  # truncated signal file
    assert main(["predict", str(ecg_run), str(bad / "208")]) == 1
    cli = capsys.readouterr().err.strip().removeprefix("seqlab: error: ")
    r = predict(client, {"run": "ecg-run"}, [("208.hea", hea), ("208.dat", dat[: len(dat) // 3])])
    assert r.status_code == 422 and r.json()["error"] == cli and "truncated" in cli
    # a header claiming ~10^12 samples: refused from the header, before any sample is read
    huge = hea.decode().splitlines()
    huge[0] = " ".join(huge[0].split()[:3] + ["999999999999"])
    r = predict(client, {"run": "ecg-run"}, [("208.hea", "\n".join(huge).encode()), ("208.dat", dat)])
    assert r.status_code == 422 and "the header implies" in r.json()["error"]


def test_text_runs_label_each_line_with_the_runs_model(make_app, text_run, token_run):
    from fastapi.testclient import TestClient

    from seqlab.inference.text_predict import predict_texts

    lines = ["정말 재미있고 감동적인 영화", "", "최악이다 시간 아까움", "   ", "배우 연기가 좋았다"]
    with TestClient(make_app([text_run, token_run])) as client:
        for run_id in ("text-run", "token-run"):
            res = predict(client, {"run": run_id, "text": "\n".join(lines)}, []).json()
            assert res["kind"] == "text" and [it["line"] for it in res["items"]] == [1, 2, 3]
            for it in res["items"]:
                assert abs(sum(it["probs"].values()) - 1) < 1e-3
                assert it["label"] == max(it["probs"], key=it["probs"].get)
            assert sum(res["counts"].values()) == 3
        for run_dir, run_id in ((text_run, "text-run"), (token_run, "token-run")):  # = `seqlab predict --text`
            labels, probs, _ = predict_texts(run_dir, [lines[0], lines[2], lines[4]])
            res = predict(client, {"run": run_id, "text": "\n".join(lines)}, []).json()
            assert [it["label"] for it in res["items"]] == labels
            assert np.allclose([list(it["probs"].values()) for it in res["items"]], probs, atol=1e-4)
        r = predict(client, {"run": "text-run"}, [("x.csv", b"1")])
        assert r.status_code == 422 and "is a text run" in r.json()["error"]


def test_serve_refuses_a_run_it_cannot_serve(tmp_path):
    import yaml

    from seqlab import config
    from seqlab.errors import ConfigError
    from seqlab.serve.app import create_app
    from testpaths import REPO

    (tmp_path / "config.yaml").write_text(yaml.safe_dump(config.load(REPO / "configs/smoke.yaml").to_dict()))
    with pytest.raises(ConfigError, match="serve takes ECG-beat runs and text runs"):
        create_app([tmp_path])
    with pytest.raises(ConfigError, match="not found: is"):
        create_app([tmp_path / "missing"])
