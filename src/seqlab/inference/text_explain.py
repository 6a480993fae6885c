"""``seqlab explain RUN --text "..."``: which words of a review decided its label.

A neural text run: Integrated Gradients over the token embeddings (captum's
``LayerIntegratedGradients`` on the first embedding layer; baseline: every token replaced by
padding), summed over the embedding dimensions, per token. A linear run: each term's value x
weight (``linear_terms``). Either way the text goes through the run's own cleaning and tokeniser
(``prepare.texts_to_inputs``). Printed with colours in the terminal (rich), written as HTML.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

from seqlab import atomic
from seqlab.config import load_run
from seqlab.data.text.prepare import TextDataConfig, texts_to_inputs
from seqlab.errors import ConfigError
from seqlab.inference.loading import load_model
from seqlab.report.rundir import read_json


def explain_text(run_dir: str | Path, text: str, *, steps: int = 32, k: int = 15) -> dict[str, Any]:
    """``{"label", "probs", "tokens": [(token, score)], "kind"}``; score > 0 pushes towards the
    predicted class (binary linear runs: towards the second class)."""
    run_dir = Path(run_dir)
    cfg = load_run(run_dir)
    if not isinstance(cfg.data, TextDataConfig):
        raise ConfigError(f"{run_dir} was trained on {cfg.data.name!r}, not on text; "
                          f"explain its beats with `seqlab explain {run_dir} RECORD`")
    classes = read_json(run_dir / "data_summary.json")["classes"]
    tokenizer = None
    if cfg.data.representation == "tokens":
        from seqlab.data.text.subword import subword_load

        tokenizer = subword_load(run_dir / "artifacts" / "tokenizer.json")
    x, kept = texts_to_inputs(cfg.data, [text], tokenizer)
    if not kept.all():
        raise ConfigError("the text is empty after the run's cleaning; give a review with words in it")
    model = load_model(run_dir, cfg.eval.checkpoint)
    if tokenizer is None:
        from seqlab.inference.linear_terms import text_contributions, top_terms

        probs = np.asarray(model.predict_proba(x))[0]
        return {"kind": "terms", "label": classes[int(probs.argmax())], "probs": dict(zip(classes, probs.tolist())),
                "tokens": text_contributions(model, x[0], k), "top": top_terms(model, classes, k)}
    return _token_attributions(model, x, tokenizer, classes, steps)


def _token_attributions(model, x: dict[str, np.ndarray], tokenizer, classes: list[str], steps: int) -> dict:
    import torch
    from captum.attr import LayerIntegratedGradients
    from torch import nn

    ids = torch.from_numpy(x["input_ids"])
    mask = torch.from_numpy(x["attention_mask"])
    model.eval()
    with torch.no_grad():
        probs = torch.softmax(model(input_ids=ids, attention_mask=mask), dim=1)[0].numpy()
    target = int(probs.argmax())
    embedding = next(m for m in model.modules() if isinstance(m, nn.Embedding))
    lig = LayerIntegratedGradients(lambda i, m: model(input_ids=i, attention_mask=m), embedding)
    pad = (tokenizer.padding or {}).get("pad_id", 0)  # a Hugging Face checkpoint's own id (RoBERTa, KoBERT: 1)
    attr = lig.attribute(ids, baselines=torch.full_like(ids, pad), additional_forward_args=(mask,),
                         target=target, n_steps=steps)
    scores = attr.sum(dim=-1)[0].detach().numpy()
    real = mask[0].numpy().astype(bool)
    tokens = [(tokenizer.id_to_token(int(i)) or "?", float(s)) for i, s, r in zip(ids[0].tolist(), scores, real) if r]
    return {"kind": "tokens", "label": classes[target], "probs": dict(zip(classes, probs.tolist())), "tokens": tokens}


def to_html(text: str, result: dict[str, Any]) -> str:
    """The tokens (or terms) on a white-red/white-green scale, with the label and probabilities."""
    top = max((abs(s) for _, s in result["tokens"]), default=1.0) or 1.0
    spans = []
    for token, score in result["tokens"]:
        alpha = min(1.0, abs(score) / top)
        colour = f"rgba(0,160,0,{alpha:.2f})" if score >= 0 else f"rgba(220,0,0,{alpha:.2f})"
        spans.append(f"<span title='{score:+.4f}' style='background:{colour};padding:1px 2px'>"
                     f"{html.escape(token)}</span>")
    probs = ", ".join(f"{c} {p:.3f}" for c, p in result["probs"].items())
    what = "token attributions (Integrated Gradients)" if result["kind"] == "tokens" else "terms: value x weight"
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>seqlab explain</title></head><body>"
            f"<p><b>{html.escape(result['label'])}</b> ({probs})</p><p>{' '.join(spans)}</p>"
            f"<p style='color:#666'>{what}; green pushes towards the predicted class, red against it.</p>"
            f"<details><summary>text</summary><p>{html.escape(text)}</p></details>{_top_html(result)}</body></html>")


def _top_html(result: dict[str, Any]) -> str:
    """A linear model's strongest terms per class, with their weights."""
    if not result.get("top"):
        return ""
    cells = "".join(f"<td style='vertical-align:top'><b>{html.escape(c)}</b><br>"
                    + "<br>".join(f"{html.escape(t)} {w:+.3f}" for t, w in terms) + "</td>"
                    for c, terms in result["top"].items())
    return f"<h3>The model's strongest terms</h3><table><tr>{cells}</tr></table>"


def print_coloured(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.text import Text

    out = Text(f"{result['label']} ", style="bold")
    out.append(" ".join(f"{c} {p:.3f}" for c, p in result["probs"].items()) + "\n")
    top = max((abs(s) for _, s in result["tokens"]), default=1.0) or 1.0
    for token, score in result["tokens"]:
        level = int(min(1.0, abs(score) / top) * 4)
        style = ("green" if score >= 0 else "red") + (" bold" if level >= 2 else "") if level else ""
        out.append(token + " ", style=style)
    for c, terms in (result.get("top") or {}).items():
        out.append(f"\nstrongest terms for {c}: " + ", ".join(f"{t} {w:+.2f}" for t, w in terms[:10]))
    Console().print(out)


def write_html(path: str | Path, text: str, result: dict[str, Any]) -> Path:
    atomic.write_text(path, to_html(text, result))
    return Path(path)
