"""Clinical knowledge of the thoracic spine viewer, kept as data.

Pain categories, treatments, landmarks, red flags, colours and the
structure registry live in TOML files under ``annotations/data/`` that a
clinician can read and extend without touching code.  This package loads
and validates them into immutable objects.

Examples
--------
>>> from annotations import load_knowledge
>>> k = load_knowledge()
>>> r = k.conditions["slipping_rib_syndrome"].resolve(side="left")
>>> r.with_role("primary")
('cartilage_L8', 'cartilage_L9', 'cartilage_L10')
>>> k.search("Tietze")[0].entry_id
'costochondritis'
"""

from __future__ import annotations

from .errors import KnowledgeError
from .loader import DATA_DIR, load_knowledge
from .model import (
    Catalogue,
    Category,
    Colour,
    Condition,
    DataFile,
    Entry,
    Fact,
    GeometrySpec,
    HighlightSpec,
    Involvement,
    Knowledge,
    Landmark,
    LevelSpec,
    Position,
    RedFlag,
    SearchHit,
    SideSpec,
    Source,
    Structure,
    Treatment,
    TreatmentKind,
    Variant,
)
from .resolve import Resolution, ResolvedGeometry, ResolvedHighlight, ResolvedPosition

__all__ = [
    "DATA_DIR",
    "Catalogue",
    "Category",
    "Colour",
    "Condition",
    "DataFile",
    "Entry",
    "Fact",
    "GeometrySpec",
    "HighlightSpec",
    "Involvement",
    "Knowledge",
    "KnowledgeError",
    "Landmark",
    "LevelSpec",
    "Position",
    "RedFlag",
    "Resolution",
    "ResolvedGeometry",
    "ResolvedHighlight",
    "ResolvedPosition",
    "SearchHit",
    "SideSpec",
    "Source",
    "Structure",
    "Treatment",
    "TreatmentKind",
    "Variant",
    "load_knowledge",
]
