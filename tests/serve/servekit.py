"""Helpers for the serve tests: raw multipart bodies (so hostile names reach the server as
sent), record files as form parts, a real uvicorn server in a thread, and `seqlab predict`'s
own output to compare with."""

from __future__ import annotations

import contextlib
import io
import socket
import threading
import time
from pathlib import Path

from seqlab.cli.main import main

BOUNDARY = "seqlab-test-boundary-7f3a"


def multipart(fields: dict[str, str], files: list[tuple[bytes | str, bytes]]) -> tuple[bytes, dict]:
    """A multipart/form-data body built byte by byte: file names go out exactly as given
    (NUL bytes, backslashes, 10 KB), as a hostile client would send them."""
    out = io.BytesIO()
    for name, value in fields.items():
        out.write(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode())
        out.write(value.encode() + b"\r\n")
    for filename, data in files:
        raw = filename.encode("utf-8", "surrogatepass") if isinstance(filename, str) else filename
        out.write(f"--{BOUNDARY}\r\n".encode() + b'Content-Disposition: form-data; name="files"; filename="'
                  + raw + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + data + b"\r\n")
    out.write(f"--{BOUNDARY}--\r\n".encode())
    return out.getvalue(), {"content-type": f"multipart/form-data; boundary={BOUNDARY}"}


def record_parts(folder: Path, name: str, exts=("hea", "dat")) -> list[tuple[str, bytes]]:
    return [(f"{name}.{ext}", (folder / f"{name}.{ext}").read_bytes()) for ext in exts]


def cli_predict(run_dir: Path, record: Path, out_dir: Path, *extra: str) -> tuple[bytes, bytes]:
    """(CSV bytes, annotation bytes) as `seqlab predict` writes them."""
    out = out_dir / f"{record.name}.seqlab.csv"
    assert main(["predict", str(run_dir), str(record), "--out", str(out), *extra]) == 0
    return out.read_bytes(), (out_dir / f"{record.name}.seqlab").read_bytes()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running(app):
    """The app served by uvicorn on 127.0.0.1 in a thread; yields its base URL."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def tree(root: Path) -> set[str]:
    """Every path under ``root`` (relative), to see what a request left behind."""
    return {str(p.relative_to(root)) for p in root.rglob("*")} if root.exists() else set()
