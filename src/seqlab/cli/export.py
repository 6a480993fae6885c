"""``seqlab export RUN [--format onnx]``: write a finished run's network as ONNX.

New runs export at the end of training; this is for runs trained before, or again after a
checkpoint was replaced. ``seqlab predict`` then runs on ONNX Runtime, without torch.
"""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export", help="export a trained run's network (checkpoints/model.onnx) "
                                      "for `seqlab predict` without torch")
    p.add_argument("run_dir")
    p.add_argument("--format", choices=("onnx",), default="onnx",
                   help="onnx (the only one): model.onnx + model.onnx.json beside the checkpoints")
    p.add_argument("--checkpoint", choices=("best", "last"),
                   help="which checkpoint (default: the run's eval.checkpoint)")
    p.set_defaults(func=cmd_export)


def cmd_export(args) -> int:
    import json
    from pathlib import Path

    from seqlab.inference.export import export_onnx
    from seqlab.inference.onnx_engine import onnx_paths

    path = export_onnx(args.run_dir, args.checkpoint)
    meta = json.loads(onnx_paths(args.run_dir)[1].read_text())
    shapes = ", ".join(f"{i['name']} {tuple(i['shape'])}" for i in meta["inputs"])
    print(f"{path} ({Path(path).stat().st_size / 1024:,.0f} KiB): {meta['model']['name']} from "
          f"{meta['checkpoint']['file']}, inputs {shapes}, classes {', '.join(meta['classes'])}; "
          f"ONNX Runtime within {meta['max_abs_diff_vs_torch']:.1e} of torch")
    return 0
