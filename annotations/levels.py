"""Level and side tokens used by the clinical knowledge base.

Three kinds of level are used by conditions and treatments:

``vertebra``
    ``"T1"`` ... ``"T12"``.
``segment``
    A motion segment (disc and facet joints between two vertebrae):
    ``"T1-T2"`` ... ``"T11-T12"``, ``"T12-L1"``.  ``"T5_T6"`` and ``"T5-6"``
    are accepted and normalised to ``"T5-T6"``.
``rib``
    ``"R1"`` ... ``"R12"``: the rib number (and the intercostal space, nerve
    and cartilage of that rib).  ``"R9"`` means rib 9, never "right".

An entry may also take no level at all (kind ``"none"``).

Ranges are written ``"T7..T9"``, ``"T5-T6..T8-T9"`` or ``"R8..R10"``
(inclusive, top to bottom).

Sides are ``"left"``, ``"right"`` or ``"both"`` (the patient's sides).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

LEVEL_KINDS: tuple[str, ...] = ("vertebra", "segment", "rib", "none")
"""Kinds of level an entry can take."""

VERTEBRAE: tuple[str, ...] = tuple(f"T{i}" for i in range(1, 13))
"""Vertebral level tokens, top to bottom."""

SEGMENTS: tuple[str, ...] = tuple(f"T{i}-T{i + 1}" for i in range(1, 12)) + ("T12-L1",)
"""Motion-segment tokens, top to bottom."""

RIBS: tuple[str, ...] = tuple(f"R{i}" for i in range(1, 13))
"""Rib tokens, top to bottom."""

TOKENS: dict[str, tuple[str, ...]] = {
    "vertebra": VERTEBRAE,
    "segment": SEGMENTS,
    "rib": RIBS,
}
"""Every valid token of each level kind, in order."""

SIDES: tuple[str, ...] = ("left", "right", "both")
"""Side choices of an entry (the patient's left and right)."""

SIDE_LETTERS: dict[str, str] = {"left": "L", "right": "R"}
"""Letter used in structure ids (``rib_L9``) for each side."""

_VERTEBRA_RE = re.compile(r"^T(\d{1,2})$")
_SEGMENT_RE = re.compile(r"^T(\d{1,2})\s*[-_]\s*(?:T(\d{1,2})|(\d{1,2})|(L1))$")
_RIB_RE = re.compile(r"^R(\d{1,2})$")


class LevelError(ValueError):
    """A level token, range or side is malformed or not allowed."""


def describe_kind(kind: str) -> str:
    """Return a short human description of a level kind.

    Parameters
    ----------
    kind : str
        One of :data:`LEVEL_KINDS`.

    Returns
    -------
    str
        For example ``"a segment level (T1-T2 ... T12-L1)"``.
    """
    if kind == "none":
        return "no level"
    tokens = TOKENS[kind]
    return f"a {kind} level ({tokens[0]} ... {tokens[-1]})"


def normalise_level(token: str) -> tuple[str, str]:
    """Parse one level token.

    Parameters
    ----------
    token : str
        ``"T6"``, ``"t6"``, ``"T5-T6"``, ``"T5_T6"``, ``"T5-6"``, ``"T12-L1"``
        or ``"R9"``.

    Returns
    -------
    tuple of str
        ``(kind, canonical token)``, e.g. ``("segment", "T5-T6")``.

    Raises
    ------
    LevelError
        If the token is not a valid level of the thoracic model.

    Examples
    --------
    >>> normalise_level("t5_t6")
    ('segment', 'T5-T6')
    >>> normalise_level("R9")
    ('rib', 'R9')
    """
    if not isinstance(token, str):
        raise LevelError(
            f"a level must be a string, got {type(token).__name__} {token!r}"
        )
    text = token.strip().upper()
    m = _VERTEBRA_RE.match(text)
    if m:
        n = int(m.group(1))
        if 1 <= n <= 12:
            return "vertebra", f"T{n}"
        raise LevelError(f"{token!r} is not a thoracic vertebra (T1 ... T12)")
    m = _SEGMENT_RE.match(text)
    if m:
        upper = int(m.group(1))
        if m.group(4):
            lower = 13
        else:
            lower = int(m.group(2) or m.group(3))
        if 1 <= upper <= 12 and lower == upper + 1 and lower <= 13:
            return "segment", SEGMENTS[upper - 1]
        raise LevelError(
            f"{token!r} is not a thoracic motion segment of two adjacent vertebrae "
            "(T1-T2 ... T12-L1)"
        )
    m = _RIB_RE.match(text)
    if m:
        n = int(m.group(1))
        if 1 <= n <= 12:
            return "rib", f"R{n}"
        raise LevelError(f"{token!r} is not a rib number (R1 ... R12)")
    raise LevelError(
        f"{token!r} is not a level token; use a vertebra (T6), a segment (T5-T6) or a "
        "rib (R9)"
    )


def level_number(token: str) -> int:
    """Return the number of a canonical level token.

    Parameters
    ----------
    token : str
        A canonical token: ``"T6"`` gives 6, ``"R9"`` gives 9 and a segment
        gives the number of its upper vertebra (``"T5-T6"`` gives 5).

    Returns
    -------
    int
        The level number.
    """
    return int(re.match(r"^[TR](\d+)", token).group(1))  # type: ignore[union-attr]


def parse_levels(spec: str | Sequence[str], kind: str | None = None) -> tuple[str, ...]:
    """Expand a level specification into canonical tokens.

    Parameters
    ----------
    spec : str or sequence of str
        A token (``"T6"``), a range (``"T7..T9"``) or a list of tokens and
        ranges (``["T7..T8", "T12"]``).
    kind : str or None, default: None
        The level kind every token must have; ``None`` accepts any one kind
        as long as all tokens share it.

    Returns
    -------
    tuple of str
        Canonical tokens in the order given, without duplicates.

    Raises
    ------
    LevelError
        If a token is malformed, of another kind, or a range runs upwards.

    Examples
    --------
    >>> parse_levels("R8..R10")
    ('R8', 'R9', 'R10')
    >>> parse_levels(["T7..T8", "T12"], "vertebra")
    ('T7', 'T8', 'T12')
    """
    items: Iterable[str] = [spec] if isinstance(spec, str) else spec
    out: list[str] = []
    seen_kind = kind
    for item in items:
        if not isinstance(item, str):
            raise LevelError(
                f"a level must be a string, got {type(item).__name__} {item!r}"
            )
        parts = item.split("..")
        if len(parts) > 2:
            raise LevelError(f"{item!r} is not a level or a range such as 'T7..T9'")
        parsed = [normalise_level(p) for p in parts]
        kinds = {k for k, _ in parsed}
        if len(kinds) != 1:
            raise LevelError(f"the range {item!r} mixes level kinds")
        this_kind = parsed[0][0]
        if seen_kind is not None and this_kind != seen_kind:
            raise LevelError(
                f"{item!r} is {describe_kind(this_kind)}, expected "
                f"{describe_kind(seen_kind)}"
            )
        seen_kind = this_kind
        tokens = TOKENS[this_kind]
        first = tokens.index(parsed[0][1])
        last = tokens.index(parsed[-1][1])
        if last < first:
            raise LevelError(f"the range {item!r} must run from top to bottom")
        for tok in tokens[first : last + 1]:
            if tok not in out:
                out.append(tok)
    return tuple(out)


def level_kind_of(spec: str | Sequence[str]) -> str:
    """Return the kind of a level specification (see :func:`parse_levels`)."""
    first = spec if isinstance(spec, str) else spec[0]
    return normalise_level(first.split("..")[0])[0]


def normalise_side(side: str) -> str:
    """Normalise a side choice.

    Parameters
    ----------
    side : str
        ``"left"``, ``"right"`` or ``"both"`` (case-insensitive).

    Returns
    -------
    str
        The lower-case side.

    Raises
    ------
    LevelError
        If the value is not a side.
    """
    if not isinstance(side, str) or side.strip().lower() not in SIDES:
        raise LevelError(f"{side!r} is not a side; use one of {', '.join(SIDES)}")
    return side.strip().lower()


def expand_side(side: str) -> tuple[str, ...]:
    """Return the concrete sides of a side choice (``"both"`` gives left and right)."""
    return ("left", "right") if side == "both" else (side,)
