"""``seqlab serve RUN [RUN...]``: the web page and JSON API (see docs/serve.md)."""

from __future__ import annotations

import argparse

from seqlab.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("serve", help="a web page (and JSON API) that classifies uploaded ECG records "
                                     "or texts with trained runs")
    p.add_argument("run_dirs", nargs="+", metavar="RUN", help="trained run directories (ECG-beat or text runs)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; see docs/serve.md "
                        "before exposing it)")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--max-upload-mb", type=float, default=100.0,
                   help="largest request body accepted, in MB (default 100); larger uploads get 413")
    p.add_argument("--jobs", type=int, help="predictions run at once (default: the number of CPUs)")
    p.add_argument("--threads", type=int, default=1,
                   help="engine threads per prediction (default 1: with --jobs 2 on two cores, "
                        "each prediction gets a core)")
    p.add_argument("--root-path", default="", help="URL prefix when served behind a reverse proxy, e.g. /seqlab")
    p.add_argument("--forwarded-allow-ips", default="127.0.0.1",
                   help="proxies whose X-Forwarded-* headers are trusted (default 127.0.0.1)")
    p.add_argument("--tmp-dir", help="where per-request directories are made (default: the system's)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    if not 0 < args.port < 65536:
        raise ConfigError(f"--port must be 1-65535, got {args.port}")
    if args.jobs is not None and args.jobs < 1:
        raise ConfigError(f"--jobs must be at least 1, got {args.jobs}")
    if args.threads < 1:
        raise ConfigError(f"--threads must be at least 1, got {args.threads}")
    import uvicorn

    from seqlab.serve.app import create_app

    app = create_app(args.run_dirs, max_upload_mb=args.max_upload_mb, jobs=args.jobs, threads=args.threads,
                     tmp_root=args.tmp_dir)
    for run_id, run in app.state.runs.items():
        print(f"run {run_id}: {run.kind}, {run.model_name}, classes {'/'.join(run.classes)}")
    print(f"seqlab serve: http://{args.host}:{args.port}{args.root_path}/  (Ctrl-C stops it)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, root_path=args.root_path, proxy_headers=True,
                forwarded_allow_ips=args.forwarded_allow_ips, log_level="info")
    return 0
