"""The one schema of the knowledge data files.

Every table of every TOML file is checked against :data:`SCHEMA` before
anything else: unknown keys, missing required keys and wrong types are
reported with the file, entry and key.  Closed value lists (roles, kinds,
sides) are defined here too.  Cross-references (structure ids, links,
sources, colours, levels) are checked by :mod:`annotations.loader`.

Field types
-----------
``str``        non-empty string
``strs``       list of non-empty strings
``levels``     a level token or range, or a list of them
``int``        integer; ``number`` integer or float; ``bool``; ``date``
``vec3``       list of three numbers (an RAS offset in mm)
``position``   table ``{anchor = "...", offset = [x, y, z]}``
``positions``  list of positions
``table:X``    a table checked against ``SCHEMA["X"]``
``tables:X``   a list of such tables (TOML ``[[...]]``)
``map:X``      a table of ``id = {X}`` tables
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMA_VERSION = 1
"""Major version of the data schema this code reads."""

MAX_FILE_BYTES = 2 * 1024 * 1024
"""Largest data file the loader reads (2 MiB)."""


@dataclass(frozen=True)
class Field:
    """One key of a table.

    Attributes
    ----------
    type : str
        See the module docstring.
    required : bool
        Whether the key must be present.
    doc : str
        What the key holds.
    """

    type: str
    required: bool = False
    doc: str = ""


HIGHLIGHT_ROLES: tuple[str, ...] = (
    "primary",
    "secondary",
    "referral",
    "target",
    "approach",
    "caution",
)
"""Roles of a highlighted structure."""

GEOMETRY_ROLES: tuple[str, ...] = (
    "target",
    "approach",
    "referral",
    "caution",
    "trigger_point",
    "landmark",
    "site",
    "innervation",
)
"""Roles of a geometric annotation."""

GEOMETRY_KINDS: tuple[str, ...] = ("point", "path", "region")
"""Kinds of geometric annotation."""

ITEM_SIDES: tuple[str, ...] = ("selected", "midline", "left", "right")
"""Side modes of a highlight or annotation."""

REVIEW_STATUSES: tuple[str, ...] = ("draft", "reviewed")
"""Review states of a data file."""

STRUCTURE_GROUPS: tuple[str, ...] = (
    "vertebra",
    "rib",
    "cartilage",
    "sternum",
    "disc",
    "cord",
    "nerve",
    "joint",
    "scapula",
    "muscle",
    "diaphragm",
    "pleura",
    "dura",
    "organ",
    "skin",
)
"""Groups of model structures (equal to ``meshes.ids.GROUPS``, same order)."""

SECTIONS: tuple[str, ...] = (
    "meta",
    "disclaimer",
    "categories",
    "treatment_kinds",
    "colours",
    "sources",
    "structures",
    "landmarks",
    "red_flags",
    "conditions",
    "treatments",
)
"""Top-level tables a data file may contain."""

_DISPLAY: dict[str, Field] = {
    "colour": Field("str", doc="colour code from the colour table"),
    "levels": Field("table:levels", doc="level kind, allowed and default levels"),
    "sides": Field("table:sides", doc="allowed and default sides"),
    "highlight": Field("tables:highlight", doc="structures to highlight"),
    "geometry": Field("tables:geometry", doc="points, paths and regions"),
    "systemic": Field(
        "bool", doc="true if the treatment acts on the whole body (no site)"
    ),
}

_TEXT: dict[str, Field] = {
    "synonyms": Field("strs", doc="other names, used by search"),
    "facts": Field("tables:fact", doc="cited statements"),
    "red_flags": Field("strs", doc="red-flag ids"),
    "notes": Field("str", doc="remarks for clinicians"),
}

_ENTRY: dict[str, Field] = {
    "name": Field("str", True, "display name"),
    "category": Field("str", True, "family id from the categories table"),
    "other_categories": Field("strs", doc="further family ids"),
    **_DISPLAY,
    "patient": Field("str", True, "2-4 plain sentences for a patient"),
    "student": Field("str", True, "longer, precise text for a student"),
    **_TEXT,
    "related": Field("strs", doc="related condition or treatment ids"),
    "sources": Field("strs", True, "source URLs supporting the texts"),
    "variants": Field("map:variant", doc="forms of the entry"),
    "default_variant": Field("str", doc="variant used when none is named"),
    "review_status": Field("str", doc="draft or reviewed, overriding the file"),
}

SCHEMA: dict[str, dict[str, Field]] = {
    "file": {
        "meta": Field("table:meta", True, "schema and content version, review status"),
        "disclaimer": Field("table:disclaimer", doc="education-only notice"),
        "categories": Field("map:category", doc="condition families"),
        "treatment_kinds": Field("map:treatment_kind", doc="kinds of treatment"),
        "colours": Field("map:colour", doc="colour table"),
        "sources": Field("map:source", doc="cited sources"),
        "structures": Field("map:structure", doc="structure registry"),
        "landmarks": Field("map:landmark", doc="surface and bony landmarks"),
        "red_flags": Field("map:red_flag", doc="warning signs"),
        "conditions": Field("map:condition", doc="pain categories and conditions"),
        "treatments": Field("map:treatment", doc="treatments and treatment sites"),
    },
    "meta": {
        "schema_version": Field("int", True, "major schema version (1)"),
        "data_version": Field("str", True, "version of the content"),
        "review_status": Field("str", True, "draft or reviewed"),
        "reviewed_by": Field("strs", doc="names of clinical reviewers"),
        "updated": Field("date", doc="date of the last content change"),
        "description": Field("str", doc="what the file holds"),
    },
    "disclaimer": {
        "short": Field("str", True, "one-line notice"),
        "text": Field("str", True, "full notice"),
    },
    "category": {
        "name": Field("str", True, "display name"),
        "description": Field("str", True, "what the family covers"),
    },
    "treatment_kind": {
        "name": Field("str", True, "display name"),
        "description": Field("str", True, "what the kind covers"),
    },
    "colour": {
        "name": Field("str", True, "legend label"),
        "hex": Field("str", True, "#rrggbb"),
        "use": Field("str", True, "what the colour marks"),
        "opacity": Field("number", doc="suggested opacity 0-1 (default 1)"),
        "note": Field("str", doc="remarks"),
    },
    "source": {
        "url": Field("str", True, "address of the page"),
        "title": Field("str", True, "what the page is"),
        "caveat": Field("str", doc="quality caveat, e.g. secondary summary"),
    },
    "structure": {
        "name": Field("str", True, "display name"),
        "group": Field("str", True, "structure group"),
        "level": Field("str", doc="T6, T5-T6; omitted for sternum and cord"),
        "side": Field("str", doc="left or right; omitted for midline"),
        "parent": Field("str", doc="structure this one belongs to"),
        "description": Field("str", True, "one plain line: what it is"),
        "synonyms": Field("strs", doc="other names"),
        "sources": Field("strs", doc="source URLs for the description"),
    },
    "landmark": {
        "name": Field("str", True, "display name"),
        "at_levels": Field("levels", True, "level tokens the landmark marks"),
        "level_note": Field("str", True, "the level in words"),
        "description": Field("str", True, "plain description"),
        "colour": Field("str", doc="colour code (default LMK)"),
        "highlight": Field("tables:highlight", doc="structures to highlight"),
        "geometry": Field("tables:geometry", doc="points, paths and regions"),
        "facts": Field("tables:fact", doc="cited statements"),
        "sources": Field("strs", True, "source URLs"),
        "uncertain": Field("str", doc="disagreement between sources"),
    },
    "red_flag": {
        "sign": Field("str", True, "what the patient has or notices"),
        "concern": Field("str", True, "what it may point to"),
        "highlight": Field("strs", doc="structure ids to outline in red"),
        "note": Field("str", doc="remarks"),
        "sources": Field("strs", True, "source URLs"),
    },
    "condition": {**_ENTRY, "treatments": Field("strs", doc="linked treatment ids")},
    "treatment": {
        **_ENTRY,
        "kind": Field("str", True, "treatment kind id"),
        "conditions": Field("strs", doc="linked condition ids"),
    },
    "variant": {
        "name": Field("str", True, "display name"),
        "category": Field("str", doc="family id if different from the entry"),
        **_DISPLAY,
        "patient": Field("str", doc="patient text (default: the entry's)"),
        "student": Field("str", doc="student text (default: the entry's)"),
        **_TEXT,
        "sources": Field("strs", True, "source URLs"),
    },
    "levels": {
        "kind": Field("str", True, "vertebra, segment, rib or none"),
        "allowed": Field("levels", doc="levels the user may choose"),
        "default": Field("levels", doc="levels shown by default"),
        "note": Field("str", doc="why these levels"),
    },
    "sides": {
        "allowed": Field("strs", True, "subset of left, right, both"),
        "default": Field("str", True, "side shown by default"),
        "note": Field("str", doc="remarks"),
    },
    "highlight": {
        "structure": Field("str", True, "structure id or template"),
        "role": Field(
            "str", True, "primary, secondary, referral, target, approach or caution"
        ),
        "colour": Field("str", doc="colour code (default: the entry's)"),
        "levels": Field("levels", doc="only at these chosen levels"),
        "over": Field("levels", doc="fixed levels to expand over"),
        "side": Field("str", doc="selected (default), midline, left or right"),
        "note": Field("str", doc="why it is shown"),
    },
    "geometry": {
        "kind": Field("str", True, "point, path or region"),
        "role": Field(
            "str",
            True,
            "target, approach, referral, caution, trigger_point, landmark, site, "
            "innervation",
        ),
        "label": Field("str", True, "label, may use placeholders"),
        "colour": Field("str", doc="colour code (default: the entry's)"),
        "at": Field("position", doc="point position"),
        "points": Field("positions", doc="path positions"),
        "center": Field("position", doc="round region centre"),
        "radius": Field("number", doc="round region radius, mm"),
        "band": Field("positions", doc="band region centre line"),
        "width": Field("number", doc="band region width, mm"),
        "levels": Field("levels", doc="only at these chosen levels"),
        "over": Field("levels", doc="fixed levels to expand over"),
        "side": Field("str", doc="selected (default), midline, left or right"),
        "stands_for": Field("str", doc="future structure id this stands in for"),
        "note": Field("str", doc="remarks"),
    },
    "position": {
        "anchor": Field("str", True, "anchor name, may use placeholders"),
        "offset": Field("vec3", doc="RAS offset in mm for the right side"),
    },
    "fact": {
        "text": Field("str", True, "the statement"),
        "sources": Field("strs", True, "source URLs"),
        "uncertain": Field("str", doc="why it is uncertain or disputed"),
    },
}
"""Keys of every table kind."""
