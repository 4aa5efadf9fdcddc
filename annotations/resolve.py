"""Resolve an entry's highlight specification for one level and side.

The result lists concrete structure ids with a role and colour, plus
geometric annotations whose anchor names are filled in and whose offsets
are mirrored for the left side.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .levels import (
    LevelError,
    describe_kind,
    expand_side,
    normalise_level,
    normalise_side,
    parse_levels,
)
from .templates import fill, mirror, uses_level, uses_side

if TYPE_CHECKING:  # pragma: no cover
    from .model import Displayable, GeometrySpec, HighlightSpec, Position, RedFlag

ROLE_PRIORITY: tuple[str, ...] = (
    "primary",
    "target",
    "caution",
    "secondary",
    "approach",
    "referral",
)
"""Highlight roles, strongest first; a structure named twice keeps the stronger role."""


@dataclass(frozen=True)
class ResolvedPosition:
    """A position as an anchor name plus an offset.

    Attributes
    ----------
    anchor : str
        Filled anchor name, e.g. ``"vertebra_T6.transverse_tip_L"``.
    offset : tuple of float
        RAS offset in mm, already mirrored for the side.
    """

    anchor: str
    offset: tuple[float, float, float]


@dataclass(frozen=True)
class ResolvedHighlight:
    """One structure to highlight.

    Attributes
    ----------
    structure_id : str
        Structure id of the model.
    role : str
        ``primary``, ``secondary``, ``referral``, ``target``, ``approach`` or
        ``caution``.
    colour : str
        ``"#rrggbb"``.
    colour_group : str
        Code of the colour table (``"JNT"``).
    level : str or None
        The level this highlight came from.
    side : str or None
        ``"left"``/``"right"`` for paired structures, ``None`` for midline.
    note : str or None
        Why the structure is shown.
    """

    structure_id: str
    role: str
    colour: str
    colour_group: str
    level: str | None
    side: str | None
    note: str | None


@dataclass(frozen=True)
class ResolvedGeometry:
    """A geometric annotation with filled anchors.

    Attributes
    ----------
    kind : str
        ``point``, ``path`` or ``region``.
    role : str
        ``target``, ``approach``, ``referral``, ``caution``,
        ``trigger_point``, ``landmark``, ``site`` or ``innervation``.
    label : str
        Filled label.
    colour, colour_group : str
        Hex colour and its colour-table code.
    level, side : str or None
        The level and side this annotation was made for.
    at : ResolvedPosition or None
        The position of a point.
    points : tuple of ResolvedPosition
        The positions of a path, in order.
    center : ResolvedPosition or None
        Centre of a round region.
    radius : float or None
        Radius of a round region in mm.
    band : tuple of ResolvedPosition
        Centre line of a band region (e.g. a skin band along a nerve).
    width : float or None
        Width of a band region in mm.
    stands_for : str or None
        The not-yet-modelled structure this annotation stands in for
        (``"pleura"``, ``"rhomboid_major"``).
    note : str or None
        Extra explanation.
    """

    kind: str
    role: str
    label: str
    colour: str
    colour_group: str
    level: str | None
    side: str | None
    at: ResolvedPosition | None
    points: tuple[ResolvedPosition, ...]
    center: ResolvedPosition | None
    radius: float | None
    band: tuple[ResolvedPosition, ...]
    width: float | None
    stands_for: str | None
    note: str | None

    @property
    def positions(self) -> tuple[ResolvedPosition, ...]:
        """All positions of the annotation, whatever its kind."""
        single = tuple(p for p in (self.at, self.center) if p is not None)
        return single + self.points + self.band


@dataclass(frozen=True)
class Resolution:
    """What to show for one entry at one level and side.

    Attributes
    ----------
    entry_id : str
        Condition or treatment id.
    variant_id : str or None
        Variant id, if the entry has variants.
    name : str
        Display name (of the variant when one is used).
    level_kind : str
        ``vertebra``, ``segment``, ``rib`` or ``none``.
    levels : tuple of str
        The levels shown (empty for entries without a level).
    side : str
        ``left``, ``right`` or ``both``.
    colour : str
        Main colour of the entry.
    highlights : tuple of ResolvedHighlight
        Structures to highlight, strongest role first within each level.
    geometry : tuple of ResolvedGeometry
        Points, paths and regions.
    red_flags : tuple of RedFlag
        Warning signs attached to the entry.
    """

    entry_id: str
    variant_id: str | None
    name: str
    level_kind: str
    levels: tuple[str, ...]
    side: str
    colour: str
    highlights: tuple[ResolvedHighlight, ...]
    geometry: tuple[ResolvedGeometry, ...]
    red_flags: tuple[RedFlag, ...]

    @property
    def structures(self) -> tuple[tuple[str, str, str], ...]:
        """``(structure id, role, colour)`` for every highlight."""
        return tuple((h.structure_id, h.role, h.colour) for h in self.highlights)

    @property
    def structure_ids(self) -> tuple[str, ...]:
        """The highlighted structure ids, in order."""
        return tuple(h.structure_id for h in self.highlights)

    def with_role(self, role: str) -> tuple[str, ...]:
        """Return the structure ids that have one role.

        Parameters
        ----------
        role : str
            For example ``"primary"``.

        Returns
        -------
        tuple of str
            Matching structure ids.
        """
        return tuple(h.structure_id for h in self.highlights if h.role == role)

    def geometry_with_role(self, role: str) -> tuple[ResolvedGeometry, ...]:
        """Return the geometric annotations that have one role."""
        return tuple(g for g in self.geometry if g.role == role)


def _valid_choices(kind: str, allowed: Sequence[str]) -> str:
    return ", ".join(allowed) if kind != "none" else "None (this entry takes no level)"


def choose_levels(
    owner: str, display: Displayable, level: str | Sequence[str] | None
) -> tuple[str, ...]:
    """Check a requested level against an entry and return canonical tokens.

    Parameters
    ----------
    owner : str
        Entry description used in error messages.
    display : Displayable
        The entry or variant.
    level : str, sequence of str or None
        Requested level(s); ``None`` gives the entry's defaults.

    Returns
    -------
    tuple of str
        Canonical level tokens (empty for an entry without levels).

    Raises
    ------
    ValueError
        Naming the entry, the parameter and the valid choices.
    """
    spec = display.levels
    if level is None:
        return spec.default
    choices = _valid_choices(spec.kind, spec.allowed)
    if spec.kind == "none":
        raise ValueError(
            f"{owner}: parameter 'level'={level!r} is not valid; valid choices: "
            f"{choices}"
        )
    if not isinstance(level, str):
        level = tuple(level)
        if not level:
            raise ValueError(
                f"{owner}: parameter 'level' is empty; valid choices: {choices}"
            )
    try:
        tokens = parse_levels(level, spec.kind)
    except LevelError as exc:
        raise ValueError(
            f"{owner}: parameter 'level'={level!r} is not valid ({exc}); "
            f"this entry takes {describe_kind(spec.kind)}; valid choices: {choices}"
        ) from None
    outside = [t for t in tokens if t not in spec.allowed]
    if outside:
        raise ValueError(
            f"{owner}: parameter 'level'={level!r} is outside the allowed levels "
            f"({', '.join(outside)} not allowed); valid choices: {choices}"
        )
    return tokens


def choose_side(owner: str, display: Displayable, side: str | None) -> str:
    """Check a requested side against an entry.

    Parameters
    ----------
    owner : str
        Entry description used in error messages.
    display : Displayable
        The entry or variant.
    side : str or None
        ``left``, ``right``, ``both`` or ``None`` for the default.

    Returns
    -------
    str
        The side.

    Raises
    ------
    ValueError
        Naming the entry, the parameter and the valid choices.
    """
    spec = display.sides
    if side is None:
        return spec.default
    try:
        value = normalise_side(side)
    except LevelError:
        value = None
    if value is None or value not in spec.allowed:
        raise ValueError(
            f"{owner}: parameter 'side'={side!r} is not valid; valid choices: "
            f"{', '.join(spec.allowed)}"
        )
    return value


def item_expansions(
    item: HighlightSpec | GeometrySpec,
    templates: Sequence[str],
    levels: Sequence[str],
    sides: Sequence[str],
) -> Iterator[tuple[str | None, str | None]]:
    """Yield the ``(level, side)`` pairs one highlight or annotation expands to.

    Parameters
    ----------
    item : HighlightSpec or GeometrySpec
        The item.
    templates : sequence of str
        Every template string of the item (ids, anchors, label).
    levels : sequence of str
        Levels chosen for the entry.
    sides : sequence of str
        Concrete sides chosen (``left`` and/or ``right``).

    Yields
    ------
    tuple
        ``(level or None, side or None)``.
    """
    needs_level = any(uses_level(t) for t in templates)
    if item.over is not None:
        item_levels: Sequence[str | None] = item.over
    elif needs_level:
        item_levels = [lv for lv in levels if item.levels is None or lv in item.levels]
    elif item.levels is None or any(lv in item.levels for lv in levels):
        item_levels = [None]
    else:
        item_levels = []
    if item.side == "selected":
        item_sides: Sequence[str | None] = sides
    elif item.side == "midline":
        item_sides = [None]
    else:
        item_sides = [item.side]
    for lv in item_levels:
        for sd in item_sides:
            yield lv, sd


def _position(pos: Position, level: str | None, side: str | None) -> ResolvedPosition:
    return ResolvedPosition(fill(pos.anchor, level, side), mirror(pos.offset, side))


def resolve_display(
    owner: str,
    display: Displayable,
    entry_id: str,
    variant_id: str | None,
    level: str | Sequence[str] | None,
    side: str | None,
) -> Resolution:
    """Resolve the highlights and annotations of an entry or variant.

    Parameters
    ----------
    owner : str
        Entry description used in error messages.
    display : Displayable
        The entry or variant to resolve.
    entry_id : str
        Id of the entry.
    variant_id : str or None
        Id of the variant, if any.
    level : str, sequence of str or None
        Level(s) to show; ``None`` gives the defaults.
    side : str or None
        ``left``, ``right``, ``both`` or ``None`` for the default.

    Returns
    -------
    Resolution
        Structures, roles, colours and geometric annotations.

    Raises
    ------
    ValueError
        If the level or side is not allowed for the entry.
    """
    levels = choose_levels(owner, display, level)
    chosen_side = choose_side(owner, display, side)
    sides = expand_side(chosen_side)
    loop_levels: Sequence[str] = levels

    best: dict[str, ResolvedHighlight] = {}
    order: list[str] = []
    for item in display.highlights:
        for lv, sd in item_expansions(item, (item.structure,), loop_levels, sides):
            sid = fill(item.structure, lv, sd)
            hl = ResolvedHighlight(
                structure_id=sid,
                role=item.role,
                colour=item.colour.hex,
                colour_group=item.colour.code,
                level=lv
                if (uses_level(item.structure) or item.over is not None)
                else None,
                side=sd if uses_side(item.structure) else None,
                note=item.note,
            )
            old = best.get(sid)
            if old is None:
                best[sid] = hl
                order.append(sid)
            elif ROLE_PRIORITY.index(hl.role) < ROLE_PRIORITY.index(old.role):
                best[sid] = hl

    geometry: list[ResolvedGeometry] = []
    seen: set[ResolvedGeometry] = set()
    for g in display.geometry:
        positions = (
            [p for p in (g.at, g.center) if p is not None]
            + list(g.points)
            + list(g.band)
        )
        templates = [p.anchor for p in positions] + [g.label]
        sided = any(uses_side(t) for t in templates) or any(
            p.offset[0] for p in positions
        )
        for lv, sd in item_expansions(g, templates, loop_levels, sides):
            if not sided:
                sd = None  # a midline annotation is the same on both sides
            rg = ResolvedGeometry(
                kind=g.kind,
                role=g.role,
                label=fill(g.label, lv, sd),
                colour=g.colour.hex,
                colour_group=g.colour.code,
                level=lv,
                side=sd,
                at=_position(g.at, lv, sd) if g.at else None,
                points=tuple(_position(p, lv, sd) for p in g.points),
                center=_position(g.center, lv, sd) if g.center else None,
                radius=g.radius,
                band=tuple(_position(p, lv, sd) for p in g.band),
                width=g.width,
                stands_for=fill(g.stands_for, lv, sd) if g.stands_for else None,
                note=g.note,
            )
            if rg not in seen:
                seen.add(rg)
                geometry.append(rg)

    return Resolution(
        entry_id=entry_id,
        variant_id=variant_id,
        name=display.name,
        level_kind=display.levels.kind,
        levels=levels,
        side=chosen_side,
        colour=display.colour.hex,
        highlights=tuple(best[s] for s in order),
        geometry=tuple(geometry),
        red_flags=display.red_flags,
    )


def canonical_level(token: str) -> str:
    """Return the canonical form of one level token (``"T5_T6"`` gives ``"T5-T6"``)."""
    return normalise_level(token)[1]
