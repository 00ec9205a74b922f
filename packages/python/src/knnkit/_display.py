"""Rich display of fitted estimators and trees: what the engine built (the algorithm `auto` chose and why,
rows x features, dtype, distance kernel, memory, build time), in plain text and HTML, after scikit-learn's own display."""

from __future__ import annotations

import html

# scikit-learn's `auto` rule, as core's chooseAlgorithm applies it (estimators.ts), in the order it is tested.
_AUTO_BRUTE = [
    (lambda m, rows, cols, k: m == "cosine", "the metric is cosine, which the trees cannot bound"),
    (lambda m, rows, cols, k: cols > 15, "{cols} features > 15, where trees stop pruning"),
    (lambda m, rows, cols, k: k >= rows // 2, "n_neighbors={k} is at least half the {rows} training rows"),
]


def _reason(obj, info: dict) -> str:
    """Why the engine built what it built."""
    requested = getattr(obj, "algorithm", None)
    if requested is None:  # KDTree / BallTree: the class is the algorithm
        return "the class chosen"
    if requested != "auto":
        return f"algorithm={requested!r} requested"
    metric, rows, cols = getattr(obj, "effective_metric_", obj.metric), info["rows"], info["cols"]
    k = getattr(obj, "n_neighbors", 1)
    for applies, why in _AUTO_BRUTE:
        if applies(metric, rows, cols, k):
            return "auto: " + why.format(cols=cols, k=k, rows=rows)
    if info["algorithm"] == "kd_tree":
        return f"auto: {cols} features <= 15 and a metric ({metric}) the KD-tree bounds"
    return f"auto: {cols} features <= 15 and a metric ({metric}) only the Ball tree bounds"


def fit_summary(obj) -> list[tuple[str, str]] | None:
    """(label, value) rows describing a fitted object, or None when it is not fitted."""
    remote = getattr(obj, "_remote", None)
    if remote is None or not remote.info:
        return None
    info = remote.info
    rows = [
        ("algorithm", str(info["algorithm"])),
        ("why", _reason(obj, info)),
        ("training data", f"{info['rows']:,} rows x {info['cols']:,} features, {info['dtype']}"),
    ]
    if info.get("kernel"):
        rows.append(("distance kernel", info["kernel"]))
    if info.get("memory_bytes") is not None:
        rows.append(("memory", f"{info['memory_bytes'] / 2**20:,.2f} MiB"))
    if info.get("engine_ms") is not None:
        rows.append(("build time", f"{info['engine_ms']:,.1f} ms in the engine"))
    if remote.fit_seconds is not None:
        rows.append(("fit call", f"{remote.fit_seconds * 1000:,.1f} ms (with the data transfer, and the engine start on a first call)"))
    return rows


def summary_text(obj) -> str | None:
    rows = fit_summary(obj)
    if rows is None:
        return None
    return "knnkit " + type(obj).__name__ + ":\n" + "\n".join(f"  {label}: {value}" for label, value in rows)


def summary_html(obj) -> str | None:
    rows = fit_summary(obj)
    if rows is None:
        return None
    body = "".join(
        f"<tr><th style='text-align:left;padding-right:1em'>{html.escape(label)}</th><td style='text-align:left'>{html.escape(value)}</td></tr>"
        for label, value in rows
    )
    return f"<div class='knnkit-fit'><b>knnkit {html.escape(type(obj).__name__)}</b><table>{body}</table></div>"


class FittedDisplay:
    """Adds the fit summary to the object's notebook display (scikit-learn's estimator HTML stays first)."""

    def _repr_mimebundle_(self, **kwargs):
        parent = getattr(super(), "_repr_mimebundle_", None)
        bundle = dict(parent(**kwargs)) if parent is not None else {"text/plain": repr(self)}
        text, page = summary_text(self), summary_html(self)
        if text is not None:
            bundle["text/plain"] = bundle["text/plain"] + "\n" + text
            bundle["text/html"] = bundle.get("text/html", f"<pre>{html.escape(repr(self))}</pre>") + page
        return bundle
