"""Uploads cannot escape their request directory or the size cap: hostile file names, a
header naming /etc/passwd, bodies over the cap (with and without Content-Length), clients
that leave mid-upload."""

from __future__ import annotations

import hashlib
import socket
import time
from pathlib import Path

import pytest

from servekit import BOUNDARY, multipart, record_parts, running, tree

HOSTILE = [
    "../../etc/passwd", "../../../../../../../../tmp/seqlab-pwned", "/etc/passwd", "/tmp/seqlab-pwned",
    "..\\..\\Windows\\System32\\config\\SAM", "C:\\Windows\\System32\\drivers\\etc\\hosts",
    "\\\\server\\share\\pwned", "nul\x00byte", "A" * 10_240, "CON", "PRN", "AUX", "NUL", "COM1", "LPT1",
    "con.txt", ".", "..", "", "~/.bashrc", "$HOME/pwned", "a;rm -rf ~", "\u202egnp.exe",
    "file:///etc/passwd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else "absent"


def test_25_hostile_names_leave_nothing_outside_the_request_dir(client, ecg_records, request_root,
                                                                  tmp_path, monkeypatch):
    assert len(HOSTILE) == 25
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    monkeypatch.chdir(cwd)  # a name used as a relative path would land here
    watched = [Path("/etc/passwd"), Path("/tmp/seqlab-pwned"), Path.home() / ".bashrc"]
    before = {p: digest(p) for p in watched}
    outside = tree(tmp_path) - {"requests"}
    hea, dat = (data for _, data in record_parts(ecg_records, "208"))
    reference = None
    for name in HOSTILE:
        body, headers = multipart({"run": "ecg-run"}, [(name + ".hea", hea), (name + ".dat", dat)])
        r = client.post("/api/predict", content=body, headers=headers)
        assert r.status_code == 200, (name[:40], r.text)
        res = r.json()
        reference = reference or res["files"]["csv"]["text"]
        assert res["files"]["csv"]["text"] == reference  # the name changes nothing but the labels
        assert "/" not in res["files"]["csv"]["name"] and "\\" not in res["files"]["csv"]["name"]
        body, headers = multipart({"run": "ecg-run"}, [(name, dat)])  # no usable suffix: refused
        r = client.post("/api/predict", content=body, headers=headers)
        assert r.status_code == 422 and "\n" not in r.json()["error"]
        assert list(request_root.iterdir()) == []
    assert {p: digest(p) for p in watched} == before
    assert tree(tmp_path) - {"requests"} == outside and list(cwd.iterdir()) == []


def test_a_header_cannot_point_wfdb_at_another_file(client, ecg_records):
    hea = (ecg_records / "208.hea").read_text().replace("208.dat", "/etc/passwd").encode()
    dat = (ecg_records / "208.dat").read_bytes()
    body, headers = multipart({"run": "ecg-run"}, [("208.hea", hea), ("208.dat", dat)])
    res = client.post("/api/predict", content=body, headers=headers).json()
    assert res["n_beats"] > 30  # the uploaded .dat was read, whatever the header called it
    body, headers = multipart({"run": "ecg-run"}, [("208.hea", hea), ("a.dat", dat), ("b.dat", dat)])
    r = client.post("/api/predict", content=body, headers=headers)
    assert r.status_code == 422
    assert r.json()["error"] == "record 208: the header names signal file '/etc/passwd', which was not uploaded"


def test_a_body_over_the_cap_is_refused_from_its_content_length(make_app, ecg_records, request_root):
    from fastapi.testclient import TestClient

    parts = record_parts(ecg_records, "208")
    body, headers = multipart({"run": "ecg-run"}, parts)
    with TestClient(make_app(max_upload_mb=len(body) / 2e6)) as client:
        r = client.post("/api/predict", content=body, headers=headers)
        assert r.status_code == 413 and "MB limit" in r.json()["error"]
    with TestClient(make_app(max_upload_mb=len(body) / 1e6)) as client:  # exactly at the cap: fine
        assert client.post("/api/predict", content=body, headers=headers).status_code == 200
    assert list(request_root.iterdir()) == []


def _send_chunked(url: str, chunks, on_chunk) -> tuple[bytes, int]:
    """POST a chunked multipart body over a raw socket, calling ``on_chunk`` between chunks;
    returns (the response's head, bytes sent)."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sent = 0
    try:
        sock.sendall(f"POST /api/predict HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n"
                     f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n".encode())
        for chunk in chunks:
            try:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            except (BrokenPipeError, ConnectionResetError):
                break  # the server answered and closed: it did not wait for the rest
            sent += len(chunk)
            on_chunk()
            sock.settimeout(0.0)
            try:
                if sock.recv(1, socket.MSG_PEEK):
                    break
            except BlockingIOError:
                pass
            finally:
                sock.settimeout(10)
        sock.settimeout(10)
        return sock.recv(4096), sent
    finally:
        sock.close()


def test_a_chunked_body_is_cut_at_the_cap_with_nothing_written_past_it(make_app, request_root):
    cap = 1_000_000
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="x.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n").encode()
    chunks = [head] + [b"0.1\n" * 16_384] * 800  # 52 MB of samples, no Content-Length
    largest = [0]

    def measure():
        try:
            size = sum(p.stat().st_size for p in request_root.rglob("*") if p.is_file())
        except FileNotFoundError:  # the request ended and removed its directory meanwhile
            return
        largest[0] = max(largest[0], size)

    with running(make_app(max_upload_mb=cap / 1e6)) as url:
        answer, sent = _send_chunked(url, chunks, measure)
    assert answer.startswith(b"HTTP/1.1 413")
    assert sent < 26 * cap  # refused while streaming (the rest is socket buffers), not after 52 MB
    assert 0 < largest[0] <= cap
    assert list(request_root.iterdir()) == []


def test_a_client_leaving_mid_upload_leaves_no_directory(make_app, request_root):
    head = (f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="x.csv"\r\n\r\n').encode()
    with running(make_app()) as url:
        host, port = url.removeprefix("http://").split(":")
        sock = socket.create_connection((host, int(port)))
        sock.sendall(f"POST /api/predict HTTP/1.1\r\nHost: {host}\r\nContent-Length: 5000000\r\n"
                     f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\r\n".encode() + head
                     + b"0.1\n" * 100_000)
        deadline = time.time() + 10
        while not any(request_root.glob("*/part-*")) and time.time() < deadline:
            time.sleep(0.02)
        assert any(request_root.glob("*/part-*"))  # the upload had started to land
        sock.close()
        while list(request_root.iterdir()) and time.time() < deadline:
            time.sleep(0.05)
        assert list(request_root.iterdir()) == []


@pytest.mark.parametrize("body", [b"not multipart at all", f"--{BOUNDARY}\r\nContent-Disp".encode()])
def test_malformed_and_truncated_forms_are_422(client, request_root, body):
    headers = {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}
    r = client.post("/api/predict", content=body, headers=headers)
    assert r.status_code == 422 and r.json()["error"]
    r = client.post("/api/predict", content=b"{}", headers={"content-type": "application/json"})
    assert r.status_code == 422 and "multipart/form-data" in r.json()["error"]
    assert list(request_root.iterdir()) == []
