"""Scene spec: a figure described as plain data (dict / JSON / web-app URL).

A :class:`SceneSpec` holds everything that decides what a figure shows:
the highlighted condition or treatment (with level and side), extra
structure highlights, layers, opacities, x-ray/isolate/fade, camera,
labels, legend and size.  It round-trips through JSON, so a figure in a
paper can be regenerated exactly::

    {"version": 1, "highlight": "slipping_rib_syndrome", "level": "R9",
     "side": "left", "view": "oblique", "size": [1600, 1200], ...}

The web app's URL state (``?highlight=...&level=...&side=...&view=...``)
is the same spec in another form: :meth:`SceneSpec.from_url` and
:meth:`SceneSpec.to_query` convert between the two, and
:func:`check_url_state` applies the app's rules for those four values.

Examples
--------
>>> from viewer.spec import SceneSpec
>>> spec = SceneSpec.from_url("http://localhost:5006/?highlight=slipping_rib_syndrome&level=R9&side=left")
>>> spec.highlight, spec.level, spec.side, spec.view
('slipping_rib_syndrome', 'R9', 'left', 'oblique')
>>> SceneSpec.from_dict(spec.to_dict()) == spec
True
>>> spec.to_query()
'highlight=slipping_rib_syndrome&level=R9&side=left'
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from .camera import DEFAULT_VIEW, PRESETS, CameraState
from .state import Highlight
from .styles import DEFAULT_HIDDEN_GROUPS

# The URL patterns of the web app's state (the app imports them from here: one parser for both).
_ID = re.compile(r"^[a-z0-9_]{1,80}(\.[a-z0-9_]{1,80})?$")  # entry id or "entry.variant"
_TOKEN = re.compile(r"^[A-Za-z0-9_\-.]{1,20}$")  # a level token: T6, T5-T6, R9
_SIDES = ("left", "right", "both")

SPEC_VERSION = 1
"""Version written to ``"version"``; specs of other versions are rejected."""

MAX_SIZE = 4000
"""Largest width or height of an exported image, pixels."""

MIN_SIZE = 16
"""Smallest width or height of an exported image, pixels."""

DEFAULT_SIZE = (1600, 1200)
"""Default figure size ``(width, height)``, pixels."""

ROLES = ("primary", "secondary", "context")
"""Roles of explicit structure highlights (see :data:`viewer.styles.ROLE_MIX`)."""

SPEC_PNG_KEY = "thoracic-viewer-spec"
"""PNG text chunk holding the scene spec of an exported figure."""

URL_KEYS = {"highlight": "highlight", "level": "level", "side": "side", "view": "view"}
"""Spec field -> URL query key of the web app (``SpineViewer`` URL sync)."""

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


MAX_LISTED_CHOICES = 24
"""Longest list of valid values written out in an error message."""


class SpecError(ValueError):
    """A spec value is invalid; the message names the value and the choices.

    Parameters
    ----------
    field : str
        Spec field (``"highlight"``, ``"level"``...).
    value : object
        The bad value.
    choices : sequence of str, optional
        Valid values, listed in the message.
    reason : str, optional
        Replaces the default "unknown <field>" wording.
    """

    def __init__(self, field: str, value: object, choices: Sequence[str] = (), reason: str = "") -> None:
        self.field, self.value, self.choices = field, value, tuple(choices)
        text = reason or f"unknown {field} {_quote(value)}"
        if len(self.choices) > MAX_LISTED_CHOICES:
            # a long list (the knowledge base has about a hundred entries) would bury the message
            close = difflib.get_close_matches(str(value)[:80], self.choices, n=5, cutoff=0.5)
            if close:
                text += "; did you mean " + ", ".join(close) + "?"
            text += f" ({len(self.choices)} choices; `thoracic-viewer list` prints them)"
        elif self.choices:
            text += "; choose one of: " + ", ".join(self.choices)
        super().__init__(text)


@dataclass(frozen=True)
class CustomLabel:
    """A text label pinned to a structure.

    Parameters
    ----------
    structure_id : str
        Structure the label points at.
    text : str
        Label text (short: it is drawn next to the structure).
    colour : str, default: "#2d3748"
        ``"#rrggbb"`` of the pin and the label border.
    """

    structure_id: str
    text: str
    colour: str = "#2d3748"


@dataclass(frozen=True)
class SceneSpec:
    """A complete, reproducible description of one figure.

    Parameters
    ----------
    highlight : str, default: ""
        Condition or treatment id (``annotations`` entry); ``""`` for none.
        URL key ``highlight``.
    level : str, default: ""
        Level of the entry (``"T6"``, ``"T5-T6"``, ``"R9"``); ``""`` for its
        default.  URL key ``level``.
    side : str, default: ""
        ``"left"``, ``"right"`` or ``"both"``; ``""`` for the entry's default.
        URL key ``side``.
    view : str, default: "oblique"
        Camera preset, a key of :data:`viewer.camera.PRESETS`.  URL key ``view``.
    structures : tuple of Highlight, default: ()
        Extra structure highlights ``(id, colour, role)``, drawn with the entry's.
    hidden : tuple of str, default: the soft-tissue groups
        Display groups switched off (``"nerve"``...).  Soft tissue
        (:data:`viewer.styles.DEFAULT_HIDDEN_GROUPS`) starts hidden; pass
        ``hidden=()`` to show every layer.
    opacity : tuple of (str, float), default: ()
        Layer opacity per display group (0-1).
    xray, isolate, fade : bool
        Scene modes as in the web app (defaults ``False``, ``False``, ``True``).
    camera : CameraState or None, default: None
        Explicit camera; ``None`` frames the highlight from ``view`` exactly
        as the web app does.
    labels : bool, default: True
        Draw labels of the highlighted structures (exports).
    legend : bool, default: True
        Draw a legend naming the highlighted structures (exports).
    custom_labels : tuple of CustomLabel, default: ()
        Extra labels pinned to structures.
    title : str, default: ""
        Legend title; ``""`` uses the entry name.
    size : (int, int), default: (1600, 1200)
        Image width and height in pixels (16-4000).
    transparent : bool, default: False
        Transparent PNG background.

    Examples
    --------
    >>> spec = SceneSpec(highlight="facet_joint_pain", level="T6-T7", view="posterior")
    >>> spec.to_dict()["size"]
    [1600, 1200]
    >>> spec.with_(side="left").side
    'left'
    """

    highlight: str = ""
    level: str = ""
    side: str = ""
    view: str = DEFAULT_VIEW
    structures: tuple[Highlight, ...] = ()
    hidden: tuple[str, ...] = tuple(sorted(DEFAULT_HIDDEN_GROUPS))
    opacity: tuple[tuple[str, float], ...] = ()
    xray: bool = False
    isolate: bool = False
    fade: bool = True
    camera: CameraState | None = None
    labels: bool = True
    legend: bool = True
    custom_labels: tuple[CustomLabel, ...] = ()
    title: str = ""
    size: tuple[int, int] = DEFAULT_SIZE
    transparent: bool = False

    def __post_init__(self) -> None:
        # canonical order, so that equal scenes give equal specs
        object.__setattr__(self, "hidden", tuple(sorted(set(self.hidden))))
        object.__setattr__(self, "opacity", tuple(sorted(dict(self.opacity).items())))
        check_view(self.view)
        check_size(*self.size)
        if self.side and self.side not in ("left", "right", "both"):
            raise SpecError("side", self.side, ("left", "right", "both"))
        for h in self.structures:
            check_colour(h.colour, "structure colour")
            if h.role not in ROLES:
                raise SpecError("role", h.role, ROLES)
        for lab in self.custom_labels:
            check_colour(lab.colour, "label colour")
        for group, value in self.opacity:
            if not (isinstance(value, int | float) and 0.0 <= float(value) <= 1.0):
                raise SpecError("opacity", f"{group}={value}", reason=f"opacity {group}={_quote(value)} is not in 0-1")

    @property
    def width(self) -> int:
        """Image width in pixels."""
        return self.size[0]

    @property
    def height(self) -> int:
        """Image height in pixels."""
        return self.size[1]

    def with_(self, **changes: Any) -> SceneSpec:
        """Return a copy with ``changes`` applied (validated again)."""
        return replace(self, **changes)

    # -- dict / JSON -----------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return the spec as JSON-able plain data (every field, explicit).

        Returns
        -------
        dict
            Keys as in the class parameters plus ``"version"``.
        """
        cam = self.camera
        return {
            "version": SPEC_VERSION,
            "highlight": self.highlight,
            "level": self.level,
            "side": self.side,
            "view": self.view,
            "structures": [{"id": h.structure_id, "colour": h.colour, "role": h.role} for h in self.structures],
            "hidden": list(self.hidden),
            "opacity": {g: v for g, v in self.opacity},
            "xray": self.xray,
            "isolate": self.isolate,
            "fade": self.fade,
            "camera": None if cam is None else {
                "position": list(cam.position), "focal_point": list(cam.focal_point),
                "view_up": list(cam.view_up), "view_angle": cam.view_angle},
            "labels": self.labels,
            "legend": self.legend,
            "custom_labels": [{"id": c.structure_id, "text": c.text, "colour": c.colour} for c in self.custom_labels],
            "title": self.title,
            "size": list(self.size),
            "transparent": self.transparent,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SceneSpec:
        """Build a spec from plain data; missing keys take their defaults.

        Parameters
        ----------
        data : mapping
            As written by :meth:`to_dict`.

        Returns
        -------
        SceneSpec

        Raises
        ------
        SpecError
            On an unknown key, a wrong type or an invalid value.

        Examples
        --------
        >>> SceneSpec.from_dict({"highlight": "costochondritis", "size": [800, 600]}).width
        800
        >>> SceneSpec.from_dict({"colour": "red"})  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        viewer.spec.SpecError: unknown key 'colour'; choose one of: version, highlight, ...
        """
        if not isinstance(data, Mapping):
            raise SpecError("spec", type(data).__name__, reason="a scene spec must be a JSON object")
        keys = list(cls().to_dict())
        for key in data:
            if key not in keys:
                raise SpecError("key", key, keys)
        version = data.get("version", SPEC_VERSION)
        if version != SPEC_VERSION:
            raise SpecError("version", version, (str(SPEC_VERSION),))
        kw: dict[str, Any] = {}
        for key in ("highlight", "level", "side", "view", "title"):
            if key in data:
                kw[key] = _typed(data[key], str, key)
        for key in ("xray", "isolate", "fade", "labels", "legend", "transparent"):
            if key in data:
                kw[key] = _typed(data[key], bool, key)
        if "structures" in data:
            kw["structures"] = tuple(
                Highlight(_typed(_item(s, "structures", "id"), str, "structure id"),
                          normalise_colour(_item(s, "structures", "colour")),
                          _typed(s.get("role", "primary"), str, "role"))
                for s in _typed(data["structures"], list, "structures"))
        if "hidden" in data:
            kw["hidden"] = tuple(_typed(g, str, "hidden") for g in _typed(data["hidden"], list, "hidden"))
        if "opacity" in data:
            kw["opacity"] = tuple(sorted((_typed(g, str, "opacity"), _number(v, f"opacity {g}"))
                                         for g, v in _typed(data["opacity"], dict, "opacity").items()))
        if data.get("camera") is not None:
            kw["camera"] = _camera(data["camera"])
        if "custom_labels" in data:
            kw["custom_labels"] = tuple(
                CustomLabel(_typed(_item(c, "custom_labels", "id"), str, "label id"),
                            _typed(_item(c, "custom_labels", "text"), str, "label text"),
                            normalise_colour(c.get("colour", CustomLabel.colour)))
                for c in _typed(data["custom_labels"], list, "custom_labels"))
        if "size" in data:
            size = _typed(data["size"], list, "size")
            if len(size) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in size):
                raise SpecError("size", size, reason=f"size {_quote(size)} must be [width, height] in pixels")
            kw["size"] = (size[0], size[1])
        return cls(**kw)

    def to_json(self, path: str | Path | None = None) -> str:
        """Return the spec as indented JSON; also write it to ``path`` if given."""
        text = json.dumps(self.to_dict(), indent=2) + "\n"
        if path is not None:
            from .export import write_atomic

            write_atomic(path, text.encode())
        return text

    @classmethod
    def from_json(cls, source: str | Path) -> SceneSpec:
        """Read a spec from a JSON file path or a JSON string.

        Raises
        ------
        SpecError
            If the file is missing, is not JSON or holds an invalid spec.
        """
        text = str(source)
        if not text.lstrip().startswith("{"):
            try:
                text = Path(source).read_text(encoding="utf-8")
            except OSError as exc:
                raise SpecError("spec", str(source), reason=f"cannot read spec {_quote(str(source))}: "
                                f"{exc.strerror or exc}") from None
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise SpecError("spec", str(source)[:80], reason=f"spec is not valid JSON ({exc.msg} at line "
                            f"{exc.lineno})") from None
        return cls.from_dict(data)

    # -- URL state of the web app --------------------------------------------------
    def to_query(self) -> str:
        """Return the web app's URL query for this spec (without ``?``).

        Only ``highlight``, ``level``, ``side`` and ``view`` have a URL form;
        empty values and the default view are left out, as in the app.
        """
        params = {URL_KEYS[k]: getattr(self, k) for k in URL_KEYS}
        return urlencode({k: v for k, v in params.items() if v and not (k == "view" and v == DEFAULT_VIEW)})

    @classmethod
    def from_url(cls, url: str, **overrides: Any) -> SceneSpec:
        """Build a spec from a web-app URL or query string.

        Parameters
        ----------
        url : str
            ``"http://host/?highlight=...&level=..."`` or just the query.
        **overrides
            Other spec fields (``size``, ``labels``...).

        Returns
        -------
        SceneSpec
            Unknown query keys are ignored, as the app ignores them.
        """
        query = urlsplit(url).query if "://" in url or url.startswith("/") else url.lstrip("?")
        values = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        kw = {name: values[key] for name, key in URL_KEYS.items() if key in values}
        kw["view"] = kw.get("view") or DEFAULT_VIEW
        return cls(**{**kw, **overrides})

    def app_params(self) -> dict[str, str]:
        """Parameters of :class:`viewer.app.SpineViewer` for this spec's URL state."""
        return {"entry": self.highlight, "level": self.level, "side": self.side, "view": self.view}


def load_spec(source: SceneSpec | Mapping[str, Any] | str | Path) -> SceneSpec:
    """Read a spec from any of its forms.

    Parameters
    ----------
    source : SceneSpec, dict, str or Path
        A spec, its dict, a JSON string, a ``.json`` file, a web-app URL or
        query (``"?highlight=...&level=..."``), or a PNG exported by this
        package (the spec is stored in it).

    Returns
    -------
    SceneSpec

    Raises
    ------
    SpecError
        If the source cannot be read or holds an invalid spec.

    Examples
    --------
    >>> load_spec("?highlight=costochondritis&side=left").side
    'left'
    >>> load_spec({"view": "posterior"}).view
    'posterior'
    """
    if isinstance(source, SceneSpec):
        return source
    if isinstance(source, Mapping):
        return SceneSpec.from_dict(source)
    text = str(source)
    if isinstance(source, str) and not text.lstrip().startswith("{") and (
            "://" in text or text.lstrip().startswith("?")):
        return SceneSpec.from_url(text)
    if text.lower().endswith(".png"):
        return _spec_from_png(Path(text))
    return SceneSpec.from_json(source)


def _spec_from_png(path: Path) -> SceneSpec:
    from PIL import Image

    try:
        with Image.open(path) as img:
            text = getattr(img, "text", {}).get(SPEC_PNG_KEY)
    except OSError as exc:
        raise SpecError("spec", str(path), reason=f"cannot read {str(path)!r}: {exc}") from None
    if not text:
        raise SpecError("spec", str(path), reason=f"{str(path)!r} holds no scene spec (not exported by this viewer)")
    return SceneSpec.from_json(text)


# -- validation ----------------------------------------------------------------------
def check_view(view: str) -> str:
    """Return ``view`` if it is a camera preset, else raise :class:`SpecError`."""
    if view not in PRESETS:
        raise SpecError("view", view, tuple(PRESETS))
    return view


def check_size(width: object, height: object) -> tuple[int, int]:
    """Return ``(width, height)`` if both are integers within 16-4000 pixels."""
    for name, value in (("width", width), ("height", height)):
        if not isinstance(value, int) or isinstance(value, bool) or not MIN_SIZE <= value <= MAX_SIZE:
            raise SpecError(name, value, reason=f"{name} {_quote(value)} is out of range; choose {MIN_SIZE}-{MAX_SIZE}"
                            " pixels")
    return width, height  # type: ignore[return-value]


def check_colour(colour: object, what: str = "colour") -> str:
    """Return ``colour`` if it is ``"#rrggbb"``, else raise :class:`SpecError`."""
    if not isinstance(colour, str) or not _HEX.match(colour):
        raise SpecError("colour", colour, reason=f"{what} {_quote(colour)} is not a #rrggbb colour")
    return colour


def normalise_colour(colour: object) -> str:
    """Return any PyVista colour (name, ``"#rgb"``, RGB tuple) as ``"#rrggbb"``.

    Examples
    --------
    >>> normalise_colour("red"), normalise_colour("#0F0"), normalise_colour((0, 0, 1.0))
    ('#ff0000', '#00ff00', '#0000ff')
    """
    if isinstance(colour, str) and _HEX.match(colour):
        return colour.lower()
    if isinstance(colour, str) and re.match(r"^#[0-9a-fA-F]{3}$", colour):
        return "#" + "".join(c * 2 for c in colour[1:]).lower()
    import pyvista as pv

    try:
        return pv.Color(colour).hex_rgb.lower()  # type: ignore[arg-type]
    except (ValueError, TypeError):
        raise SpecError("colour", colour, reason=f"{_quote(colour)} is not a colour (use '#rrggbb' or a name such "
                        "as 'red')") from None


@dataclass(frozen=True)
class Problem:
    """One invalid URL-state value, with what would have been valid.

    Parameters
    ----------
    field : str
        ``"highlight"``, ``"level"``, ``"side"`` or ``"view"``.
    value : str
        The rejected value.
    choices : tuple of str
        The valid values in that context.
    """

    field: str
    value: str
    choices: tuple[str, ...]

    def error(self, entry: str = "") -> SpecError:
        """Return the matching :class:`SpecError` (one line)."""
        if self.field in ("level", "side") and entry:
            reason = f"{self.field} {_quote(self.value)} does not apply to {entry}"
            if not self.choices:
                reason += f" (it has no {self.field}s)"
            return SpecError(self.field, self.value, self.choices, reason)
        return SpecError(self.field, self.value, self.choices)


def check_url_state(entries: Mapping[str, Any], highlight: str, level: str, side: str, view: str) -> list[Problem]:
    """Check the four URL-state values with the web app's rules.

    The rules are those of ``SpineViewer._apply`` (the id and token
    patterns live in this module and the app imports them): the entry must be a known
    id, the level one of the entry's levels and the side one of its sides;
    level and side are only checked when the entry is valid.

    Parameters
    ----------
    entries : mapping of str to EntrySummary
        Known conditions and treatments by id (``KnowledgeSource.entries()``).
    highlight, level, side, view : str
        The values; ``""`` means "not given".

    Returns
    -------
    list of Problem
        Empty when everything is valid.
    """
    problems: list[Problem] = []
    if view not in PRESETS:
        problems.append(Problem("view", view, tuple(PRESETS)))
    entry = entries.get(highlight) if _ID.match(highlight or "") else None
    if highlight and entry is None:
        problems.append(Problem("highlight", highlight, tuple(entries)))
    if entry is not None:
        if level and (not _TOKEN.match(level) or level not in entry.levels):
            problems.append(Problem("level", level, tuple(entry.levels)))
        if side and (side not in _SIDES or side not in entry.sides):
            problems.append(Problem("side", side, tuple(entry.sides)))
    return problems


def validate(spec: SceneSpec, entries: Mapping[str, Any], structure_ids: Iterable[str],
             groups: Iterable[str]) -> SceneSpec:
    """Check a spec against the model and knowledge base.

    Parameters
    ----------
    spec : SceneSpec
        The spec to check (its own fields are already type-checked).
    entries : mapping of str to EntrySummary
        Known conditions and treatments by id.
    structure_ids : iterable of str
        Structure ids of the model.
    groups : iterable of str
        Display groups of the model.

    Returns
    -------
    SceneSpec
        ``spec`` itself.

    Raises
    ------
    SpecError
        For the first invalid value, naming it and the valid choices.
    """
    problems = check_url_state(entries, spec.highlight, spec.level, spec.side, spec.view)
    if problems:
        raise problems[0].error(spec.highlight)
    if not spec.highlight and (spec.level or spec.side):
        name = "level" if spec.level else "side"
        raise SpecError(name, getattr(spec, name), reason=f"{name} {_quote(getattr(spec, name))} needs a highlight "
                        "(a condition or treatment)")
    ids = set(structure_ids)
    for sid in [h.structure_id for h in spec.structures] + [c.structure_id for c in spec.custom_labels]:
        if sid not in ids:
            raise SpecError("structure", sid, reason=f"unknown structure {_quote(sid)}; see `thoracic-viewer "
                            "structures` for the ids")
    known = tuple(groups)
    for g in (*spec.hidden, *(g for g, _ in spec.opacity)):
        if g not in known and g not in DEFAULT_HIDDEN_GROUPS:
            raise SpecError("group", g, known)
    return spec


# -- helpers ---------------------------------------------------------------------
def _quote(value: object, limit: int = 60) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _typed(value: object, kind: type, name: str) -> Any:
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise SpecError(name, value, reason=f"{name} {_quote(value)} must be a {kind.__name__}")
    return value


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SpecError(name, value, reason=f"{name} {_quote(value)} must be a number")
    return float(value)


def _item(record: object, name: str, key: str) -> Any:
    if not isinstance(record, Mapping) or key not in record:
        raise SpecError(name, record, reason=f"each item of {name} needs a {key!r} ({_quote(record)})")
    return record[key]


def _vector(value: object, name: str) -> tuple[float, float, float]:
    if not isinstance(value, list | tuple) or len(value) != 3:
        raise SpecError(name, value, reason=f"camera {name} {_quote(value)} must be [x, y, z]")
    return tuple(_number(v, f"camera {name}") for v in value)  # type: ignore[return-value]


def _camera(data: object) -> CameraState:
    data = _typed(data, dict, "camera")
    allowed = ("position", "focal_point", "view_up", "view_angle")
    for key in data:
        if key not in allowed:
            raise SpecError("camera key", key, allowed)
    for key in allowed[:3]:
        if key not in data:
            raise SpecError("camera", data, reason=f"camera needs {key!r}")
    return CameraState(_vector(data["position"], "position"), _vector(data["focal_point"], "focal_point"),
                       _vector(data["view_up"], "view_up"), _number(data.get("view_angle", 30.0), "view_angle"))
