"""HTML pieces of a report: one page, styles inline, pictures and sounds as data URIs,
so the file opens anywhere without a network."""

from __future__ import annotations

import base64
import html
import io
import re
from collections.abc import Callable, Sequence
from typing import Any

_STYLE = """
body { font: 14px/1.45 system-ui, sans-serif; margin: 2em auto; max-width: 1000px;
       padding: 0 1em; color: #222; background: #fff; }
h1 { font-size: 1.5em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
table { border-collapse: collapse; margin: 0.5em 0; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f4f4f4; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.9em; }
img { max-width: 100%; height: auto; } .note { color: #555; font-size: 0.9em; }
mark { background: #ffd6d6; color: #a00; font-weight: bold; }
code { background: #f4f4f4; padding: 0 0.2em; }
"""


def escape(value: Any) -> str:
    return html.escape(str(value), quote=True)


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str]]) -> str:
    """The whole document: ``sections`` are (heading, inner HTML) pairs."""
    ids = [re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-") for heading, _ in sections]
    nav = " · ".join(
        f'<a href="#{i}">{escape(h)}</a>' for i, (h, _) in zip(ids, sections, strict=True)
    )
    body = "\n".join(
        f'<section id="{i}"><h2>{escape(h)}</h2>\n{inner}\n</section>'
        for i, (h, inner) in zip(ids, sections, strict=True)
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{escape(title)}</title>\n"
        # An empty icon: otherwise a browser asks the server for /favicon.ico.
        '<link rel="icon" href="data:,">\n'
        f"<style>{_STYLE}</style>\n</head>\n<body>\n<h1>{escape(title)}</h1>\n"
        f'<p class="note">{escape(subtitle)}</p>\n<nav>{nav}</nav>\n{body}\n</body>\n</html>\n'
    )


def table(header: Sequence[str] | None, rows: Sequence[Sequence[Any]]) -> str:
    """An HTML table (no header row when ``header`` is None); floats get 4 significant
    digits and align right; a value that is already HTML is passed as ``Markup``."""
    head = "" if header is None else "".join(f"<th>{escape(h)}</th>" for h in header)
    lines = []
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, Markup):
                cells.append(f"<td>{value}</td>")
            elif isinstance(value, float):
                cells.append(f'<td class="num">{value:.4g}</td>')
            elif isinstance(value, int) and not isinstance(value, bool):
                cells.append(f'<td class="num">{value}</td>')
            else:
                cells.append(f"<td>{escape(value)}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    thead = f"<thead><tr>{head}</tr></thead>" if head else ""
    return f"<table>{thead}<tbody>{''.join(lines)}</tbody></table>"


class Markup(str):
    """A string that is already HTML."""


def figure(
    draw: Callable[[Any], Any], caption: str, size: tuple[float, float] = (7, 4), rows: int = 1
) -> str:
    """A PNG of what ``draw(ax)`` puts on a fresh axes (``rows`` > 1: on that many
    axes, one above the other, sharing x), inlined, with a caption.

    Figures are made without pyplot, so a report never touches the user's backend.
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    draw(fig.subplots(rows, 1, sharex=True) if rows > 1 else fig.add_subplot())
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img alt="{escape(caption)}" src="data:image/png;base64,{data}">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )
