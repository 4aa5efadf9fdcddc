"""Typed, immutable records of the clinical knowledge base.

Everything here is a frozen dataclass holding tuples, so one loaded
:class:`Knowledge` can be shared between viewer sessions.  No I/O happens
in this module; :mod:`annotations.loader` builds these objects.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import functools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Generic, Protocol, TypeVar

from .resolve import Resolution, resolve_display

T = TypeVar("T")


class Catalogue(Mapping[str, T], Generic[T]):
    """Read-only mapping from id to record, in data-file order.

    Parameters
    ----------
    label : str
        What the records are (``"condition"``), used in error messages.
    items : sequence of tuple
        ``(id, record)`` pairs.

    Examples
    --------
    >>> c = Catalogue("colour", [("JNT", "#F3A712")])
    >>> c["JNT"]
    '#F3A712'
    """

    __slots__ = ("_label", "_data")

    def __init__(self, label: str, items: Sequence[tuple[str, T]] = ()) -> None:
        self._label = label
        self._data: Mapping[str, T] = MappingProxyType(dict(items))

    def __getitem__(self, key: str) -> T:
        """Return the record with this id (KeyError suggests close ids)."""
        try:
            return self._data[key]
        except KeyError:
            close = difflib.get_close_matches(str(key), list(self._data), n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise KeyError(f"unknown {self._label} id {key!r}{hint}") from None

    def __iter__(self) -> Iterator[str]:
        """Iterate over ids in data order."""
        return iter(self._data)

    def __len__(self) -> int:
        """Return the number of records."""
        return len(self._data)

    def __repr__(self) -> str:
        """Return a short description."""
        return f"Catalogue({self._label!r}, {len(self)} items)"

    def __hash__(self) -> int:
        """Hash by label and ids."""
        return hash((self._label, tuple(self._data)))

    def __eq__(self, other: object) -> bool:
        """Compare the records."""
        return isinstance(other, Catalogue) and dict(self._data) == dict(other._data)


@dataclass(frozen=True)
class DataFile:
    """Version and review information of one data file.

    Attributes
    ----------
    name : str
        File name (``"conditions.toml"``).
    schema_version : int
        Major version of the data schema.
    data_version : str
        Version of the content.
    review_status : str
        ``draft`` or ``reviewed``.
    reviewed_by : tuple of str
        Reviewers.
    updated : datetime.date or None
        Date of the last content change.
    """

    name: str
    schema_version: int
    data_version: str
    review_status: str
    reviewed_by: tuple[str, ...]
    updated: _dt.date | None


@dataclass(frozen=True)
class Source:
    """A cited public web page.

    Attributes
    ----------
    id : str
        Short id (``"R19"``), matching the clinical brief.
    url : str
        Address of the page.
    title : str
        What the page is.
    caveat : str or None
        Quality caveat, e.g. ``"secondary summary"``.
    """

    id: str
    url: str
    title: str
    caveat: str | None


@dataclass(frozen=True)
class Colour:
    """One colour group of the legend.

    Attributes
    ----------
    code : str
        Code used by entries (``"JNT"``).
    name : str
        Legend label.
    hex : str
        ``"#rrggbb"``.
    use : str
        What the colour marks.
    opacity : float
        Suggested opacity, 0-1.
    note : str or None
        Remarks.
    """

    code: str
    name: str
    hex: str
    use: str
    opacity: float
    note: str | None


@dataclass(frozen=True)
class Category:
    """A family of conditions (``myofascial``, ``vertebrogenic`` ...)."""

    id: str
    name: str
    description: str


@dataclass(frozen=True)
class TreatmentKind:
    """A kind of treatment (``medication``, ``injection`` ...)."""

    id: str
    name: str
    description: str


@dataclass(frozen=True)
class Structure:
    """One structure of the skeleton model.

    Attributes
    ----------
    id : str
        Structure id (``"rib_L9"``).
    name : str
        Display name (``"Left 9th rib"``).
    group : str
        ``vertebra``, ``rib``, ``cartilage``, ``sternum``, ``disc``, ``cord``,
        ``nerve`` or ``joint``.
    level : str or None
        ``"T9"``, ``"T5-T6"`` or ``None``.
    side : str or None
        ``"left"``, ``"right"`` or ``None``.
    parent : str or None
        Id of the structure this one belongs to.
    description : str
        One plain-language line.
    synonyms : tuple of str
        Other names.
    sources : tuple of str
        URLs supporting the description.
    """

    id: str
    name: str
    group: str
    level: str | None
    side: str | None
    parent: str | None
    description: str
    synonyms: tuple[str, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Fact:
    """One cited statement.

    Attributes
    ----------
    text : str
        The statement.
    sources : tuple of str
        URLs supporting it.
    uncertain : str or None
        Why the statement is uncertain or disputed, if it is.
    """

    text: str
    sources: tuple[str, ...]
    uncertain: str | None = None


@dataclass(frozen=True)
class RedFlag:
    """A warning sign that needs medical assessment.

    Attributes
    ----------
    id : str
        Red-flag id.
    sign : str
        What the patient has or notices.
    concern : str
        What it may point to.
    highlight : tuple of str
        Structure ids to outline in the red-flag colour.
    sources : tuple of str
        URLs.
    note : str or None
        Remarks (e.g. a structure that is not modelled yet).
    """

    id: str
    sign: str
    concern: str
    highlight: tuple[str, ...]
    sources: tuple[str, ...]
    note: str | None


@dataclass(frozen=True)
class LevelSpec:
    """Which levels an entry takes.

    Attributes
    ----------
    kind : str
        ``vertebra``, ``segment``, ``rib`` or ``none``.
    allowed : tuple of str
        Levels the user may choose.
    default : tuple of str
        Levels shown when none is chosen.
    note : str or None
        Why these levels.
    """

    kind: str
    allowed: tuple[str, ...] = ()
    default: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class SideSpec:
    """Which sides an entry takes.

    Attributes
    ----------
    allowed : tuple of str
        Subset of ``left``, ``right``, ``both``.
    default : str
        Side shown when none is chosen.
    note : str or None
        Remarks (e.g. "usually one side").
    """

    allowed: tuple[str, ...]
    default: str
    note: str | None = None


@dataclass(frozen=True)
class Position:
    """An anchor name (maybe templated) and an RAS offset in mm for the right side."""

    anchor: str
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)


@dataclass(frozen=True)
class HighlightSpec:
    """A structure (template) to highlight.

    Attributes
    ----------
    structure : str
        Structure id or template (``"cartilage_{S}{n}"``).
    role : str
        ``primary``, ``secondary``, ``referral``, ``target``, ``approach`` or
        ``caution``.
    colour : Colour
        Colour group.
    levels : tuple of str or None
        Only at these of the chosen levels.
    over : tuple of str or None
        Fixed levels to expand over, whatever the user chooses.
    side : str
        ``selected`` (the chosen side or sides), ``midline``, ``left`` or
        ``right``.
    note : str or None
        Why it is shown.
    """

    structure: str
    role: str
    colour: Colour
    levels: tuple[str, ...] | None = None
    over: tuple[str, ...] | None = None
    side: str = "selected"
    note: str | None = None


@dataclass(frozen=True)
class GeometrySpec:
    """A point, path or region relative to model anchors.

    Attributes
    ----------
    kind : str
        ``point``, ``path`` or ``region``.
    role : str
        ``target``, ``approach``, ``referral``, ``caution``,
        ``trigger_point``, ``landmark``, ``site`` or ``innervation``.
    label : str
        Label (maybe templated).
    colour : Colour
        Colour group.
    at : Position or None
        Point position.
    points : tuple of Position
        Path positions.
    center : Position or None
        Round region centre.
    radius : float or None
        Round region radius (mm).
    band : tuple of Position
        Band region centre line.
    width : float or None
        Band width (mm).
    levels, over, side
        As for :class:`HighlightSpec`.
    stands_for : str or None
        The future structure id this annotation stands in for.
    note : str or None
        Remarks.
    """

    kind: str
    role: str
    label: str
    colour: Colour
    at: Position | None = None
    points: tuple[Position, ...] = ()
    center: Position | None = None
    radius: float | None = None
    band: tuple[Position, ...] = ()
    width: float | None = None
    levels: tuple[str, ...] | None = None
    over: tuple[str, ...] | None = None
    side: str = "selected"
    stands_for: str | None = None
    note: str | None = None


class Displayable(Protocol):
    """What :func:`annotations.resolve.resolve_display` needs."""

    name: str
    levels: LevelSpec
    sides: SideSpec
    colour: Colour
    highlights: tuple[HighlightSpec, ...]
    geometry: tuple[GeometrySpec, ...]
    red_flags: tuple[RedFlag, ...]


@dataclass(frozen=True, kw_only=True)
class Variant:
    """A form of a condition or treatment (``dish`` of ``arthritis``).

    Missing display fields were filled from the parent entry at load time;
    red flags are the parent's plus the variant's own.
    """

    id: str
    parent_id: str
    section: str
    name: str
    synonyms: tuple[str, ...]
    category: str
    colour: Colour
    levels: LevelSpec
    sides: SideSpec
    highlights: tuple[HighlightSpec, ...]
    geometry: tuple[GeometrySpec, ...]
    systemic: bool
    patient: str
    student: str
    facts: tuple[Fact, ...]
    red_flags: tuple[RedFlag, ...]
    sources: tuple[str, ...]
    notes: str | None

    def resolve(
        self, level: str | Sequence[str] | None = None, side: str | None = None
    ) -> Resolution:
        """Resolve this variant for a level and side.

        Parameters
        ----------
        level : str, sequence of str or None, default: None
            Level token(s); ``None`` gives the defaults.
        side : str or None, default: None
            ``left``, ``right`` or ``both``; ``None`` gives the default.

        Returns
        -------
        Resolution
            Structures and geometric annotations to show.
        """
        owner = f"{self.section[:-1]} '{self.parent_id}' (variant '{self.id}')"
        return resolve_display(owner, self, self.parent_id, self.id, level, side)


@dataclass(frozen=True, kw_only=True)
class Entry:
    """Fields shared by conditions and treatments.

    Attributes
    ----------
    id : str
        Entry id.
    name : str
        Display name.
    synonyms : tuple of str
        Other names used for search.
    category : str
        Family (``vertebrogenic`` ...).
    other_categories : tuple of str
        Further families.
    colour : Colour
        Main colour group.
    levels : LevelSpec
        Allowed and default levels.
    sides : SideSpec
        Allowed and default sides.
    highlights : tuple of HighlightSpec
        Structures to highlight (templates).
    geometry : tuple of GeometrySpec
        Points, paths and regions (templates).
    systemic : bool
        True for a treatment that acts on the whole body (tablets).
    patient : str
        Short plain-language explanation.
    student : str
        Longer, precise explanation.
    facts : tuple of Fact
        Cited statements.
    red_flags : tuple of RedFlag
        Warning signs.
    related : tuple of str
        Related entry ids.
    sources : tuple of str
        URLs supporting the texts.
    variants : tuple of Variant
        Forms of the entry.
    default_variant : str or None
        Variant used when none is named.
    notes : str or None
        Remarks for clinicians.
    review_status : str
        ``draft`` or ``reviewed`` (the entry's own, else its file's).
    file : str
        Data file the entry comes from.
    """

    section: str
    id: str
    name: str
    synonyms: tuple[str, ...]
    category: str
    other_categories: tuple[str, ...]
    colour: Colour
    levels: LevelSpec
    sides: SideSpec
    highlights: tuple[HighlightSpec, ...]
    geometry: tuple[GeometrySpec, ...]
    systemic: bool
    patient: str
    student: str
    facts: tuple[Fact, ...]
    red_flags: tuple[RedFlag, ...]
    related: tuple[str, ...]
    sources: tuple[str, ...]
    variants: tuple[Variant, ...]
    default_variant: str | None
    notes: str | None
    review_status: str
    file: str

    @property
    def variant_ids(self) -> tuple[str, ...]:
        """Ids of the variants, in data order."""
        return tuple(v.id for v in self.variants)

    def variant(self, variant_id: str | None = None) -> Variant:
        """Return one variant.

        Parameters
        ----------
        variant_id : str or None, default: None
            Variant id; ``None`` gives the default variant.

        Returns
        -------
        Variant
            The variant.

        Raises
        ------
        ValueError
            If the entry has no such variant.
        """
        wanted = variant_id if variant_id is not None else self.default_variant
        for v in self.variants:
            if v.id == wanted:
                return v
        choices = ", ".join(self.variant_ids) or "none (this entry has no variants)"
        raise ValueError(
            f"{self.section[:-1]} '{self.id}': parameter 'variant'={variant_id!r} is "
            "not valid; "
            f"valid choices: {choices}"
        )

    def resolve(
        self,
        level: str | Sequence[str] | None = None,
        side: str | None = None,
        variant: str | None = None,
    ) -> Resolution:
        """Resolve the entry for a level and side.

        Parameters
        ----------
        level : str, sequence of str or None, default: None
            Vertebra (``"T6"``), segment (``"T5-T6"`` or ``"T5_T6"``) or rib
            (``"R9"``) token, a range (``"R8..R10"``) or a list; ``None``
            gives the entry's default levels.
        side : str or None, default: None
            ``left``, ``right`` or ``both``; ``None`` gives the default.
        variant : str or None, default: None
            Variant id; entries with variants use their default variant.

        Returns
        -------
        Resolution
            ``(structure id, role, colour)`` highlights and geometric
            annotations with filled anchors and mirrored offsets.

        Raises
        ------
        ValueError
            Naming the entry, the parameter and the valid choices.

        Examples
        --------
        >>> from annotations import load_knowledge
        >>> k = load_knowledge()
        >>> r = k.conditions["facet_joint_pain"].resolve(level="T5-T6", side="left")
        >>> r.with_role("primary")
        ('facet_T5_T6_L',)
        """
        if variant is not None or self.variants:
            return self.variant(variant).resolve(level=level, side=side)
        owner = f"{self.section[:-1]} '{self.id}'"
        return resolve_display(owner, self, self.id, None, level, side)


@dataclass(frozen=True, kw_only=True)
class Condition(Entry):
    """A pain category or condition.

    Attributes
    ----------
    treatments : tuple of str
        Ids of treatments linked to this condition (both directions merged).
    """

    treatments: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Treatment(Entry):
    """A treatment or treatment site.

    Attributes
    ----------
    kind : str
        ``medication``, ``injection``, ``procedure``, ``surgery``,
        ``manual``, ``exercise``, ``self-care`` or ``device``.
    conditions : tuple of str
        Ids of conditions linked to this treatment (both directions merged).
    """

    kind: str
    conditions: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Landmark:
    """A surface or bony landmark used to find levels.

    Attributes
    ----------
    id, name : str
        Id and display name.
    at_levels : tuple of str
        Level tokens the landmark marks (``("T3",)``, ``("T7", "T8")``).
    level_note : str
        The level in words.
    description : str
        Plain description.
    colour : Colour
        Colour group.
    highlights, geometry : tuple
        What to show (``{S}`` templates expand to both sides by default).
    facts : tuple of Fact
        Cited statements.
    sources : tuple of str
        URLs.
    uncertain : str or None
        Disagreement between sources, if any.
    file : str
        Data file.
    """

    id: str
    name: str
    at_levels: tuple[str, ...]
    level_note: str
    description: str
    colour: Colour
    highlights: tuple[HighlightSpec, ...]
    geometry: tuple[GeometrySpec, ...]
    facts: tuple[Fact, ...]
    sources: tuple[str, ...]
    uncertain: str | None
    file: str
    levels: LevelSpec = LevelSpec("none")
    sides: SideSpec = SideSpec(("left", "right", "both"), "both")
    red_flags: tuple[RedFlag, ...] = ()

    def resolve(self, side: str | None = None) -> Resolution:
        """Resolve the landmark's highlights and annotations.

        Parameters
        ----------
        side : str or None, default: None
            ``left``, ``right`` or ``both`` (default) for paired landmarks.

        Returns
        -------
        Resolution
            What to show.
        """
        return resolve_display(f"landmark '{self.id}'", self, self.id, None, None, side)


@dataclass(frozen=True)
class Involvement:
    """An entry that involves a structure (for click-to-identify).

    Attributes
    ----------
    section : str
        ``conditions`` or ``treatments``.
    entry_id : str
        Entry id.
    variant_id : str or None
        Variant id, if the structure comes from a variant.
    name : str
        Display name.
    roles : tuple of str
        Roles the structure can have, strongest first.
    levels : tuple of str
        Levels at which the structure is shown (empty if at every level).
    sides : tuple of str
        Side choices that show the structure.
    """

    section: str
    entry_id: str
    variant_id: str | None
    name: str
    roles: tuple[str, ...]
    levels: tuple[str, ...]
    sides: tuple[str, ...]


@dataclass(frozen=True)
class SearchHit:
    """One search result.

    Attributes
    ----------
    score : int
        Higher is better: 100 id/name, 90 synonym, 55-80 partial
        name/synonym, 30-40 text (5 less after a spelling correction).
    section : str
        ``conditions`` or ``treatments``.
    entry_id : str
        Entry id.
    variant_id : str or None
        Variant id when the hit is a variant.
    name : str
        Display name of the entry or variant.
    matched : str
        What matched (``"name"``, ``"synonym 'Tietze syndrome'"``, ``"text"``).
    """

    score: int
    section: str
    entry_id: str
    variant_id: str | None
    name: str
    matched: str


@dataclass(frozen=True, kw_only=True)
class Knowledge:
    """The loaded, validated clinical knowledge base.

    Attributes
    ----------
    structures : Catalogue of Structure
        Registry of model structures.
    conditions : Catalogue of Condition
        Pain categories and conditions.
    treatments : Catalogue of Treatment
        Treatments and treatment sites.
    landmarks : Catalogue of Landmark
        Surface and bony landmarks.
    colours : Catalogue of Colour
        Colour table.
    sources : Catalogue of Source
        Cited sources, by id.
    red_flags : Catalogue of RedFlag
        Warning signs.
    categories : Catalogue of Category
        Condition families.
    treatment_kinds : Catalogue of TreatmentKind
        Kinds of treatment.
    disclaimer : str
        Education-only notice.
    disclaimer_short : str
        One-line version of the notice.
    files : tuple of DataFile
        Version and review status of each data file.
    """

    structures: Catalogue[Structure]
    conditions: Catalogue[Condition]
    treatments: Catalogue[Treatment]
    landmarks: Catalogue[Landmark]
    colours: Catalogue[Colour]
    sources: Catalogue[Source]
    red_flags: Catalogue[RedFlag]
    categories: Catalogue[Category]
    treatment_kinds: Catalogue[TreatmentKind]
    disclaimer: str
    disclaimer_short: str
    files: tuple[DataFile, ...]

    @functools.cached_property
    def _involvement(self) -> Mapping[str, tuple[Involvement, ...]]:
        from .index import involvement_index

        entries = list(self.conditions.values()) + list(self.treatments.values())
        return MappingProxyType(involvement_index(entries))

    @functools.cached_property
    def _search_index(self):  # noqa: ANN202 - internal
        from .index import search_index

        return search_index(
            list(self.conditions.values()) + list(self.treatments.values())
        )

    def entry(self, entry_id: str) -> Condition | Treatment:
        """Return a condition or treatment by id.

        Parameters
        ----------
        entry_id : str
            Condition or treatment id.

        Returns
        -------
        Condition or Treatment
            The entry.

        Raises
        ------
        KeyError
            If no entry has that id.
        """
        if entry_id in self.conditions:
            return self.conditions[entry_id]
        if entry_id in self.treatments:
            return self.treatments[entry_id]
        pool = list(self.conditions) + list(self.treatments)
        close = difflib.get_close_matches(entry_id, pool, n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise KeyError(f"unknown condition or treatment id {entry_id!r}{hint}")

    def source_for(self, url: str) -> Source:
        """Return the registered source with this URL.

        Parameters
        ----------
        url : str
            A source URL used by an entry.

        Returns
        -------
        Source
            The source record.
        """
        for s in self.sources.values():
            if s.url == url:
                return s
        raise KeyError(f"no source with url {url!r}")

    def search(self, query: str, limit: int = 10) -> tuple[SearchHit, ...]:
        """Find conditions and treatments by name, synonym or text.

        Matching ignores case, hyphens, underscores and plural endings; a
        misspelt word is corrected to the closest known term.  Ranking:
        exact id or name (100) > exact synonym (90) > name or synonym
        starting with / containing the query (80-60) > name or synonym
        contained in the query (55) > phrase or all words in the texts
        (40-30).

        Parameters
        ----------
        query : str
            Words to look for, e.g. ``"slipped rib"`` or ``"Tietze"``.
        limit : int, default: 10
            Maximum number of hits.

        Returns
        -------
        tuple of SearchHit
            Best first.

        Examples
        --------
        >>> from annotations import load_knowledge
        >>> load_knowledge().search("slipped rib")[0].entry_id
        'slipping_rib_syndrome'
        """
        from .search import run_search

        return run_search(self._search_index, query, limit)

    def involving(self, structure_id: str) -> tuple[Involvement, ...]:
        """Return the conditions and treatments that can show a structure.

        Parameters
        ----------
        structure_id : str
            A structure id, e.g. ``"rib_L9"``.

        Returns
        -------
        tuple of Involvement
            Conditions first, then treatments; strongest role first.

        Raises
        ------
        KeyError
            If the structure id is unknown.
        """
        if structure_id not in self.structures:
            self.structures[structure_id]  # raises KeyError with suggestions
        return self._involvement.get(structure_id, ())
