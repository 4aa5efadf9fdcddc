"""HTML fragments of the sidebar panels; every value is escaped here."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

import param
from panel.custom import JSComponent

from .knowledge import Explanation, StructureCard

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_SIDE = {"left": "left side", "right": "right side", None: "midline"}


def explanation_html(ex: Explanation, audience: str, structures: list[str], disclaimer: str,
                     markers: Sequence[tuple[str, str]] = ()) -> str:
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
        Education-only notice ("" when the page shows it elsewhere).
    markers : sequence of (colour, text), optional
        Full descriptions of the points, paths and zones drawn on the model
        (the model itself only shows short labels).

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
    if markers:
        items = "".join(f"<li><span class='tsv-swatch' style='background:{c if _HEX.match(c) else '#718096'}'>"
                        f"</span>{escape(t)}</li>" for c, t in dict.fromkeys(markers))
        parts.append(f"<div class='tsv-small'><b>On the model:</b><ul class='tsv-marks'>{items}</ul></div>")
    if ex.red_flags:
        items = "".join(f"<li><b>{escape(s)}</b> – {escape(c)}</li>" for s, c in ex.red_flags)
        parts.append(f"<div class='tsv-redflags'><b>Seek prompt medical advice if:</b><ul>{items}</ul></div>")
    if ex.sources:
        links = "".join(
            f"<li><a href='{escape(u, quote=True)}' target='_blank' rel='noopener noreferrer'>{escape(t)}</a></li>"
            for u, t in ex.sources if u.startswith(("https://", "http://")))
        parts.append(f"<details><summary>Sources ({len(ex.sources)})</summary><ul class='tsv-small'>{links}</ul>"
                     "</details>")
    if disclaimer:
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


_LINKS_ESM = """
export function render({ model, el }) {
  const draw = () => {
    const items = model.items || []
    const title = items.length && model.title ? [Object.assign(document.createElement("div"),
      { className: "tsv-links-title", textContent: model.title })] : []
    if (!items.length && model.empty) {
      const p = document.createElement("p")
      p.className = "tsv-links-empty"
      p.textContent = model.empty
      el.replaceChildren(p)
      return
    }
    el.replaceChildren(...title, ...items.map(([id, name]) => {
      const b = document.createElement("button")
      b.type = "button"
      b.className = "tsv-link"
      b.textContent = name
      b.addEventListener("click", () => model.send_msg(id))
      return b
    }))
  }
  draw()
  model.on(["items", "empty", "title"], draw)
}
"""

_LINKS_CSS = """
:host { display: block; }
.tsv-link { margin: 2px 4px 2px 0; padding: 3px 9px; border: 1px solid #cbd5e0; border-radius: 999px;
  background: #f7fafc; color: #1a202c; font: 13px/1.3 system-ui, -apple-system, "Segoe UI", sans-serif;
  cursor: pointer; }
.tsv-link:hover, .tsv-link:focus-visible { background: #e2e8f0; border-color: #718096; }
.tsv-links-empty { margin: 2px 0; font-size: 0.9em; color: #4a5568; }
.tsv-links-title { margin: 4px 0 2px 0; font: 600 14px system-ui, -apple-system, "Segoe UI", sans-serif; }
"""


class EntryLinks(JSComponent):
    """A wrapping row of buttons naming conditions/treatments, as one small model.

    Changing :attr:`items` sends only the new list (a row of Panel buttons
    would send one new model per button).  A click calls the callbacks
    registered with :meth:`on_choose` with the entry id.
    """

    items = param.List(default=[], doc="``[[entry id, name], ...]`` shown as buttons.")
    empty = param.String(default="", doc="Text shown when there are no items.")
    title = param.String(default="", doc="Heading shown above the items (not when there are none).")

    _esm = _LINKS_ESM
    _stylesheets = [_LINKS_CSS]

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self._choose: list[Callable[[str], None]] = []

    def on_choose(self, callback: Callable[[str], None]) -> None:
        """Call ``callback(entry_id)`` when a button is clicked."""
        self._choose.append(callback)

    def _handle_msg(self, data: Any) -> None:
        if isinstance(data, str) and any(data == i for i, _ in self.items):
            for callback in self._choose:
                callback(data)


def entry_links(**params: Any) -> EntryLinks:
    """Create an :class:`EntryLinks` row."""
    return EntryLinks(**params)
