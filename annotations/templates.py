"""Placeholders in structure ids, anchor names and labels.

A highlight or geometric annotation is written once for every level and
side an entry allows, using placeholders that :func:`fill` replaces:

===============  ==========================================================
``{n}``          number of the level: ``T6`` gives 6, ``R9`` gives 9 and a
                 segment gives its upper vertebra (``T5-T6`` gives 5)
``{n+1}``        the next number down (any ``{n+k}`` / ``{n-k}`` works)
``{level}``      the level token as chosen, e.g. ``T5-T6`` (for labels)
``{seg}``        the segment below vertebra ``T{n}`` in id form: ``T5_T6``,
                 ``T12_L1`` (for a segment level: that segment)
``{seg_above}``  the segment above vertebra ``T{n}``: ``T4_T5``
``{S}``          side letter of structure ids: ``L`` or ``R``
``{side}``       ``left`` or ``right`` (for labels)
===============  ==========================================================

Examples: ``rib_{S}{n}``, ``facet_{seg}_{S}``,
``vertebra_T{n+1}.transverse_tip_{S}``.
"""

from __future__ import annotations

import functools
import re

from .levels import SIDE_LETTERS, level_number

PLACEHOLDER_RE = re.compile(r"\{([A-Za-z_]+)([+-]\d+)?\}")
"""Pattern of one placeholder, e.g. ``{n}``, ``{n+1}`` or ``{S}``."""

LEVEL_PLACEHOLDERS: frozenset[str] = frozenset({"n", "level", "seg", "seg_above"})
"""Placeholders that need a level."""

SIDE_PLACEHOLDERS: frozenset[str] = frozenset({"S", "side"})
"""Placeholders that need a side."""

PLACEHOLDERS: frozenset[str] = LEVEL_PLACEHOLDERS | SIDE_PLACEHOLDERS
"""Every placeholder :func:`fill` understands."""


class TemplateError(ValueError):
    """A template uses an unknown placeholder or lacks a level or side."""


@functools.lru_cache(maxsize=4096)
def placeholders(template: str) -> frozenset[str]:
    """Return the placeholder names used in a template.

    Parameters
    ----------
    template : str
        Text such as ``"rib_{S}{n}"``.

    Returns
    -------
    frozenset of str
        For example ``{"S", "n"}``.

    Raises
    ------
    TemplateError
        If a placeholder is unknown, carries an offset other than on ``n``,
        or braces are unbalanced.
    """
    names = set()
    for m in PLACEHOLDER_RE.finditer(template):
        name, offset = m.group(1), m.group(2)
        if name not in PLACEHOLDERS:
            raise TemplateError(
                f"unknown placeholder {{{name}}} in {template!r}; "
                "known placeholders: "
                f"{', '.join(sorted('{' + p + '}' for p in PLACEHOLDERS))}"
            )
        if offset and name != "n":
            raise TemplateError(
                f"only {{n}} takes an offset such as {{n+1}}, not {{{name}{offset}}}"
            )
        names.add(name)
    stripped = PLACEHOLDER_RE.sub("", template)
    if "{" in stripped or "}" in stripped:
        raise TemplateError(f"unbalanced or malformed braces in {template!r}")
    return frozenset(names)


@functools.lru_cache(maxsize=4096)
def uses_level(template: str) -> bool:
    """Return True if the template needs a level."""
    return bool(placeholders(template) & LEVEL_PLACEHOLDERS)


@functools.lru_cache(maxsize=4096)
def uses_side(template: str) -> bool:
    """Return True if the template needs a side."""
    return bool(placeholders(template) & SIDE_PLACEHOLDERS)


def _segment_id(upper: int) -> str:
    lower = f"T{upper + 1}" if upper < 12 else "L1"
    return f"T{upper}_{lower}"


def fill(template: str, level: str | None, side: str | None) -> str:
    """Fill the placeholders of a template.

    Parameters
    ----------
    template : str
        Text with placeholders, e.g. ``"vertebra_T{n+1}.transverse_tip_{S}"``.
    level : str or None
        Canonical level token (``"T6"``, ``"T5-T6"`` or ``"R9"``).
    side : str or None
        ``"left"`` or ``"right"``.

    Returns
    -------
    str
        The filled text.

    Raises
    ------
    TemplateError
        If the template needs a level or side that was not given.

    Examples
    --------
    >>> fill("facet_{seg}_{S}", "T5-T6", "left")
    'facet_T5_T6_L'
    >>> fill("vertebra_T{n+1}.transverse_tip_{S}", "T6", "right")
    'vertebra_T7.transverse_tip_R'
    """
    placeholders(template)

    def replace(m: re.Match[str]) -> str:
        name, offset = m.group(1), m.group(2)
        if name in LEVEL_PLACEHOLDERS:
            if level is None:
                raise TemplateError(
                    f"{template!r} needs a level but the entry takes none"
                )
            n = level_number(level)
            if name == "n":
                return str(n + int(offset or 0))
            if name == "level":
                return level
            if name == "seg":
                return _segment_id(n)
            return f"T{n - 1}_T{n}"  # seg_above
        if side not in SIDE_LETTERS:
            raise TemplateError(f"{template!r} needs a side (left or right)")
        return SIDE_LETTERS[side] if name == "S" else side

    return PLACEHOLDER_RE.sub(replace, template)


def mirror(
    offset: tuple[float, float, float], side: str | None
) -> tuple[float, float, float]:
    """Mirror an offset written for the right side.

    Parameters
    ----------
    offset : tuple of float
        RAS offset in mm written for the patient's right side.
    side : str or None
        ``"left"`` flips x; ``"right"`` or ``None`` (midline) keeps it.

    Returns
    -------
    tuple of float
        The offset for that side.

    Examples
    --------
    >>> mirror((25.0, -10.0, 0.0), "left")
    (-25.0, -10.0, 0.0)
    """
    x, y, z = offset
    if side == "left":
        return (-x if x else 0.0, y, z)
    return (x, y, z)
