"""Our figures beside the ones papers report (``reference`` section of a protocol config)."""

from __future__ import annotations

from typing import Any


def reference_rows(metrics: dict[str, Any], reference: dict[str, Any] | None
                   ) -> tuple[list[str], list[tuple[str, list[Any]]], dict[str, str]]:
    """Columns (``seqlab`` then one per paper), rows ``(label, values)`` and the sources.

    Rows: accuracy, macro F1, then per class Se / PPV / F1 where anyone reports them.
    """
    papers = {k: v for k, v in (reference or {}).items() if isinstance(v, dict)}
    cols = ["seqlab"] + list(papers)

    def fig(src: dict[str, Any], cls: str | None, key: str) -> Any:
        if cls is None:
            return src.get(key)
        return ((src.get("per_class") or {}).get(cls) or {}).get(key)

    rows = [(key, [fig(metrics, None, key)] + [fig(p, None, key) for p in papers.values()])
            for key in ("accuracy", "macro_f1")]
    for c in metrics["classes"]:
        for key, label in (("sensitivity", "Se"), ("ppv", "PPV"), ("f1", "F1")):
            vals = [fig(metrics, c, key)] + [fig(p, c, key) for p in papers.values()]
            if any(v is not None for v in vals[1:]) or (papers == {} and vals[0] is not None):
                rows.append((f"{c} {label}", vals))
    sources = {k: p.get("source", "") for k, p in papers.items()}
    return cols, rows, sources


def reference_table(metrics: dict[str, Any], reference: dict[str, Any] | None) -> str:
    """The same as text, percentages with one decimal (what `seqlab reproduce` prints)."""
    cols, rows, sources = reference_rows(metrics, reference)
    width = max(12, *(len(c) for c in cols))
    fmt = lambda v: f"{100 * v:.1f}" if isinstance(v, (int, float)) else "—"  # noqa: E731
    lines = [f"{'(%)':<14}" + "".join(f"{c:>{width + 2}}" for c in cols)]
    lines += [f"{name:<14}" + "".join(f"{fmt(v):>{width + 2}}" for v in vals) for name, vals in rows]
    lines += [f"{k}: {s}" for k, s in sources.items() if s]
    return "\n".join(lines)
