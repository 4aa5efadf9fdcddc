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
    "scapula": "#e6dcc8",
    "muscle": "#b5534a",
    "diaphragm": "#c0736a",
    "pleura": "#9fc4e0",
    "dura": "#d8cfe8",
    "organ": "#c98b7b",
    "skin": "#e7b99a",
    "annotation": "#4a5568",
}
"""Neutral colour of each display group: bone ivory, bluish-white cartilage,
grey-blue disc, pale cord, yellow nerves, a calm dusty rose for joints, atlas
muscle red, pale blue pleura, lilac dura, flesh organs and skin."""

STRUCTURE_COLOURS: dict[str, str] = {
    "heart": "#b0413e",
    "lung_L": "#e8b4b0",
    "lung_R": "#e8b4b0",
    "liver": "#8b3a2f",
    "gallbladder": "#5f8a3a",
    "spleen": "#7d3c5a",
    "kidney_L": "#9c4a3c",
    "kidney_R": "#9c4a3c",
    "stomach": "#d9967f",
    "duodenum": "#d9a37f",
    "pancreas": "#e0b36a",
    "oesophagus": "#d18b7e",
    "descending_aorta": "#c23b3b",
}
"""Neutral colours of single structures that an atlas colours on their own
(organs); every other structure takes its group's colour."""

GROUP_LABELS: dict[str, str] = {
    "vertebra": "Vertebrae",
    "rib": "Ribs",
    "cartilage": "Costal cartilages",
    "sternum": "Sternum",
    "disc": "Discs",
    "cord": "Spinal cord",
    "nerve": "Nerves",
    "joint": "Joints",
    "scapula": "Shoulder blades",
    "muscle": "Muscles",
    "diaphragm": "Diaphragm",
    "pleura": "Pleura",
    "dura": "Dural sac",
    "organ": "Organs",
    "skin": "Skin zones",
}
"""Names of the display groups in the layer panel and legends."""

DEFAULT_HIDDEN_GROUPS: frozenset[str] = frozenset({"muscle", "diaphragm", "pleura", "dura", "organ", "skin"})
"""Soft-tissue groups hidden until a highlight or the layer panel shows them, so
that the skeleton reads first.  A highlighted structure is always shown."""

HIGHLIGHT_OPACITY_BY_GROUP: dict[str, float] = {"skin": 0.4, "pleura": 0.3, "dura": 0.6, "diaphragm": 0.85,
                                                "organ": 1.0, "muscle": 0.9}
"""Opacity of highlighted soft tissue: skin zones and the pleura stay see-through
so the bone under them still reads."""

OWN_COLOUR_GROUPS: frozenset[str] = frozenset({"organ"})
"""Groups drawn in their own atlas colour when highlighted (a patient knows the liver
as brown and the gallbladder as green); the label and legend name them."""

SOFT_ROLE_OPACITY: dict[str, float] = {"secondary": 0.45, "context": 0.3}
"""Extra cap on highlighted soft tissue drawn in a supporting role (a muscle
over the one that hurts must not hide it)."""

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
