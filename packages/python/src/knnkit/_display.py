"""Rich display of fitted estimators and trees: what the engine built (the algorithm `auto` chose and why,
rows x features, dtype, distance kernel, memory, build time), in plain text and HTML, after scikit-learn's own display."""

from __future__ import annotations

import html


def fit_summary(obj) -> list[tuple[str, str]] | None:
    """(label, value) rows describing a fitted object, or None when it is not fitted."""
    remote = getattr(obj, "_remote", None)
    if remote is None or not remote.info:
        return None
    info = remote.info
    rows = [
        ("algorithm", str(info["algorithm"])),
        ("why", info.get("why", "the class chosen")),  # the engine says why for estimators; a tree is its class
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
