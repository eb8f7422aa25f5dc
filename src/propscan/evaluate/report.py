"""Plain-text and Markdown tables of scores, shared by the CLI and the benchmarks."""

from __future__ import annotations

from typing import Any, Mapping


def _f(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def markdown_table(header: list[str], rows: list[list[Any]]) -> str:
    """A GitHub Markdown table; numbers right-aligned."""
    def cell(v: Any) -> str:
        return _f(v) if isinstance(v, float) or v is None else str(v)

    def numeric(i: int) -> bool:
        vals = [r[i] for r in rows if i < len(r) and r[i] not in ("", None)]
        return bool(vals) and all(isinstance(v, (int, float)) for v in vals[:1])

    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if numeric(i) else "---" for i in range(len(header))) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in r) + " |" for r in rows]
    return "\n".join(lines)


def text_table(header: list[str], rows: list[list[Any]]) -> str:
    """Columns padded for a terminal; the first left-aligned, the rest right-aligned."""
    cells = [header] + [[_f(v) if isinstance(v, float) or v is None else str(v) for v in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = []
    for n, r in enumerate(cells):
        out.append("  ".join(v.ljust(widths[i]) if i == 0 else v.rjust(widths[i]) for i, v in enumerate(r)))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def per_label_rows(result: Mapping[str, Any]) -> list[list[Any]]:
    """Per-label rows (label, P, R, F1, gold, predicted), most frequent gold label first."""
    per = result.get("per_label", {})
    order = sorted(per.items(), key=lambda kv: (-kv[1]["support"], -kv[1]["predicted"], kv[0]))
    return [[k, v["precision"], v["recall"], v["f1"], v["support"], v["predicted"]] for k, v in order]


PER_LABEL_HEADER = ["label", "precision", "recall", "F1", "gold", "predicted"]


def describe(task: str, title: str, metric: str, result: Mapping[str, Any], markdown: bool = False) -> str:
    """A task's headline, micro P/R/F1, macro-F1 when there is one, and the per-label table."""
    table = markdown_table if markdown else text_table
    head = f"{title} ({task}): {metric} = {result['score']:.4f}"
    lines = [head, f"  precision {result['precision']:.4f}  recall {result['recall']:.4f}  "
                   f"micro-F1 {result['f1']:.4f}"
             + (f"  macro-F1 {result['macro_f1']:.4f}" if result.get("macro_f1") is not None else "")]
    counts = {k: v for k, v in result.items() if isinstance(v, int) and not isinstance(v, bool)}
    if counts:
        lines.append("  " + ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in counts.items()))
    rows = per_label_rows(result)
    if rows:
        lines += ["", table(PER_LABEL_HEADER, rows)]
    return "\n".join(lines)
