"""Thin adapter between the viewer and the clinical knowledge base.

The app only talks to :class:`KnowledgeSource`, which returns the small plain
records below.  :class:`AnnotationsKnowledge` adapts ``annotations.Knowledge``
(``annotations.load_knowledge()``); :class:`viewer._demo.DemoKnowledge` is a
tiny synthetic stand-in for tests.  If the knowledge-base API changes, only
this module changes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from . import styles
from .markers import Marker

NEEDLE_RADIUS = 1.6
"""Radius (mm) of needle and instrument paths: thin enough to read as a needle at full-model zoom."""
from .state import Highlight


@dataclass(frozen=True)
class EntrySummary:
    """A condition or treatment as listed in the sidebar."""

    id: str
    section: str  # "conditions" or "treatments"
    name: str
    family: str
    colour: str
    level_kind: str = "none"  # vertebra | segment | rib | none
    levels: tuple[str, ...] = ()
    default_levels: tuple[str, ...] = ()
    sides: tuple[str, ...] = ()
    default_side: str | None = None
    variant_of: str = ""  # the parent entry's id when this is a variant ("entry.variant" ids)
    variant_name: str = ""  # the variant's own name ("Referred pain from the liver and gallbladder")


@dataclass(frozen=True)
class Explanation:
    """What the explanation panel shows for an entry."""

    id: str
    name: str
    patient: str
    student: str
    related: tuple[tuple[str, str], ...] = ()  # (entry id, name)
    red_flags: tuple[tuple[str, str], ...] = ()  # (sign, concern)
    sources: tuple[tuple[str, str], ...] = ()  # (url, title)


@dataclass(frozen=True)
class Resolved:
    """An entry resolved for one level and side."""

    highlights: tuple[Highlight, ...]
    markers: tuple[Marker, ...] = ()
    levels: tuple[str, ...] = ()
    side: str | None = None


@dataclass(frozen=True)
class StructureCard:
    """Click-to-identify card of a structure."""

    id: str
    name: str
    group: str
    level: str | None
    side: str | None
    description: str
    involved_in: tuple[tuple[str, str, str], ...] = field(default=())  # (entry id, name, section)


class KnowledgeSource(Protocol):
    """What the viewer needs from a knowledge base."""

    disclaimer: str
    disclaimer_short: str

    def entries(self) -> list[EntrySummary]: ...  # noqa: D102

    def search(self, text: str) -> list[EntrySummary]: ...  # noqa: D102

    def resolve(self, entry_id: str, level: str | None = None, side: str | None = None) -> Resolved: ...  # noqa: D102

    def explain(self, entry_id: str) -> Explanation: ...  # noqa: D102

    def structure(self, structure_id: str) -> StructureCard: ...  # noqa: D102


class AnnotationsKnowledge:
    """Adapter over ``annotations.Knowledge``.

    Parameters
    ----------
    kb : annotations.Knowledge
        Loaded knowledge base.
    anchors : mapping of str to (x, y, z)
        ``meshes.load_anchors()``, used to place point/path/region markers.
    """

    def __init__(self, kb: Any, anchors: Mapping[str, Sequence[float]] | None = None) -> None:
        self.kb = kb
        self.anchors = dict(anchors or {})
        self.disclaimer: str = kb.disclaimer
        self.disclaimer_short: str = getattr(kb, "disclaimer_short", "") or "For education only; not medical advice."

    def _summary(self, section: str, e: Any, variant: Any = None) -> EntrySummary:
        family = getattr(self.kb.categories.get(e.category), "name", e.category) if section == "conditions" else (
            getattr(self.kb.treatment_kinds.get(getattr(e, "kind", "")), "name", getattr(e, "kind", "")))
        # an entry with variants resolves to its default variant: offer that variant's levels and sides
        shown = variant or (e.variant(None) if e.variants else e)
        lv, sd = shown.levels, shown.sides
        sid = f"{e.id}.{variant.id}" if variant is not None else e.id
        return EntrySummary(sid, section, _full_name(e, variant), family or "", shown.colour.hex, lv.kind,
                            tuple(lv.allowed), tuple(lv.default), tuple(sd.allowed), sd.default,
                            variant_of=e.id if variant else "", variant_name=variant.name if variant else "")

    def entries(self) -> list[EntrySummary]:
        """All conditions then all treatments, in data order; each entry is followed by its variants.

        A variant's id is ``"<entry id>.<variant id>"`` (``"viscerosomatic_pain.liver_gallbladder"``);
        the entry's own id shows its default variant.
        """
        out = []
        for section, table in (("conditions", self.kb.conditions), ("treatments", self.kb.treatments)):
            for e in table.values():
                out.append(self._summary(section, e))
                out.extend(self._summary(section, e, v) for v in e.variants)
        return out

    def search(self, text: str) -> list[EntrySummary]:
        """Entries and variants matching ``text`` (names, synonyms, texts), best first."""
        out: dict[str, EntrySummary] = {}
        for hit in self.kb.search(text, limit=12):
            section = self.kb.conditions if hit.section == "conditions" else self.kb.treatments
            e = section[hit.entry_id]
            summary = self._summary(hit.section, e, e.variant(hit.variant_id) if hit.variant_id else None)
            out.setdefault(summary.id, summary)
        return list(out.values())

    def _lookup(self, entry_id: str) -> tuple[Any, Any]:
        """``(entry, variant or None)`` of an entry id or ``"<entry>.<variant>"`` id."""
        base, _, vid = entry_id.partition(".")
        e = self.kb.entry(base)
        if not vid:
            return e, None
        if vid not in e.variant_ids:
            raise KeyError(f"{base!r} has no variant {vid[:40]!r}")
        return e, e.variant(vid)

    def resolve(self, entry_id: str, level: str | None = None, side: str | None = None) -> Resolved:
        """Structures and markers of an entry or variant; raises ``ValueError`` on bad level/side."""
        e, v = self._lookup(entry_id)
        r = (v or e).resolve(level=level or None, side=side or None)
        hl = tuple(Highlight(h.structure_id, h.colour, h.role) for h in r.highlights)
        return Resolved(hl, tuple(m for g in r.geometry if (m := self._marker(g)) is not None), tuple(r.levels),
                        r.side)

    def _point(self, pos: Any) -> tuple[float, float, float] | None:
        if pos is None or pos.anchor not in self.anchors:
            return None
        base = self.anchors[pos.anchor]
        return tuple(float(b) + float(o) for b, o in zip(base, pos.offset))  # type: ignore[return-value]

    def _marker(self, g: Any) -> Marker | None:
        """Turn a resolved geometry into a marker; ``None`` if an anchor is missing."""
        if g.kind == "point":
            pts = [self._point(g.at)]
            return Marker("point", tuple(pts), g.colour, g.label) if None not in pts else None
        if g.kind == "path":
            pts = [self._point(p) for p in g.points]
            if not pts or None in pts:
                return None
            if g.role == "approach":  # a needle: thin, and never white on the light background
                return Marker("path", tuple(pts), styles.ink(g.colour, 3.0), g.label, radius=NEEDLE_RADIUS)
            return Marker("path", tuple(pts), g.colour, g.label)
        if g.center is not None:
            c = self._point(g.center)
            return Marker("region", (c,), g.colour, g.label, radius=float(g.radius or 10)) if c else None
        pts = [self._point(p) for p in g.band]
        if pts and None not in pts:
            return Marker("path", tuple(pts), g.colour, g.label, radius=float(g.width or 10), alpha=0.35)
        return None

    def explain(self, entry_id: str) -> Explanation:
        """Texts, related entries, red flags and sources of an entry or variant."""
        e, v = self._lookup(entry_id)
        shown = v or e
        related = []
        for rid in (*e.related, *getattr(e, "treatments", ()), *getattr(e, "conditions", ())):
            try:
                related.append((rid, self.kb.entry(rid).name))
            except (KeyError, ValueError):
                continue
        sources = []
        for url in dict.fromkeys((*shown.sources, *e.sources)):
            try:
                sources.append((url, self.kb.source_for(url).title))
            except (KeyError, ValueError):
                sources.append((url, url))
        flags = tuple(dict.fromkeys((f.sign, f.concern) for f in (*shown.red_flags, *e.red_flags)))
        return Explanation(entry_id, _full_name(e, v), shown.patient or e.patient, shown.student or e.student,
                           tuple(dict.fromkeys(related)), flags, tuple(sources))

    def structure(self, structure_id: str) -> StructureCard:
        """Identity card and involving entries of a structure."""
        s = self.kb.structures[structure_id]
        inv = tuple((i.entry_id, i.name, i.section) for i in self.kb.involving(structure_id))
        return StructureCard(s.id, s.name, s.group, s.level, s.side, s.description, inv)


def _full_name(entry: Any, variant: Any = None) -> str:
    """``"Entry: Variant"`` for a variant, the entry's name otherwise."""
    return f"{entry.name}: {variant.name}" if variant is not None else entry.name


def load_default_knowledge(anchors: Mapping[str, Sequence[float]] | None = None) -> AnnotationsKnowledge:
    """Load ``annotations.load_knowledge()`` behind the adapter."""
    from annotations import load_knowledge

    return AnnotationsKnowledge(load_knowledge(), anchors)
