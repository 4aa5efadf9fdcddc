"""Derived indexes of a loaded knowledge base: structure involvement and search.

Both are built lazily, on first use, by :class:`annotations.model.Knowledge`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from typing import Any

from .levels import SIDES, expand_side
from .model import Condition, Entry, Involvement, Treatment
from .resolve import ROLE_PRIORITY, item_expansions
from .search import SearchIndex, build_index
from .templates import fill, uses_side


@functools.lru_cache(maxsize=8192)
def _fill(template: str, level: str | None, side: str | None) -> str:
    return fill(template, level, side)


def involvement_index(entries: Iterable[Entry]) -> dict[str, tuple[Involvement, ...]]:
    """Map every structure id to the entries that can highlight it.

    Parameters
    ----------
    entries : iterable of Entry
        Conditions and treatments.

    Returns
    -------
    dict
        ``structure id -> tuple of Involvement``; conditions first, then by
        strongest role.
    """
    found: dict[str, dict[tuple[str, str, str | None], dict[str, Any]]] = {}
    for e in entries:
        for disp in e.variants or (e,):
            variant_id = disp.id if disp is not e else None
            levels = disp.levels.allowed if disp.levels.kind != "none" else ()
            choices = disp.sides.allowed
            concrete = sorted({s for c in choices for s in expand_side(c)})
            choices_of = {
                sd: {c for c in choices if sd in expand_side(c)} for sd in concrete
            }
            for lv_choice in levels or (None,):
                lv_list = (lv_choice,) if lv_choice else ()
                for item in disp.highlights:
                    sided = uses_side(item.structure)
                    for lv, sd in item_expansions(
                        item, (item.structure,), lv_list, concrete
                    ):
                        sid = _fill(item.structure, lv, sd)
                        key = (e.section, e.id, variant_id)
                        rec = found.setdefault(sid, {}).get(key)
                        if rec is None:
                            rec = found[sid][key] = {
                                "name": disp.name,
                                "roles": set(),
                                "levels": [],
                                "sides": set(),
                            }
                        rec["roles"].add(item.role)
                        if lv_choice and (
                            not rec["levels"] or rec["levels"][-1] != lv_choice
                        ):
                            rec["levels"].append(lv_choice)
                        rec["sides"].update(choices_of[sd] if sided and sd else choices)
    out: dict[str, tuple[Involvement, ...]] = {}
    for sid, recs in found.items():
        items = [
            Involvement(
                section=section,
                entry_id=eid,
                variant_id=vid,
                name=r["name"],
                roles=tuple(sorted(r["roles"], key=ROLE_PRIORITY.index)),
                levels=tuple(dict.fromkeys(r["levels"])),
                sides=tuple(c for c in SIDES if c in r["sides"]),
            )
            for (section, eid, vid), r in recs.items()
        ]
        items.sort(
            key=lambda i: (
                i.section != "conditions",
                ROLE_PRIORITY.index(i.roles[0]),
                i.entry_id,
                i.variant_id or "",
            )
        )
        out[sid] = tuple(items)
    return out


def _search_records(entries: Iterable[Condition | Treatment]) -> Iterator[tuple]:
    for e in entries:
        texts = [e.patient, e.student, e.notes or "", e.category] + [
            f.text for f in e.facts
        ]
        yield e.section, e.id, None, e.id, e.name, e.synonyms, texts
        for v in e.variants:
            vtexts = [v.notes or ""] + [f.text for f in v.facts]
            if v.patient != e.patient:
                vtexts.append(v.patient)
            if v.student != e.student:
                vtexts.append(v.student)
            yield e.section, e.id, v.id, v.id, v.name, v.synonyms, vtexts


def search_index(entries: Iterable[Condition | Treatment]) -> SearchIndex:
    """Build the search index of conditions and treatments (and their variants)."""
    return build_index(_search_records(entries))
