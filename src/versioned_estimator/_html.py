"""The envelope card shown beside scikit-learn's estimator diagram in Jupyter.

Built from the envelope alone, so a sealed model shows its card without being
loaded. Colours: green for a package that is the same here, amber for a
changed version, red for a missing one.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

from versioned_estimator._environment import compare

__all__ = ["envelope_card"]

_COLOURS = {
    "same": "#1a7f37",
    "patch": "#9a6700",
    "minor": "#bc4c00",
    "major": "#bc4c00",
    "missing": "#cf222e",
}
_KEY_PACKAGES = ("scikit-learn", "numpy", "scipy", "pandas", "joblib")


def _number(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _row(label: str, value: str) -> str:
    return (
        f'<tr><th style="text-align:left;padding:2px 8px 2px 0;font-weight:600">'
        f'{html.escape(label)}</th><td style="text-align:left;padding:2px 0">'
        f"{value}</td></tr>"
    )


def _badge(change: str, text: str) -> str:
    colour = _COLOURS.get(change, "#57606a")
    return (
        f'<span class="ve-{html.escape(change)}" style="display:inline-block;'
        f"margin:1px 4px 1px 0;padding:0 6px;border-radius:8px;color:white;"
        f'background:{colour};font-size:90%">{html.escape(text)}</span>'
    )


def envelope_card(
    envelope: Mapping[str, Any], *, state: str, probe_status: str | None = None
) -> str:
    """An HTML card summarizing an envelope.

    Parameters
    ----------
    envelope : dict
        The envelope's plain data.
    state : str
        ``"sealed"`` (not loaded yet) or ``"loaded"``.
    probe_status : str, optional
        What the last probe replay found, when there was one.

    Examples
    --------
    >>> from sklearn.linear_model import LinearRegression
    >>> from versioned_estimator import VersionedEstimator
    >>> model = VersionedEstimator(LinearRegression()).fit([[0], [1]], [0, 1])
    >>> "LinearRegression" in envelope_card(model.envelope.to_dict(), state="loaded")
    True
    """
    report = compare(dict(envelope))
    git = envelope.get("git") or {}
    commit = git.get("commit")
    commit_text = (
        html.escape(commit[:12]) + (" (dirty)" if git.get("dirty") else "")
        if commit
        else "not in a git work tree"
    )
    badges = []
    entries = {entry.name: entry for entry in report.packages}
    shown = [name for name in _KEY_PACKAGES if name in entries]
    shown += [name for name in entries if name not in shown][: max(0, 8 - len(shown))]
    for name in shown:
        entry = entries[name]
        text = f"{name} {entry.saved}"
        if entry.change != "same":
            text += f" → {entry.installed or 'missing'}"
        badges.append(_badge(entry.change, text))
    python = report.python
    badges.append(
        _badge(
            python.change if python.change in ("same", "patch") else "minor",
            f"python {python.saved}"
            + ("" if python.change == "same" else f" → {python.installed}"),
        )
    )
    verdict = (
        _badge("same", "environment matches")
        if report.ok
        else _badge(
            "missing"
            if any(e.change == "missing" for e in report.mismatches)
            else "minor",
            f"{len(report.mismatches)} mismatch(es)",
        )
    )
    probe = envelope.get("probe")
    trailer = envelope.get("trailer")
    outputs = (probe or {}).get("outputs") if isinstance(probe, Mapping) else None
    if outputs is None and isinstance(trailer, Mapping):
        outputs = (trailer.get("probe") or {}).get("outputs")
    if probe_status is None:
        probe_status = (
            f"{probe.get('n_rows', '?')} rows, "
            f"{', '.join(sorted(outputs or {})) or 'outputs at the end of the file'}"
            if isinstance(probe, Mapping)
            else "no probe (probe_size=0, or wrapped without probe=X)"
        )
        if isinstance(probe, Mapping) and state == "sealed":
            probe_status += "; replayed on first use"
    schema = envelope.get("schema") or {}
    rows = [
        _row(
            "estimator",
            f"<code>{html.escape(str(envelope.get('estimator_class')))}</code>",
        ),
        _row("state", html.escape(state)),
        _row("created", html.escape(str(envelope.get("created_at")))),
        _row("commit", commit_text),
        _row("features", html.escape(str(schema.get("n_features_in")))),
        _row("environment", verdict + "<br>" + "".join(badges)),
        _row("probe", html.escape(probe_status)),
    ]
    metadata = envelope.get("metadata") or {}
    if metadata:
        text = ", ".join(f"{k}={v}" for k, v in list(metadata.items())[:6])
        rows.append(_row("metadata", html.escape(text)))
    evaluation = envelope.get("evaluation") or {}
    if evaluation.get("best_score") is not None:
        rows.append(
            _row(
                "best score",
                html.escape(
                    f"{_number(evaluation['best_score'])} "
                    f"({evaluation.get('scoring') or 'default score'}, "
                    f"{evaluation.get('n_splits')} splits)"
                ),
            )
        )
    return (
        '<div class="ve-card" style="display:inline-block;vertical-align:top;'
        "border:1px solid #d0d7de;border-radius:6px;padding:8px 12px;margin:4px;"
        'font-family:sans-serif;font-size:13px">'
        '<div style="font-weight:700;margin-bottom:4px">versioned-estimator envelope'
        f"</div><table>{''.join(rows)}</table></div>"
    )
