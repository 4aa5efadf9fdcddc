"""HTML fragments of the sidebar panels; every value is escaped here."""

from __future__ import annotations

from html import escape

from .knowledge import Explanation, StructureCard

_SIDE = {"left": "left side", "right": "right side", None: "midline"}


def explanation_html(ex: Explanation, audience: str, structures: list[str], disclaimer: str) -> str:
    """Explanation panel for an entry.

    Parameters
    ----------
    ex : Explanation
        Texts, red flags and sources.
    audience : {"patient", "student"}
        Which text to show.
    structures : list of str
        Display names of the structures shown.
    disclaimer : str
        Education-only notice.

    Returns
    -------
    str
        Escaped HTML.
    """
    text = ex.patient if audience == "patient" else ex.student
    parts = [f"<h3 class='tsv-title'>{escape(ex.name)}</h3>", f"<p>{escape(text)}</p>"]
    if structures:
        shown = ", ".join(escape(s) for s in structures[:12]) + (" …" if len(structures) > 12 else "")
        parts.append(f"<p class='tsv-small'><b>Shown:</b> {shown}</p>")
    if ex.red_flags:
        items = "".join(f"<li><b>{escape(s)}</b> – {escape(c)}</li>" for s, c in ex.red_flags)
        parts.append(f"<div class='tsv-redflags'><b>Seek prompt medical advice if:</b><ul>{items}</ul></div>")
    if ex.sources:
        links = "".join(
            f"<li><a href='{escape(u, quote=True)}' target='_blank' rel='noopener noreferrer'>{escape(t)}</a></li>"
            for u, t in ex.sources if u.startswith(("https://", "http://")))
        parts.append(f"<details><summary>Sources ({len(ex.sources)})</summary><ul class='tsv-small'>{links}</ul>"
                     "</details>")
    parts.append(f"<p class='tsv-disclaimer'>{escape(disclaimer)}</p>")
    return "\n".join(parts)


def structure_html(card: StructureCard) -> str:
    """Click-to-identify card of a structure (escaped HTML)."""
    where = ", ".join(x for x in (card.level and f"level {card.level}", _SIDE.get(card.side, card.side)) if x)
    return (f"<h4 class='tsv-title'>{escape(card.name)}</h4>"
            f"<p class='tsv-small'>{escape(card.group.capitalize())} · {escape(where)}</p>"
            f"<p>{escape(card.description)}</p>")


def message_html(text: str) -> str:
    """Escaped warning text."""
    return escape(text)


def shorten(value: object, limit: int = 60) -> str:
    """``repr``-like, length-limited text of an untrusted value for messages."""
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"
