"""The FastAPI application behind ``seqlab serve``: one page, and the JSON API it uses.

    GET  /             the page (static/index.html; uPlot served from the package, no CDN)
    GET  /health       {"status": "ok", "runs": N}
    GET  /api/runs     the runs passed to ``seqlab serve``
    POST /api/predict  a record (or text) in, classes out; ``?download=csv|annotation`` returns
                       the file ``seqlab predict`` writes instead of JSON
    GET  /openapi.json the API described

Runs are loaded once, when the app is made. A prediction runs in a worker thread, at most
``jobs`` at a time (2 cores: more threads only slow each other down); the event loop keeps
receiving uploads meanwhile. Each request owns a fresh temporary directory that is removed
in a ``finally`` when the request ends, whether it succeeded, failed or the client left.
"""

from __future__ import annotations

import base64
import logging
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Literal

import anyio
from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect

from seqlab import __version__
from seqlab.errors import ConfigError, DataError, SeqlabError
from seqlab.serve import schemas
from seqlab.serve.engine import EcgRun, TextRun, load_run
from seqlab.serve.jobs import Job, ecg_job, text_job
from seqlab.serve.upload import UploadTooLarge, receive_form

STATIC = Path(__file__).resolve().parent / "static"
DEFAULT_MAX_UPLOAD_MB = 100.0
SECURITY_HEADERS = [
    (b"content-security-policy", b"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                                 b"img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
                                 b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
log = logging.getLogger("seqlab.serve")


class UnknownRun(Exception):
    """The form names a run that is not served (HTTP 404)."""


@dataclass
class Settings:
    max_upload_bytes: int
    jobs: int
    tmp_root: Path | None


class SecurityHeaders:
    """Pure ASGI middleware: the page runs only its own scripts (a plain middleware class,
    not ``BaseHTTPMiddleware``, so the upload stream and disconnects pass untouched)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": list(message.get("headers", [])) + SECURITY_HEADERS}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def load_runs(run_dirs: list[str | Path], threads: int | None = 1) -> dict[str, EcgRun | TextRun]:
    """Every run loaded once, keyed by a short id made from its directory name."""
    runs: dict[str, EcgRun | TextRun] = {}
    for run_dir in run_dirs:
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", Path(run_dir).resolve().name).strip("-.") or "run"
        run_id, n = base, 2
        while run_id in runs:
            run_id, n = f"{base}-{n}", n + 1
        runs[run_id] = load_run(run_dir, threads)
    return runs


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def create_app(run_dirs: list[str | Path], *, max_upload_mb: float = DEFAULT_MAX_UPLOAD_MB,
               jobs: int | None = None, threads: int | None = 1,
               tmp_root: str | Path | None = None) -> FastAPI:
    """The app for ``run_dirs`` (each loaded now, its engine at ``threads`` threads); uploads
    over ``max_upload_mb`` get 413, at most ``jobs`` predictions run at once, request
    directories go under ``tmp_root``."""
    if max_upload_mb <= 0:
        raise ConfigError(f"--max-upload-mb must be positive, got {max_upload_mb:g}")
    settings = Settings(int(max_upload_mb * 1e6), max(1, jobs or os.cpu_count() or 1),
                        Path(tmp_root) if tmp_root else None)
    if settings.tmp_root is not None:
        settings.tmp_root.mkdir(parents=True, exist_ok=True)
    app = FastAPI(title="seqlab", version=__version__, docs_url=None, redoc_url=None,
                  description="Classify every beat of an ECG record, or a batch of texts, with trained "
                              "seqlab runs: the same inference path as `seqlab predict`.")
    app.state.runs, app.state.settings, app.state.limiter = load_runs(run_dirs, threads), settings, None
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    _errors(app)
    _routes(app)
    return app


def _errors(app: FastAPI) -> None:
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        return error(exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return error(422, f"{where}: {first.get('msg', 'invalid request')}")


def _routes(app: FastAPI) -> None:
    @app.get("/", include_in_schema=False)
    async def index():
        return FileResponse(STATIC / "index.html", headers={"cache-control": "no-cache"})

    @app.get("/health", response_model=schemas.Health)
    async def health():
        return {"status": "ok", "runs": len(app.state.runs)}

    @app.get("/api/runs", response_model=list[schemas.RunInfo])
    async def runs():
        return [{"id": k, "kind": r.kind, "model": r.model_name, "classes": r.classes}
                for k, r in app.state.runs.items()]

    responses = {200: {"model": schemas.EcgPrediction | schemas.TextPrediction,
                       "description": "the prediction (or, with `download`, the file itself)"},
                 404: {"model": schemas.ErrorBody, "description": "unknown run"},
                 413: {"model": schemas.ErrorBody, "description": "upload over the size limit"},
                 422: {"model": schemas.ErrorBody, "description": "bad record or form"}}

    @app.post("/api/predict", responses=responses, openapi_extra={"requestBody": schemas.PREDICT_BODY})
    async def predict(request: Request, download: Literal["csv", "annotation"] | None = Query(
            None, description="return this file (as `seqlab predict` writes it) instead of JSON")):
        """Classify an uploaded ECG record (WFDB, EDF or CSV) or pasted text with one of the runs."""
        return await handle_predict(app, request, download)


async def handle_predict(app: FastAPI, request: Request, download: str | None) -> Response:
    settings: Settings = app.state.settings
    workdir = Path(tempfile.mkdtemp(prefix="seqlab-request-", dir=settings.tmp_root))
    job = Job(workdir, "u" + secrets.token_hex(6))
    try:
        form = await receive_form(request, workdir, settings.max_upload_bytes)
        run_id, run = pick_run(app.state.runs, form.fields.get("run", ""))
        work = partial(ecg_job, run_id, run, form, job) if run.kind == "ecg" else partial(text_job, run_id, run, form)
        if app.state.limiter is None:
            app.state.limiter = anyio.CapacityLimiter(settings.jobs)
        # the response is rendered in the worker too (megabytes of JSON would stall the loop);
        # not cancellable: a cancelled request still waits for its thread before the finally
        return await anyio.to_thread.run_sync(lambda: respond(work(), download), limiter=app.state.limiter)
    except UploadTooLarge as exc:
        return error(413, str(exc))
    except UnknownRun as exc:
        return error(404, str(exc))
    except SeqlabError as exc:
        return error(422, job.scrub(str(exc)))
    except ClientDisconnect:
        return Response(status_code=400)
    except Exception as exc:  # noqa: BLE001  (a bug: logged in full, one line to the client)
        log.exception("prediction failed")
        return error(500, f"internal error ({type(exc).__name__}); the server log has the details")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def pick_run(runs: dict, run_id: str):
    """The run the form names (or the only one served)."""
    if not run_id and len(runs) == 1:
        run_id = next(iter(runs))
    if not run_id:
        raise DataError(f"choose a run with the run field: {', '.join(runs)}")
    if run_id not in runs:
        raise UnknownRun(f"unknown run {run_id[:60]!r}; runs: {', '.join(runs)}")
    return run_id, runs[run_id]


def respond(result: dict, download: str | None) -> Response:
    if download is None:
        return JSONResponse(result)
    if result["kind"] != "ecg":
        raise DataError("download applies to ECG runs: text predictions are JSON only")
    f = result["files"][download]
    body = f["text"].encode("ascii") if download == "csv" else base64.b64decode(f["base64"])
    kind = "text/csv" if download == "csv" else "application/octet-stream"
    return Response(body, media_type=kind, headers={"content-disposition": f'attachment; filename="{f["name"]}"'})
