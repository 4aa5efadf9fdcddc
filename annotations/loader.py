"""Read, validate and build the clinical knowledge base from TOML files.

:func:`load_knowledge` reads every ``*.toml`` file of a directory (the
packaged ``annotations/data`` by default), checks each table against
:data:`annotations.schema.SCHEMA`, then checks every cross-reference:
structure ids and anchor names (after filling the level and side
placeholders for every allowed level and side), colour codes, source URLs,
red flags, categories and links between conditions and treatments.  Any
problem raises :class:`~annotations.errors.KnowledgeError` naming the file,
the entry and the key.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import re
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .anchors import anchor_names, check_anchor
from .errors import KnowledgeError
from .levels import (
    LEVEL_KINDS,
    SIDES,
    TOKENS,
    LevelError,
    expand_side,
    level_kind_of,
    normalise_level,
    parse_levels,
)
from .model import (
    Catalogue,
    Category,
    Colour,
    Condition,
    DataFile,
    Fact,
    GeometrySpec,
    HighlightSpec,
    Knowledge,
    Landmark,
    LevelSpec,
    Position,
    RedFlag,
    SideSpec,
    Source,
    Structure,
    Treatment,
    TreatmentKind,
    Variant,
)
from .resolve import item_expansions
from .schema import (
    GEOMETRY_KINDS,
    GEOMETRY_ROLES,
    HIGHLIGHT_ROLES,
    ITEM_SIDES,
    MAX_FILE_BYTES,
    REVIEW_STATUSES,
    SCHEMA,
    SCHEMA_VERSION,
    STRUCTURE_GROUPS,
)
from .templates import TemplateError, fill, placeholders, uses_level, uses_side

DATA_DIR = Path(__file__).resolve().parent / "data"
"""Directory of the packaged data files."""

_ID_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_HEX_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
_URL_RE = re.compile(r"^https?://\S+$")
_STANDS_FOR_RE = re.compile(r"^[a-z][a-z0-9_{}+\-A-Z]*$")
_LANDMARK_COLOUR = "LMK"


def _prose(text: str) -> str:
    """Join the lines of each paragraph of a multi-line text with spaces.

    Clinicians write long texts as TOML multi-line strings wrapped at any
    width; blank lines separate paragraphs.
    """
    paragraphs = [
        " ".join(line.strip() for line in block.splitlines() if line.strip())
        for block in text.strip().split("\n\n")
    ]
    return "\n\n".join(p for p in paragraphs if p)


# --------------------------------------------------------------------------- schema che


def _type_name(value: Any) -> str:
    return type(value).__name__


def _check_value(value: Any, typ: str, file: Path, entry: str | None, key: str) -> None:
    def bad(expected: str) -> KnowledgeError:
        return KnowledgeError(
            f"wrong type: expected {expected}, got {_type_name(value)} {value!r}"[:300],
            file=file,
            entry=entry,
            key=key,
        )

    if typ == "str":
        if not isinstance(value, str):
            raise bad("a string")
        if not value.strip():
            raise KnowledgeError("must not be empty", file=file, entry=entry, key=key)
    elif typ == "strs":
        if not isinstance(value, list):
            raise bad("a list of strings")
        for i, v in enumerate(value):
            _check_value(v, "str", file, entry, f"{key}[{i}]")
    elif typ == "levels":
        if isinstance(value, list):
            if not value:
                raise KnowledgeError(
                    "must not be empty", file=file, entry=entry, key=key
                )
            for i, v in enumerate(value):
                _check_value(v, "str", file, entry, f"{key}[{i}]")
        elif not isinstance(value, str):
            raise bad("a level, a range such as 'T7..T9' or a list of them")
    elif typ == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise bad("an integer")
    elif typ == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise bad("a number")
    elif typ == "bool":
        if not isinstance(value, bool):
            raise bad("true or false")
    elif typ == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise bad("a date (YYYY-MM-DD)")
    elif typ == "vec3":
        if (
            not isinstance(value, list)
            or len(value) != 3
            or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value
            )
        ):
            raise bad("a list of three numbers [x, y, z]")
    elif typ == "position":
        _check_table(value, "position", file, entry, key + ".")
    elif typ == "positions":
        if not isinstance(value, list):
            raise bad("a list of positions")
        for i, v in enumerate(value):
            _check_table(v, "position", file, entry, f"{key}[{i}].")
    elif typ.startswith("table:"):
        _check_table(value, typ[6:], file, entry, key + ".")
    elif typ.startswith("tables:"):
        if not isinstance(value, list):
            raise bad("a list of tables ([[...]])")
        for i, v in enumerate(value):
            _check_table(v, typ[7:], file, entry, f"{key}[{i}].")
    elif typ.startswith("map:"):
        if not isinstance(value, dict):
            raise bad("a table of named tables")
        for sub_id, sub in value.items():
            if not _ID_RE.match(sub_id):
                raise KnowledgeError(
                    f"invalid id {sub_id!r}: use letters, digits and underscores",
                    file=file,
                    entry=entry,
                    key=key,
                )
            _check_table(sub, typ[4:], file, entry, f"{key}.{sub_id}.")
    else:  # pragma: no cover - a typo in schema.py, not in the data
        raise RuntimeError(f"unknown schema type {typ!r} in annotations.schema")


def _check_table(
    table: Any, schema: str, file: Path, entry: str | None, prefix: str = ""
) -> None:
    where = prefix.rstrip(".") or None
    if not isinstance(table, dict):
        raise KnowledgeError(
            f"wrong type: expected a table, got {_type_name(table)} {table!r}"[:300],
            file=file,
            entry=entry,
            key=where,
        )
    fields = SCHEMA[schema]
    for key in table:
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise KnowledgeError(
                f"unknown key {key!r}{hint}; allowed keys: {', '.join(fields)}",
                file=file,
                entry=entry,
                key=prefix + key,
            )
    for key, spec in fields.items():
        if key not in table:
            if spec.required:
                raise KnowledgeError(
                    f"missing required key ({spec.doc})",
                    file=file,
                    entry=entry,
                    key=prefix + key,
                )
            continue
        _check_value(table[key], spec.type, file, entry, prefix + key)


# --------------------------------------------------------------------------- reading fi


def _read_file(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise KnowledgeError(f"cannot read file: {exc}", file=path) from None
    if size > MAX_FILE_BYTES:
        raise KnowledgeError(
            f"file is too large ({size / 1e6:.1f} MB); the limit is "
            f"{MAX_FILE_BYTES / 1e6:.1f} MB per data file",
            file=path,
        )
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise KnowledgeError(f"cannot read file: {exc}", file=path) from None
    except UnicodeDecodeError as exc:
        raise KnowledgeError(
            f"file is not valid UTF-8 text: {exc}", file=path
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeError(f"invalid TOML: {exc}", file=path) from None
    except RecursionError:
        raise KnowledgeError("invalid TOML: tables or arrays nested too deeply", file=path) from None
    _check_file(data, path)
    return data


def _check_file(data: dict[str, Any], path: Path) -> None:
    """Check the top-level tables of one file; each entry is checked on its own."""
    fields = SCHEMA["file"]
    for key in data:
        if key not in fields:
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise KnowledgeError(
                f"unknown top-level table {key!r}{hint}; allowed: {', '.join(fields)}",
                file=path,
                key=key,
            )
    for key, spec in fields.items():
        if key not in data:
            if spec.required:
                raise KnowledgeError(
                    f"missing required key ({spec.doc})", file=path, key=key
                )
            continue
        value = data[key]
        if spec.type.startswith("table:"):
            _check_table(value, spec.type[6:], path, key)
            continue
        if not isinstance(value, dict):
            raise KnowledgeError(
                "wrong type: expected a table of named entries, got "
                f"{_type_name(value)}",
                file=path,
                key=key,
            )
        for item_id, item in value.items():
            if not _ID_RE.match(item_id):
                raise KnowledgeError(
                    f"invalid id {item_id!r}: use letters, digits and underscores",
                    file=path,
                    entry=f"{key}.{item_id}",
                    key="id",
                )
            _check_table(item, spec.type[4:], path, f"{key}.{item_id}")


def _data_files(directory: Path) -> list[Path]:
    if not directory.exists():
        raise KnowledgeError("data directory does not exist", file=directory)
    if not directory.is_dir():
        raise KnowledgeError("expected a directory of .toml files", file=directory)
    files = sorted(p for p in directory.glob("*.toml") if p.is_file())
    if not files:
        raise KnowledgeError("no .toml files found", file=directory)
    return files


# --------------------------------------------------------------------------- builder


class _Builder:
    """Turns checked TOML tables into model objects, validating references."""

    def __init__(self, files: Sequence[tuple[Path, dict[str, Any]]]) -> None:
        self.files = files
        self.sections: dict[str, dict[str, tuple[Path, dict[str, Any]]]] = {}
        self.data_files: list[DataFile] = []
        self.file_status: dict[Path, str] = {}
        self.disclaimer: tuple[Path, dict[str, Any]] | None = None
        for path, data in files:
            self._merge(path, data)

    # -- merging ---------------------------------------------------------

    def _merge(self, path: Path, data: dict[str, Any]) -> None:
        meta = data["meta"]
        if meta["schema_version"] != SCHEMA_VERSION:
            raise KnowledgeError(
                f"unsupported schema_version {meta['schema_version']}; this code reads "
                f"version {SCHEMA_VERSION}",
                file=path,
                entry="meta",
                key="schema_version",
            )
        if meta["review_status"] not in REVIEW_STATUSES:
            raise KnowledgeError(
                f"review_status must be one of {', '.join(REVIEW_STATUSES)}",
                file=path,
                entry="meta",
                key="review_status",
            )
        self.file_status[path] = meta["review_status"]
        self.data_files.append(
            DataFile(
                name=path.name,
                schema_version=meta["schema_version"],
                data_version=meta["data_version"],
                review_status=meta["review_status"],
                reviewed_by=tuple(meta.get("reviewed_by", ())),
                updated=meta.get("updated"),
            )
        )
        if "disclaimer" in data:
            if self.disclaimer is not None:
                raise KnowledgeError(
                    f"the disclaimer is already defined in {self.disclaimer[0]}",
                    file=path,
                    entry="disclaimer",
                )
            self.disclaimer = (path, data["disclaimer"])
        for section, table in data.items():
            if section in ("meta", "disclaimer"):
                continue
            bucket = self.sections.setdefault(section, {})
            for item_id, item in table.items():
                if item_id in bucket:
                    raise KnowledgeError(
                        f"duplicate id {item_id!r}: already defined in "
                        f"{bucket[item_id][0]}",
                        file=path,
                        entry=f"{section}.{item_id}",
                        key="id",
                    )
                bucket[item_id] = (path, item)
        shared = set(self.sections.get("conditions", {})) & set(
            self.sections.get("treatments", {})
        )
        if shared:
            dup = sorted(shared)[0]
            raise KnowledgeError(
                f"duplicate id {dup!r}: a condition and a treatment may not share an "
                "id",
                file=path,
                entry=f"treatments.{dup}",
                key="id",
            )

    def items(self, section: str) -> Iterable[tuple[str, Path, dict[str, Any]]]:
        for item_id, (path, table) in self.sections.get(section, {}).items():
            yield item_id, path, table

    # -- simple catalogues -------------------------------------------------

    def build(self) -> Knowledge:
        self.sources = self._sources()
        self.url_ids = {s.url: s.id for s in self.sources.values()}
        self.colours = self._colours()
        self.categories = Catalogue(
            "category",
            [
                (i, Category(i, t["name"], t["description"]))
                for i, _, t in self.items("categories")
            ],
        )
        self.kinds = Catalogue(
            "treatment kind",
            [
                (i, TreatmentKind(i, t["name"], t["description"]))
                for i, _, t in self.items("treatment_kinds")
            ],
        )
        self.structures = self._structures()
        self.structure_ids = frozenset(self.structures)
        self.anchors = anchor_names(self.structure_ids)
        self.red_flags = self._red_flags()
        landmarks = self._landmarks()
        self.involvement: dict[
            str, dict[tuple[str, str, str | None], dict[str, Any]]
        ] = {}
        conditions = self._entries("conditions")
        treatments = self._entries("treatments")
        conditions, treatments = self._links(conditions, treatments)
        if self.disclaimer is None:
            first = self.files[0][0].parent
            raise KnowledgeError(
                "no [disclaimer] table found in any data file",
                file=first,
                entry="disclaimer",
            )
        disclaimer = self.disclaimer[1]
        return Knowledge(
            structures=self.structures,
            conditions=conditions,
            treatments=treatments,
            landmarks=landmarks,
            colours=self.colours,
            sources=self.sources,
            red_flags=self.red_flags,
            categories=self.categories,
            treatment_kinds=self.kinds,
            disclaimer=_prose(disclaimer["text"]),
            disclaimer_short=disclaimer["short"].strip(),
            files=tuple(self.data_files),
        )

    def _sources(self) -> Catalogue[Source]:
        out = []
        seen: dict[str, str] = {}
        for sid, path, t in self.items("sources"):
            url = t["url"].strip()
            if not _URL_RE.match(url):
                raise KnowledgeError(
                    f"not a web address: {url!r}",
                    file=path,
                    entry=f"sources.{sid}",
                    key="url",
                )
            if url in seen:
                raise KnowledgeError(
                    f"duplicate url: already registered as source {seen[url]!r}",
                    file=path,
                    entry=f"sources.{sid}",
                    key="url",
                )
            seen[url] = sid
            out.append((sid, Source(sid, url, t["title"], t.get("caveat"))))
        return Catalogue("source", out)

    def _colours(self) -> Catalogue[Colour]:
        out = []
        for code, path, t in self.items("colours"):
            if not _HEX_RE.match(t["hex"]):
                raise KnowledgeError(
                    f"bad colour {t['hex']!r}: write it as '#rrggbb'",
                    file=path,
                    entry=f"colours.{code}",
                    key="hex",
                )
            opacity = float(t.get("opacity", 1.0))
            if not 0.0 <= opacity <= 1.0:
                raise KnowledgeError(
                    "opacity must be between 0 and 1",
                    file=path,
                    entry=f"colours.{code}",
                    key="opacity",
                )
            out.append(
                (
                    code,
                    Colour(
                        code,
                        t["name"],
                        t["hex"].upper(),
                        t["use"],
                        opacity,
                        t.get("note"),
                    ),
                )
            )
        return Catalogue("colour", out)

    def _urls(
        self,
        urls: Sequence[str],
        path: Path,
        entry: str,
        key: str,
        required: bool = True,
    ) -> tuple[str, ...]:
        if required and not urls:
            raise KnowledgeError(
                "missing source: at least one source URL is required",
                file=path,
                entry=entry,
                key=key,
            )
        for i, url in enumerate(urls):
            if url not in self.url_ids:
                raise KnowledgeError(
                    f"source URL {url!r} is not registered in the sources table; add "
                    "it there first",
                    file=path,
                    entry=entry,
                    key=f"{key}[{i}]",
                )
        return tuple(urls)

    def _colour(self, code: str, path: Path, entry: str, key: str) -> Colour:
        if code not in self.colours:
            raise KnowledgeError(
                f"bad colour {code!r}: not a code of the colour table "
                f"({', '.join(self.colours)})",
                file=path,
                entry=entry,
                key=key,
            )
        return self.colours[code]

    def _structures(self) -> Catalogue[Structure]:
        out = []
        table = dict((i, (p, t)) for i, p, t in self.items("structures"))
        for sid, (path, t) in table.items():
            entry = f"structures.{sid}"
            if t["group"] not in STRUCTURE_GROUPS:
                raise KnowledgeError(
                    f"unknown group {t['group']!r}; groups: "
                    f"{', '.join(STRUCTURE_GROUPS)}",
                    file=path,
                    entry=entry,
                    key="group",
                )
            side = t.get("side")
            if side is not None and side not in ("left", "right"):
                raise KnowledgeError(
                    "side must be left or right (omit it for midline)",
                    file=path,
                    entry=entry,
                    key="side",
                )
            level = t.get("level")
            if level is not None:
                try:
                    kind, canon = normalise_level(level)
                except LevelError as exc:
                    raise KnowledgeError(
                        str(exc), file=path, entry=entry, key="level"
                    ) from None
                if kind == "rib" or canon != level:
                    raise KnowledgeError(
                        f"level {level!r} must be written as a vertebra (T6) or "
                        "segment (T5-T6)",
                        file=path,
                        entry=entry,
                        key="level",
                    )
            parent = t.get("parent")
            if parent is not None and parent not in table:
                raise KnowledgeError(
                    f"unknown parent structure id {parent!r}",
                    file=path,
                    entry=entry,
                    key="parent",
                )
            sources = self._urls(
                t.get("sources", []), path, entry, "sources", required=False
            )
            out.append(
                (
                    sid,
                    Structure(
                        sid,
                        t["name"],
                        t["group"],
                        level,
                        side,
                        parent,
                        t["description"],
                        tuple(t.get("synonyms", ())),
                        sources,
                    ),
                )
            )
        return Catalogue("structure", out)

    def _structure_id(self, sid: str, path: Path, entry: str, key: str) -> str:
        if sid not in self.structure_ids:
            close = difflib.get_close_matches(sid, list(self.structure_ids), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise KnowledgeError(
                f"unknown structure id {sid!r}{hint}", file=path, entry=entry, key=key
            )
        return sid

    def _red_flags(self) -> Catalogue[RedFlag]:
        out = []
        for fid, path, t in self.items("red_flags"):
            entry = f"red_flags.{fid}"
            hl = tuple(
                self._structure_id(s, path, entry, f"highlight[{i}]")
                for i, s in enumerate(t.get("highlight", []))
            )
            out.append(
                (
                    fid,
                    RedFlag(
                        fid,
                        t["sign"],
                        t["concern"],
                        hl,
                        self._urls(t["sources"], path, entry, "sources"),
                        t.get("note"),
                    ),
                )
            )
        return Catalogue("red flag", out)

    def _facts(
        self, facts: Sequence[dict[str, Any]], path: Path, entry: str, prefix: str
    ) -> tuple[Fact, ...]:
        return tuple(
            Fact(
                f["text"],
                self._urls(f["sources"], path, entry, f"{prefix}facts[{i}].sources"),
                f.get("uncertain"),
            )
            for i, f in enumerate(facts)
        )

    # -- levels, sides, highlights, geometry -------------------------------

    def _levels(
        self, t: dict[str, Any] | None, path: Path, entry: str, key: str
    ) -> LevelSpec:
        if t is None:
            return LevelSpec("none")
        kind = t["kind"]
        if kind not in LEVEL_KINDS:
            raise KnowledgeError(
                f"unknown level kind {kind!r}; kinds: {', '.join(LEVEL_KINDS)}",
                file=path,
                entry=entry,
                key=f"{key}.kind",
            )
        if kind == "none":
            for k in ("allowed", "default"):
                if k in t:
                    raise KnowledgeError(
                        f"an entry with kind 'none' takes no {k}",
                        file=path,
                        entry=entry,
                        key=f"{key}.{k}",
                    )
            return LevelSpec("none", note=t.get("note"))
        for k in ("allowed", "default"):
            if k not in t:
                raise KnowledgeError(
                    "missing required key (levels the user may choose / levels shown "
                    f"by default for a {kind} entry)",
                    file=path,
                    entry=entry,
                    key=f"{key}.{k}",
                )
        allowed = self._parse_levels(t["allowed"], kind, path, entry, f"{key}.allowed")
        default = self._parse_levels(t["default"], kind, path, entry, f"{key}.default")
        outside = [lv for lv in default if lv not in allowed]
        if outside:
            raise KnowledgeError(
                f"level {', '.join(outside)} is outside the allowed range "
                f"({allowed[0]} ... {allowed[-1]})",
                file=path,
                entry=entry,
                key=f"{key}.default",
            )
        return LevelSpec(kind, allowed, default, t.get("note"))

    def _parse_levels(
        self, spec: Any, kind: str | None, path: Path, entry: str, key: str
    ) -> tuple[str, ...]:
        try:
            return parse_levels(spec, kind)
        except LevelError as exc:
            valid = (
                f"; valid {kind} levels: {TOKENS[kind][0]} ... {TOKENS[kind][-1]}"
                if kind in TOKENS
                else ""
            )
            raise KnowledgeError(
                f"level out of range or malformed: {exc}{valid}",
                file=path,
                entry=entry,
                key=key,
            ) from None

    def _sides(
        self, t: dict[str, Any] | None, path: Path, entry: str, key: str
    ) -> SideSpec:
        if t is None:
            return SideSpec(("both",), "both")
        allowed = tuple(t["allowed"])
        for i, s in enumerate(allowed):
            if s not in SIDES:
                raise KnowledgeError(
                    f"{s!r} is not a side; use {', '.join(SIDES)}",
                    file=path,
                    entry=entry,
                    key=f"{key}.allowed[{i}]",
                )
        if not allowed:
            raise KnowledgeError(
                "must list at least one side",
                file=path,
                entry=entry,
                key=f"{key}.allowed",
            )
        if t["default"] not in allowed:
            raise KnowledgeError(
                f"default side {t['default']!r} is not in allowed "
                f"({', '.join(allowed)})",
                file=path,
                entry=entry,
                key=f"{key}.default",
            )
        return SideSpec(allowed, t["default"], t.get("note"))

    def _template(self, template: str, path: Path, entry: str, key: str) -> str:
        try:
            placeholders(template)
        except TemplateError as exc:
            raise KnowledgeError(str(exc), file=path, entry=entry, key=key) from None
        return template

    def _item_common(
        self,
        t: dict[str, Any],
        level_kind: str,
        templates: Sequence[str],
        path: Path,
        entry: str,
        key: str,
    ) -> dict[str, Any]:
        side = t.get("side", "selected")
        if side not in ITEM_SIDES:
            raise KnowledgeError(
                f"side must be one of {', '.join(ITEM_SIDES)}",
                file=path,
                entry=entry,
                key=f"{key}.side",
            )
        if side == "midline" and any(uses_side(x) for x in templates):
            raise KnowledgeError(
                "a midline item cannot use the {S} or {side} placeholder",
                file=path,
                entry=entry,
                key=f"{key}.side",
            )
        if "levels" in t and "over" in t:
            raise KnowledgeError(
                "use either 'levels' or 'over', not both",
                file=path,
                entry=entry,
                key=f"{key}.over",
            )
        levels = over = None
        if "levels" in t:
            if level_kind == "none":
                raise KnowledgeError(
                    "this entry takes no level, so 'levels' cannot filter; use 'over' "
                    "for fixed levels",
                    file=path,
                    entry=entry,
                    key=f"{key}.levels",
                )
            levels = self._parse_levels(
                t["levels"], level_kind, path, entry, f"{key}.levels"
            )
        if "over" in t:
            over_kind = None
            try:
                over_kind = level_kind_of(t["over"])
            except LevelError:
                pass
            over = self._parse_levels(t["over"], over_kind, path, entry, f"{key}.over")
        elif level_kind == "none" and any(uses_level(x) for x in templates):
            raise KnowledgeError(
                "uses a level placeholder but the entry takes no level; add 'over' "
                "with fixed levels",
                file=path,
                entry=entry,
                key=key,
            )
        return {"side": side, "levels": levels, "over": over}

    def _highlight(
        self,
        t: dict[str, Any],
        level_kind: str,
        colour: Colour,
        path: Path,
        entry: str,
        key: str,
    ) -> HighlightSpec:
        template = self._template(t["structure"], path, entry, f"{key}.structure")
        if t["role"] not in HIGHLIGHT_ROLES:
            raise KnowledgeError(
                f"unknown role {t['role']!r}; roles: {', '.join(HIGHLIGHT_ROLES)}",
                file=path,
                entry=entry,
                key=f"{key}.role",
            )
        col = (
            self._colour(t["colour"], path, entry, f"{key}.colour")
            if "colour" in t
            else colour
        )
        common = self._item_common(t, level_kind, [template], path, entry, key)
        return HighlightSpec(template, t["role"], col, note=t.get("note"), **common)

    def _position(
        self, t: dict[str, Any], path: Path, entry: str, key: str
    ) -> Position:
        anchor = self._template(t["anchor"], path, entry, f"{key}.anchor")
        off = tuple(float(v) for v in t.get("offset", (0.0, 0.0, 0.0)))
        return Position(anchor, off)  # type: ignore[arg-type]

    def _geometry(
        self,
        t: dict[str, Any],
        level_kind: str,
        colour: Colour,
        path: Path,
        entry: str,
        key: str,
    ) -> GeometrySpec:
        kind, role = t["kind"], t["role"]
        if kind not in GEOMETRY_KINDS:
            raise KnowledgeError(
                f"unknown geometry kind {kind!r}; kinds: {', '.join(GEOMETRY_KINDS)}",
                file=path,
                entry=entry,
                key=f"{key}.kind",
            )
        if role not in GEOMETRY_ROLES:
            raise KnowledgeError(
                f"unknown role {role!r}; roles: {', '.join(GEOMETRY_ROLES)}",
                file=path,
                entry=entry,
                key=f"{key}.role",
            )
        wanted = {"point": {"at"}, "path": {"points"}}.get(kind)
        if kind == "region":
            wanted = (
                {"center", "radius"}
                if "center" in t or "radius" in t
                else {"band", "width"}
            )
        shape_keys = {"at", "points", "center", "radius", "band", "width"}
        for k in sorted(shape_keys):
            if k in t and k not in wanted:
                raise KnowledgeError(
                    f"a {kind} takes {' and '.join(sorted(wanted))}, not {k!r}",
                    file=path,
                    entry=entry,
                    key=f"{key}.{k}",
                )
        for k in sorted(wanted):
            if k not in t:
                raise KnowledgeError(
                    f"missing required key for a {kind} "
                    f"({' and '.join(sorted(wanted))})",
                    file=path,
                    entry=entry,
                    key=f"{key}.{k}",
                )
        at = self._position(t["at"], path, entry, f"{key}.at") if "at" in t else None
        center = (
            self._position(t["center"], path, entry, f"{key}.center")
            if "center" in t
            else None
        )
        points = tuple(
            self._position(p, path, entry, f"{key}.points[{i}]")
            for i, p in enumerate(t.get("points", []))
        )
        band = tuple(
            self._position(p, path, entry, f"{key}.band[{i}]")
            for i, p in enumerate(t.get("band", []))
        )
        if kind == "path" and len(points) < 2:
            raise KnowledgeError(
                "a path needs at least two points",
                file=path,
                entry=entry,
                key=f"{key}.points",
            )
        if "band" in t and len(band) < 2:
            raise KnowledgeError(
                "a band needs at least two positions",
                file=path,
                entry=entry,
                key=f"{key}.band",
            )
        for k in ("radius", "width"):
            if k in t and not t[k] > 0:
                raise KnowledgeError(
                    f"{k} must be positive (mm)",
                    file=path,
                    entry=entry,
                    key=f"{key}.{k}",
                )
        label = self._template(t["label"], path, entry, f"{key}.label")
        stands_for = t.get("stands_for")
        if stands_for is not None:
            self._template(stands_for, path, entry, f"{key}.stands_for")
            if not _STANDS_FOR_RE.match(stands_for):
                raise KnowledgeError(
                    "stands_for must be a future structure id in snake_case",
                    file=path,
                    entry=entry,
                    key=f"{key}.stands_for",
                )
        col = (
            self._colour(t["colour"], path, entry, f"{key}.colour")
            if "colour" in t
            else colour
        )
        templates = (
            [p.anchor for p in (at, center) if p]
            + [p.anchor for p in points + band]
            + [label]
        )
        common = self._item_common(t, level_kind, templates, path, entry, key)
        return GeometrySpec(
            kind=kind,
            role=role,
            label=label,
            colour=col,
            at=at,
            points=points,
            center=center,
            radius=float(t["radius"]) if "radius" in t else None,
            band=band,
            width=float(t["width"]) if "width" in t else None,
            stands_for=stands_for,
            note=t.get("note"),
            **common,
        )

    def _display(
        self,
        t: dict[str, Any],
        path: Path,
        entry: str,
        prefix: str,
        parent: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """Build the display fields of an entry, inheriting from ``parent``."""
        p = parent or {}
        colour = (
            self._colour(t["colour"], path, entry, prefix + "colour")
            if "colour" in t
            else p.get("colour")
        )
        if colour is None:
            raise KnowledgeError(
                "missing required key (colour code)",
                file=path,
                entry=entry,
                key=prefix + "colour",
            )
        levels = (
            self._levels(t["levels"], path, entry, prefix + "levels")
            if "levels" in t
            else p.get("levels")
        )
        levels = levels or LevelSpec("none")
        sides = (
            self._sides(t["sides"], path, entry, prefix + "sides")
            if "sides" in t
            else p.get("sides")
        )
        sides = sides or SideSpec(("both",), "both")
        if "highlight" in t:
            highlights = tuple(
                self._highlight(
                    h, levels.kind, colour, path, entry, f"{prefix}highlight[{i}]"
                )
                for i, h in enumerate(t["highlight"])
            )
            h_keys = tuple(f"{prefix}highlight[{i}]" for i in range(len(highlights)))
        else:
            highlights = p.get("highlights", ())
            h_keys = tuple(f"{prefix}(inherited) {k}" for k in p.get("h_keys", ()))
            if "colour" in t:
                highlights = tuple(
                    replace(h, colour=colour) if h.colour is p.get("colour") else h
                    for h in highlights
                )
        if "geometry" in t:
            geometry = tuple(
                self._geometry(
                    g, levels.kind, colour, path, entry, f"{prefix}geometry[{i}]"
                )
                for i, g in enumerate(t["geometry"])
            )
            g_keys = tuple(f"{prefix}geometry[{i}]" for i in range(len(geometry)))
        else:
            geometry = p.get("geometry", ())
            g_keys = tuple(f"{prefix}(inherited) {k}" for k in p.get("g_keys", ()))
            if "colour" in t:
                geometry = tuple(
                    replace(g, colour=colour) if g.colour is p.get("colour") else g
                    for g in geometry
                )
        systemic = t.get("systemic", p.get("systemic", False))
        return {
            "colour": colour,
            "levels": levels,
            "sides": sides,
            "highlights": highlights,
            "geometry": geometry,
            "systemic": systemic,
            "h_keys": h_keys,
            "g_keys": g_keys,
        }

    def _expand_check(
        self, d: dict[str, Any], path: Path, entry: str, prefix: str
    ) -> None:
        """Fill templates for every allowed level and side; check ids and anchors."""
        levels: LevelSpec = d["levels"]
        sides: SideSpec = d["sides"]
        level_list: Sequence[str | None] = (
            levels.allowed if levels.kind != "none" else ()
        )
        concrete = sorted({s for choice in sides.allowed for s in expand_side(choice)})
        if not d["highlights"] and not d["geometry"] and not d["systemic"]:
            raise KnowledgeError(
                "nothing to show: add a highlight or geometry, or set systemic = true",
                file=path,
                entry=entry,
                key=prefix + "highlight",
            )
        for item, key in zip(d["highlights"], d["h_keys"]):
            found = False
            for lv, sd in item_expansions(item, [item.structure], level_list, concrete):
                found = True
                sid = self._fill(
                    item.structure, lv, sd, path, entry, f"{key}.structure"
                )
                if sid not in self.structure_ids:
                    raise KnowledgeError(
                        f"unknown structure id {sid!r} (from {item.structure!r} at "
                        f"level {lv}, side {sd}); "
                        "fix the template or restrict the item with 'levels'",
                        file=path,
                        entry=entry,
                        key=f"{key}.structure",
                    )
            if not found and levels.kind != "none":
                raise KnowledgeError(
                    "this item is never shown: its 'levels' do not overlap the allowed "
                    "levels",
                    file=path,
                    entry=entry,
                    key=f"{key}.levels",
                )
        for item, key in zip(d["geometry"], d["g_keys"]):
            positions = [("at", item.at), ("center", item.center)]
            positions += [(f"points[{i}]", p) for i, p in enumerate(item.points)]
            positions += [(f"band[{i}]", p) for i, p in enumerate(item.band)]
            positions = [(k, p) for k, p in positions if p is not None]
            templates = [p.anchor for _, p in positions] + [item.label]
            for lv, sd in item_expansions(item, templates, level_list, concrete):
                self._fill(item.label, lv, sd, path, entry, f"{key}.label")
                for k, pos in positions:
                    name = self._fill(
                        pos.anchor, lv, sd, path, entry, f"{key}.{k}.anchor"
                    )
                    problem = check_anchor(name, self.anchors)
                    if problem:
                        raise KnowledgeError(
                            f"{problem} (from {pos.anchor!r} at level {lv}, side {sd})",
                            file=path,
                            entry=entry,
                            key=f"{key}.{k}.anchor",
                        )

    @staticmethod
    @functools.lru_cache(maxsize=None)
    def _fill_cached(template: str, level: str | None, side: str | None) -> str:
        return fill(template, level, side)

    def _fill(
        self,
        template: str,
        level: str | None,
        side: str | None,
        path: Path,
        entry: str,
        key: str,
    ) -> str:
        try:
            return self._fill_cached(template, level, side)
        except TemplateError as exc:
            raise KnowledgeError(str(exc), file=path, entry=entry, key=key) from None

    def _red_flag_refs(
        self, ids: Sequence[str], path: Path, entry: str, key: str
    ) -> tuple[RedFlag, ...]:
        out = []
        for i, fid in enumerate(ids):
            if fid not in self.red_flags:
                raise KnowledgeError(
                    f"unknown red flag id {fid!r}; known: {', '.join(self.red_flags)}",
                    file=path,
                    entry=entry,
                    key=f"{key}[{i}]",
                )
            out.append(self.red_flags[fid])
        return tuple(out)

    def _category(self, cat: str, path: Path, entry: str, key: str) -> str:
        if cat not in self.categories:
            raise KnowledgeError(
                f"unknown category {cat!r}; categories: {', '.join(self.categories)}",
                file=path,
                entry=entry,
                key=key,
            )
        return cat

    # -- entries -------------------------------------------------------------

    def _entries(self, section: str) -> list[Condition | Treatment]:
        out = []
        for eid, path, t in self.items(section):
            entry = f"{section}.{eid}"
            base = self._display(t, path, entry, "", None)
            red_flags = self._red_flag_refs(
                t.get("red_flags", []), path, entry, "red_flags"
            )
            sources = self._urls(t["sources"], path, entry, "sources")
            category = self._category(t["category"], path, entry, "category")
            others = tuple(
                self._category(c, path, entry, f"other_categories[{i}]")
                for i, c in enumerate(t.get("other_categories", []))
            )
            variants = []
            for vid, vt in t.get("variants", {}).items():
                prefix = f"variants.{vid}."
                vd = self._display(vt, path, entry, prefix, base)
                self._expand_check(vd, path, entry, prefix)
                own_flags = self._red_flag_refs(
                    vt.get("red_flags", []), path, entry, prefix + "red_flags"
                )
                flags = red_flags + tuple(f for f in own_flags if f not in red_flags)
                variants.append(
                    Variant(
                        id=vid,
                        parent_id=eid,
                        section=section,
                        name=vt["name"],
                        synonyms=tuple(vt.get("synonyms", ())),
                        category=self._category(
                            vt.get("category", category),
                            path,
                            entry,
                            prefix + "category",
                        ),
                        colour=vd["colour"],
                        levels=vd["levels"],
                        sides=vd["sides"],
                        highlights=vd["highlights"],
                        geometry=vd["geometry"],
                        systemic=vd["systemic"],
                        patient=_prose(vt.get("patient", t["patient"])),
                        student=_prose(vt.get("student", t["student"])),
                        facts=self._facts(vt.get("facts", []), path, entry, prefix),
                        red_flags=flags,
                        sources=self._urls(
                            vt["sources"], path, entry, prefix + "sources"
                        ),
                        notes=_prose(vt["notes"]) if "notes" in vt else None,
                    )
                )
            review_status = t.get("review_status", self.file_status[path])
            if review_status not in REVIEW_STATUSES:
                raise KnowledgeError(
                    f"review_status must be one of {', '.join(REVIEW_STATUSES)}",
                    file=path,
                    entry=entry,
                    key="review_status",
                )
            default_variant = t.get("default_variant")
            if variants:
                if default_variant is None:
                    raise KnowledgeError(
                        "an entry with variants needs default_variant",
                        file=path,
                        entry=entry,
                        key="default_variant",
                    )
                if default_variant not in {v.id for v in variants}:
                    raise KnowledgeError(
                        f"default_variant {default_variant!r} is not one of the "
                        "variants "
                        f"({', '.join(v.id for v in variants)})",
                        file=path,
                        entry=entry,
                        key="default_variant",
                    )
            else:
                if default_variant is not None:
                    raise KnowledgeError(
                        "default_variant given but the entry has no variants",
                        file=path,
                        entry=entry,
                        key="default_variant",
                    )
                self._expand_check(base, path, entry, "")
            common = dict(
                section=section,
                id=eid,
                name=t["name"],
                synonyms=tuple(t.get("synonyms", ())),
                category=category,
                other_categories=others,
                colour=base["colour"],
                levels=base["levels"],
                sides=base["sides"],
                highlights=base["highlights"],
                geometry=base["geometry"],
                systemic=base["systemic"],
                patient=_prose(t["patient"]),
                student=_prose(t["student"]),
                facts=self._facts(t.get("facts", []), path, entry, ""),
                red_flags=red_flags,
                related=tuple(t.get("related", ())),
                sources=sources,
                variants=tuple(variants),
                default_variant=default_variant,
                notes=_prose(t["notes"]) if "notes" in t else None,
                review_status=review_status,
                file=path.name,
            )
            if section == "conditions":
                obj: Condition | Treatment = Condition(
                    treatments=tuple(t.get("treatments", ())), **common
                )
            else:
                if t["kind"] not in self.kinds:
                    raise KnowledgeError(
                        f"unknown treatment kind {t['kind']!r}; kinds: "
                        f"{', '.join(self.kinds)}",
                        file=path,
                        entry=entry,
                        key="kind",
                    )
                obj = Treatment(
                    kind=t["kind"], conditions=tuple(t.get("conditions", ())), **common
                )
            out.append(obj)
        return out

    def _links(
        self,
        conditions: list[Condition | Treatment],
        treatments: list[Condition | Treatment],
    ) -> tuple[Catalogue[Condition], Catalogue[Treatment]]:
        cond_ids = {c.id for c in conditions}
        treat_ids = {t.id for t in treatments}
        file_of = {(e.section, e.id): e.file for e in conditions + treatments}
        by_cond: dict[str, list[str]] = {c: [] for c in cond_ids}
        by_treat: dict[str, list[str]] = {t: [] for t in treat_ids}
        for c in conditions:
            for i, tid in enumerate(getattr(c, "treatments", ())):
                if tid not in treat_ids:
                    raise self._link_error(
                        tid, "treatment", treat_ids, c, f"treatments[{i}]"
                    )
                by_cond[c.id].append(tid)
                by_treat[tid].append(c.id)
        for t in treatments:
            for i, cid in enumerate(getattr(t, "conditions", ())):
                if cid not in cond_ids:
                    raise self._link_error(
                        cid, "condition", cond_ids, t, f"conditions[{i}]"
                    )
                by_treat[t.id].append(cid)
                by_cond[cid].append(t.id)
        for e in conditions + treatments:
            for i, rid in enumerate(e.related):
                if rid not in cond_ids | treat_ids:
                    raise self._link_error(
                        rid,
                        "condition or treatment",
                        cond_ids | treat_ids,
                        e,
                        f"related[{i}]",
                    )
                if rid == e.id:
                    raise KnowledgeError(
                        "an entry cannot be related to itself",
                        file=file_of[(e.section, e.id)],
                        entry=f"{e.section}.{e.id}",
                        key=f"related[{i}]",
                    )

        def uniq(items: list[str]) -> tuple[str, ...]:
            return tuple(dict.fromkeys(items))

        conds = Catalogue(
            "condition",
            [(c.id, replace(c, treatments=uniq(by_cond[c.id]))) for c in conditions],  # type: ignore[arg-type]
        )
        treats = Catalogue(
            "treatment",
            [(t.id, replace(t, conditions=uniq(by_treat[t.id]))) for t in treatments],  # type: ignore[arg-type]
        )
        return conds, treats

    @staticmethod
    def _link_error(
        ref: str, what: str, pool: set[str], e: Condition | Treatment, key: str
    ) -> KnowledgeError:
        close = difflib.get_close_matches(ref, sorted(pool), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return KnowledgeError(
            f"unknown {what} link {ref!r}{hint}",
            file=e.file,
            entry=f"{e.section}.{e.id}",
            key=key,
        )

    # -- landmarks -------------------------------------------------------------

    def _landmarks(self) -> Catalogue[Landmark]:
        out = []
        for lid, path, t in self.items("landmarks"):
            entry = f"landmarks.{lid}"
            raw = (
                [t["at_levels"]] if isinstance(t["at_levels"], str) else t["at_levels"]
            )
            at_levels = tuple(
                tok
                for i, item in enumerate(raw)
                for tok in self._parse_levels(
                    item, None, path, entry, f"at_levels[{i}]"
                )
            )
            colour = self._colour(
                t.get("colour", _LANDMARK_COLOUR), path, entry, "colour"
            )
            d = self._display(t, path, entry, "", {"colour": colour})
            self._expand_check(d, path, entry, "")
            out.append(
                (
                    lid,
                    Landmark(
                        id=lid,
                        name=t["name"],
                        at_levels=at_levels,
                        level_note=t["level_note"],
                        description=_prose(t["description"]),
                        colour=colour,
                        highlights=d["highlights"],
                        geometry=d["geometry"],
                        facts=self._facts(t.get("facts", []), path, entry, ""),
                        sources=self._urls(t["sources"], path, entry, "sources"),
                        uncertain=t.get("uncertain"),
                        file=path.name,
                    ),
                )
            )
        return Catalogue("landmark", out)


# --------------------------------------------------------------------------- public API


def _load_directory(directories: Sequence[Path]) -> Knowledge:
    files = []
    for directory in directories:
        for path in _data_files(directory):
            files.append((path, _read_file(path)))
    return _Builder(files).build()


@functools.lru_cache(maxsize=1)
def _load_packaged() -> Knowledge:
    return _load_directory([DATA_DIR])


def load_knowledge(
    path: str | Path | None = None, *, extend: bool = False
) -> Knowledge:
    """Load and validate the clinical knowledge base.

    Parameters
    ----------
    path : str or pathlib.Path or None, default: None
        A directory of ``*.toml`` data files.  ``None`` loads the packaged
        data (cached: repeated calls return the same object).
    extend : bool, default: False
        With a ``path``, load the packaged data first and add the files of
        ``path`` to it (their ids must not repeat packaged ids).  Without it,
        ``path`` must hold a complete data set (structures, colours,
        sources, disclaimer ...).

    Returns
    -------
    Knowledge
        Immutable, validated knowledge base.

    Raises
    ------
    KnowledgeError
        If a file is unreadable, too large, not valid TOML or breaks the
        schema or a cross-reference; the message names file, entry and key.

    Examples
    --------
    >>> from annotations import load_knowledge
    >>> k = load_knowledge()
    >>> k.structures["rib_L9"].name
    'Left 9th rib'
    """
    if path is None:
        return _load_packaged()
    directory = Path(path)
    return _load_directory([DATA_DIR, directory] if extend else [directory])
