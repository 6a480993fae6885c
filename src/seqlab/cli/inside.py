"""``seqlab explain`` and ``seqlab plot``: open a trained model on a record, draw a record."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="attributions: chosen beats of a record (PNG per beat + HTML), or a text")
    p.add_argument("run_dir", metavar="RUN")
    p.add_argument("record", metavar="RECORD", nargs="?", help="WFDB record path without extension (ECG runs)")
    p.add_argument("--text", help="a review to explain with a text run (tokens coloured; HTML with --out)")
    pick = p.add_mutually_exclusive_group()
    pick.add_argument("--beats", help="beat indices, e.g. 120,121 (default: the most confident beat of each class)")
    pick.add_argument("--class", dest="cls", metavar="C", help="the --n most confident beats called C")
    p.add_argument("--n", type=int, default=8, help="how many beats (default 8)")
    p.add_argument("--method", default="ig", help="ig (Integrated Gradients), saliency or gradcam")
    p.add_argument("--annotations", metavar="EXT", help="take the beats from this annotation file (e.g. atr)")
    p.add_argument("--out", help="ECG: directory for beat_<i>.png and index.html; text: an HTML file")
    p.set_defaults(func=cmd_explain)

    q = sub.add_parser("plot", help="a stretch of a record with R peaks, reference and predicted labels")
    q.add_argument("record", metavar="RECORD")
    q.add_argument("--from", dest="start", type=float, default=0.0, help="start, seconds (default 0)")
    q.add_argument("--to", dest="end", type=float, default=None, help="end, seconds (default 10 s after --from)")
    q.add_argument("--run", help="a trained ECG run: its predicted labels go below the reference ones")
    q.add_argument("--out", help="PNG path (default RECORD_NAME.png)")
    q.set_defaults(func=cmd_plot)


def cmd_explain(args) -> int:
    from seqlab.errors import ConfigError

    if args.text is not None:
        return _explain_text(args)
    if args.record is None or args.out is None:
        raise ConfigError("give a RECORD and --out DIR (ECG runs), or --text \"...\" (text runs)")
    from seqlab.inference.explain_record import explain_record

    try:
        beats = [int(b) for b in args.beats.split(",")] if args.beats else None
    except ValueError:
        raise ConfigError(f"--beats {args.beats!r}: give beat indices separated by commas, e.g. 120,121") from None
    r = explain_record(args.run_dir, args.record, args.out, beats=beats, cls=args.cls, n=args.n,
                       method=args.method, annotations=args.annotations)
    for b in r["beats"]:
        ref = f", reference {b['reference']}" if b["reference"] else ""
        print(f"beat {b['beat']} ({b['time_s']} s): {b['predicted']} ({b['probability']:.2f}){ref}")
    print(f"{len(r['beats'])} beats explained ({r['method']}) in {r['seconds']:.2f} s: {r['html']}")
    return 0


def _explain_text(args) -> int:
    from seqlab.inference.text_explain import explain_text, print_coloured, write_html

    result = explain_text(args.run_dir, args.text)
    print_coloured(result)
    if args.out:
        print(f"html: {write_html(args.out, args.text, result)}")
    return 0


def cmd_plot(args) -> int:
    from pathlib import Path

    from seqlab.inference.record_plot import plot_record

    end = args.end if args.end is not None else args.start + 10.0
    out = args.out or f"{Path(args.record).name}.png"
    r = plot_record(args.record, out, start_s=args.start, end_s=end, run=args.run)
    extra = "" if r["mismatches"] is None else f", {r['mismatches']} mismatches with the reference"
    print(f"{r['record']} {r['from_s']:.1f}-{r['to_s']:.1f} s: {r['beats']} beats{extra}: {r['png']}")
    return 0
