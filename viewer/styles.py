"""Colours, opacities and lighting constants of the viewer.

All appearance constants live here (brainrender ``settings.py`` style) so that
the scene logic stays free of magic numbers.  Colours are ``"#rrggbb"``
strings; :func:`hex_to_rgb` converts them to floats in ``[0, 1]``.
"""

from __future__ import annotations

BACKGROUND = "#f4f5f7"
"""Page-matching light grey background of the 3D view."""

BASE_COLOURS: dict[str, str] = {
    "vertebra": "#e6dcc8",
    "rib": "#e3d7c0",
    "sternum": "#e6dcc8",
    "cartilage": "#d9e6ee",
    "disc": "#a9c3cf",
    "cord": "#efdca2",
    "nerve": "#e8c547",
    "joint": "#c9a39c",
    "annotation": "#4a5568",
}
"""Neutral colour of each display group: bone ivory, bluish-white cartilage,
grey-blue disc, pale cord, yellow nerves and a calm dusty rose for joints."""

FALLBACK_COLOUR = "#cfcfcf"
"""Colour of a structure whose group is unknown."""

FADE_OPACITY = 0.22
"""Opacity of the structures that are not highlighted while fading is on."""

FADE_OPACITY_BY_GROUP: dict[str, float] = {"joint": 0.08}
"""Groups faded further than :data:`FADE_OPACITY`: the many small joint
capsules otherwise read as a column of bubbles over the faded spine."""

XRAY_OPACITY = 0.18
"""Opacity of bone and cartilage in x-ray mode."""

XRAY_GROUPS: frozenset[str] = frozenset({"vertebra", "rib", "sternum", "cartilage"})
"""Groups made translucent by x-ray mode."""

ROLE_MIX: dict[str, float] = {"primary": 0.0, "secondary": 0.35, "context": 0.6}
"""How far each highlight role is blended back towards the neutral colour
(0 = the full highlight colour).  Unknown roles are drawn as ``primary``."""

MATERIAL: dict[str, float] = {
    "ambient": 0.18,
    "diffuse": 0.82,
    "specular": 0.18,
    "specular_power": 18.0,
}
"""Phong material shared by every structure: matte bone with a soft sheen."""

LABEL_TEXT = "#1a202c"
"""Text colour of the labels drawn over the model (on a white box)."""

MAX_LABELS = 14
"""Upper bound of text labels drawn at once, so that they stay readable."""

FRAME_MIN_RADIUS = 80.0
"""Smallest radius (mm) the camera frames, so one joint does not fill the view."""


def hex_to_rgb(colour: str) -> tuple[float, float, float]:
    """Convert a ``"#rrggbb"`` string to floats.

    Parameters
    ----------
    colour : str
        Hex colour with or without the leading ``#``.

    Returns
    -------
    tuple of float
        Red, green and blue in ``[0, 1]``.

    Raises
    ------
    ValueError
        If ``colour`` is not a 6-digit hex string.

    Examples
    --------
    >>> hex_to_rgb("#ff8000")
    (1.0, 0.502, 0.0)
    """
    text = colour.strip().lstrip("#")
    if len(text) != 6:
        raise ValueError(f"not a #rrggbb colour: {colour!r}")
    r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
    return (round(r / 255, 3), round(g / 255, 3), round(b / 255, 3))


def rgb_to_hex(rgb: tuple[float, float, float]) -> str:
    """Convert float RGB in ``[0, 1]`` to ``"#rrggbb"``.

    Examples
    --------
    >>> rgb_to_hex((1.0, 0.5, 0.0))
    '#ff8000'
    """
    return "#" + "".join(f"{round(max(0.0, min(1.0, c)) * 255):02x}" for c in rgb)


def ink(colour: str, min_contrast: float = 3.0) -> str:
    """Return ``colour``, darkened until it reads on white (WCAG contrast >= ``min_contrast``).

    Used for label borders, leader lines and anchor dots, so that white or
    yellow highlight colours still draw a visible outline on the light view.

    Examples
    --------
    >>> ink("#2b6cb0")
    '#2b6cb0'
    >>> ink("#ffffff")
    '#8e8e8e'
    """
    rgb = hex_to_rgb(colour)
    for _ in range(40):
        if _contrast_with_white(rgb) >= min_contrast:
            break
        rgb = tuple(c * 0.92 for c in rgb)  # type: ignore[assignment]
    return rgb_to_hex(rgb)


def _contrast_with_white(rgb: tuple[float, float, float]) -> float:
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    lum = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return 1.05 / (lum + 0.05)


def mix(a: tuple[float, float, float], b: tuple[float, float, float], t: float) -> tuple[float, float, float]:
    """Blend two RGB colours: ``t = 0`` gives ``a`` and ``t = 1`` gives ``b``."""
    return tuple(round(x + (y - x) * t, 3) for x, y in zip(a, b))  # type: ignore[return-value]
