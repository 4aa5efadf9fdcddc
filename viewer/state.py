"""Plain-data scene state and the pure function that styles every structure.

The state is what a user changed (highlight, layers, x-ray, isolate, view);
:func:`compute_styles` derives the colour, opacity and visibility of every
structure from it.  Keeping both as plain data lets the app send a tiny diff to
the browser and lets exports reproduce exactly what the user sees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from . import styles
from .camera import DEFAULT_VIEW

Style = tuple[float, float, float, float, bool]
"""``(r, g, b, opacity, visible)`` of one structure."""


@dataclass(frozen=True)
class Highlight:
    """One highlighted structure.

    Parameters
    ----------
    structure_id : str
        Structure id.
    colour : str
        ``"#rrggbb"`` highlight colour (its colour group).
    role : str, default: "primary"
        ``"primary"``, ``"secondary"`` or ``"context"``; sets the emphasis.
    """

    structure_id: str
    colour: str
    role: str = "primary"


@dataclass(frozen=True)
class SceneState:
    """Everything a user changed, as immutable plain data.

    Parameters
    ----------
    highlights : tuple of Highlight
        Highlighted structures, in order.
    fade : bool, default: True
        Make non-highlighted structures translucent while something is
        highlighted.
    isolate : bool, default: False
        Hide non-highlighted structures while something is highlighted.
    xray : bool, default: False
        Make bone and cartilage translucent.
    hidden_groups : frozenset of str
        Groups switched off in the layer panel.
    group_opacity : tuple of (str, float)
        Per-group opacity set in the layer panel (default 1).
    view : str, default: "oblique"
        Last camera preset chosen.
    """

    highlights: tuple[Highlight, ...] = ()
    fade: bool = True
    isolate: bool = False
    xray: bool = False
    hidden_groups: frozenset[str] = styles.DEFAULT_HIDDEN_GROUPS
    group_opacity: tuple[tuple[str, float], ...] = ()
    view: str = DEFAULT_VIEW

    def with_(self, **changes: object) -> SceneState:
        """Return a copy with ``changes`` applied (``dataclasses.replace``)."""
        return replace(self, **changes)  # type: ignore[arg-type]

    @property
    def highlighted_ids(self) -> list[str]:
        """Ids of highlighted structures, without duplicates, in order."""
        return list(dict.fromkeys(h.structure_id for h in self.highlights))


@dataclass(frozen=True)
class StructureInfo:
    """Identity of a structure as the viewer needs it (group, level, side)."""

    id: str
    group: str
    level: str | None = None
    side: str | None = None


def base_style(info: StructureInfo) -> Style:
    """Neutral style of a structure: its own or its group's colour, opaque, visible."""
    colour = styles.STRUCTURE_COLOURS.get(info.id) or styles.BASE_COLOURS.get(info.group, styles.FALLBACK_COLOUR)
    r, g, b = styles.hex_to_rgb(colour)
    return (r, g, b, 1.0, True)


def compute_styles(infos: Mapping[str, StructureInfo], state: SceneState) -> dict[str, Style]:
    """Style every structure from a scene state.

    Rules, in order: neutral group colour; layer opacity and visibility;
    x-ray translucency of bone and cartilage; then, while something is
    highlighted, fade or hide the rest, and draw highlighted structures
    opaque and visible in their colour blended by role.

    Parameters
    ----------
    infos : mapping of str to StructureInfo
        Every structure of the scene.
    state : SceneState
        The state to render.

    Returns
    -------
    dict of str to Style
        One ``(r, g, b, opacity, visible)`` per structure id.

    Examples
    --------
    >>> infos = {"vertebra_T6": StructureInfo("vertebra_T6", "vertebra"),
    ...          "rib_L6": StructureInfo("rib_L6", "rib")}
    >>> state = SceneState(highlights=(Highlight("rib_L6", "#4caf50"),))
    >>> out = compute_styles(infos, state)
    >>> out["rib_L6"]
    (0.298, 0.686, 0.314, 1.0, True)
    >>> out["vertebra_T6"][3]
    0.22
    """
    opacity_of = dict(state.group_opacity)
    highlighted: dict[str, Highlight] = {}
    for h in state.highlights:
        highlighted.setdefault(h.structure_id, h)
    active = bool(highlighted)
    out: dict[str, Style] = {}
    for sid, info in infos.items():
        r, g, b, opacity, visible = base_style(info)
        opacity = float(opacity_of.get(info.group, opacity))
        visible = info.group not in state.hidden_groups
        if state.xray and info.group in styles.XRAY_GROUPS:
            opacity = min(opacity, styles.XRAY_OPACITY)
        h = highlighted.get(sid)
        if h is not None:
            if info.group not in styles.OWN_COLOUR_GROUPS:
                colour = styles.hex_to_rgb(h.colour)
                mix = styles.ROLE_MIX.get(h.role, 0.0)
                r, g, b = styles.mix(colour, (r, g, b), mix)
            opacity, visible = styles.HIGHLIGHT_OPACITY_BY_GROUP.get(info.group, 1.0), True
            if info.group in styles.DEFAULT_HIDDEN_GROUPS:
                opacity = min(opacity, styles.SOFT_ROLE_OPACITY.get(h.role, 1.0))
        elif active and state.isolate:
            visible = False
        elif active and state.fade:
            opacity = min(opacity, styles.FADE_OPACITY_BY_GROUP.get(info.group, styles.FADE_OPACITY))
        out[sid] = (r, g, b, round(opacity, 3), visible)
    return out


def style_diff(old: Mapping[str, Style], new: Mapping[str, Style]) -> dict[str, Style]:
    """Return the entries of ``new`` that differ from ``old``.

    Examples
    --------
    >>> style_diff({"a": (1, 1, 1, 1.0, True)}, {"a": (1, 1, 1, 0.5, True)})
    {'a': (1, 1, 1, 0.5, True)}
    """
    return {k: v for k, v in new.items() if old.get(k) != v}


def highlights_from(items: Iterable[Highlight | tuple[str, str] | tuple[str, str, str]]) -> tuple[Highlight, ...]:
    """Normalise ``(id, colour[, role])`` tuples or :class:`Highlight` objects."""
    out = []
    for item in items:
        if isinstance(item, Highlight):
            out.append(item)
        else:
            out.append(Highlight(*item))
    return tuple(out)
