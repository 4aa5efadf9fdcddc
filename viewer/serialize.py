"""Geometry for the browser, packed once per model version and shared by every session.

The web app sends the model to vtk.js as **one binary blob** (:class:`PackedScene`),
built directly from the meshes (no render window, no per-array messages) and
kept in a process-wide cache keyed by a digest of the mesh data:

* points quantized to ``uint16`` per axis inside each structure's bounding box
  (step below 0.005 mm for a 300 mm structure),
* point normals as ``int8`` (``round(n * 127)``),
* triangles as ``uint16`` indices (``uint32`` above 65 535 points),
* a JSON header with the structure table, and the whole blob deflated
  (the browser inflates it with the native ``DecompressionStream``).

That is about 1.3 MB for the 200k-triangle model instead of 5.8 MB for Panel's
synchronized scene, and the browser builds every actor in one pass.  All later
changes (colours, opacity, visibility, camera, markers) travel as small
messages (:mod:`viewer.bridge`).

:func:`serialize_plotter` (Panel's synchronizer format, with numpy id
conversion and without colour tables) is kept for exports that embed Panel's
VTK pane in a standalone page.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyvista as pv

ROOT_TOKEN = "@@ROOT@@"
PACK_VERSION = 1
"""Version of the binary layout read by ``viewer/static/bridge.js``."""
_LUT_TYPES = ("vtkColorTransferFunction", "vtkLookupTable")


@dataclass(frozen=True)
class SerializedScene:
    """An immutable serialized render window, ready to send to vtk.js.

    Parameters
    ----------
    key : str
        Model version the scene was built from.
    template : str
        Scene JSON with instance ids rooted at :data:`ROOT_TOKEN`.
    arrays : mapping of str to bytes
        Binary data arrays by content hash (shared by every session).
    actor_refs : mapping of str to str
        Structure id -> instance id *without* its root.
    seconds : float
        Time it took to serialize.
    """

    key: str
    template: str
    arrays: Mapping[str, bytes]
    actor_refs: Mapping[str, str]
    seconds: float

    @property
    def nbytes(self) -> int:
        """Payload size sent to a browser: scene JSON plus binary arrays."""
        return len(self.template.encode()) + sum(len(a) for a in self.arrays.values())

    def instantiate(self, root: str | None = None) -> tuple[dict, dict[str, str]]:
        """Return a scene dict with its own id root and the actor id map.

        Parameters
        ----------
        root : str, optional
            Id prefix; a random one by default.

        Returns
        -------
        scene : dict
            The ``scene`` property of Panel's ``VTKSynchronizedPlot``.
        actor_ids : dict of str to str
            Structure id -> vtk.js instance id in that scene.
        """
        root = root or f"s{uuid.uuid4().hex[:12]}"
        scene = json.loads(self.template.replace(ROOT_TOKEN, root))
        return scene, {sid: root + ref for sid, ref in self.actor_refs.items()}


@dataclass(frozen=True)
class PackedScene:
    """The model as one deflated binary blob for ``viewer/static/bridge.js``.

    Layout of the inflated blob (little endian)::

        uint32 header length | header JSON (utf-8, padded to 4 bytes) | arrays

    The header is ``{"version": 1, "structures": [{"id", "points", "tris",
    "normals", "n_points", "n_tris", "origin", "step", "index"}, ...]}`` where
    ``points``/``tris``/``normals`` are byte offsets into the arrays section
    (4-byte aligned), a point is ``origin + uint16 * step`` and ``index`` is
    ``"uint16"`` or ``"uint32"``.

    Parameters
    ----------
    key : str
        Model version the blob was built from.
    data : bytes
        The deflated blob (``zlib`` stream), shared by every session.
    raw_size : int
        Size of the inflated blob.
    n_triangles : int
        Triangles in the model.
    seconds : float
        Time it took to pack.
    ids : tuple of str
        Structure ids in blob order.
    """

    key: str
    data: bytes
    raw_size: int
    n_triangles: int
    seconds: float
    ids: tuple[str, ...] = ()

    @property
    def index(self) -> dict[str, int]:
        """Structure id -> position in the blob (messages name structures by position)."""
        return {sid: i for i, sid in enumerate(self.ids)}

    @property
    def nbytes(self) -> int:
        """Bytes sent to a browser for the geometry."""
        return len(self.data)

    @cached_property
    def raw(self) -> bytes:
        """The inflated blob (for browsers without ``DecompressionStream``)."""
        return zlib.decompress(self.data)

    def header(self) -> dict:
        """The decoded JSON header (tests, debugging)."""
        raw = self.raw
        n = int.from_bytes(raw[:4], "little")
        return json.loads(raw[4 : 4 + n].decode())


def pack_structures(structures: Mapping[str, pv.PolyData], key: str = "") -> PackedScene:
    """Pack triangulated surfaces (with ``Normals`` point data if present).

    Parameters
    ----------
    structures : mapping of str to pyvista.PolyData
        Surfaces by structure id, in drawing order.
    key : str, default: ""
        Model version stored with the result.

    Returns
    -------
    PackedScene

    Raises
    ------
    ValueError
        If a surface is not made of triangles only.
    """
    start = time.perf_counter()
    table: list[dict] = []
    chunks: list[bytes] = []
    offset = 0
    n_tris = 0

    def add(array: np.ndarray) -> int:
        nonlocal offset
        data = np.ascontiguousarray(array).tobytes()
        at = offset
        pad = (-len(data)) % 4
        chunks.append(data + b"\0" * pad)
        offset += len(data) + pad
        return at

    for sid, mesh in structures.items():
        points = np.asarray(mesh.points, dtype=np.float64).reshape(-1, 3)
        faces = np.asarray(mesh.faces)
        if len(points) == 0 or len(faces) == 0:
            lo, step, q = np.zeros(3), np.ones(3), np.zeros((0, 3), np.uint16)
            tris = np.zeros((0, 3), np.uint16)
        else:
            if mesh.n_cells * 4 != len(faces) or np.any(faces[::4] != 3):
                raise ValueError(f"{sid}: only triangle surfaces can be packed (triangulate it first)")
            lo, hi = points.min(axis=0), points.max(axis=0)
            step = np.where(hi > lo, (hi - lo) / 65535.0, 1.0)
            q = np.clip(np.round((points - lo) / step), 0, 65535).astype(np.uint16)
            tris = faces.reshape(-1, 4)[:, 1:]
        index = "uint16" if len(points) <= 65536 else "uint32"
        if "Normals" in mesh.point_data:
            normals = np.asarray(mesh.point_data["Normals"], dtype=np.float64).reshape(-1, 3)
        else:
            normals = np.asarray(mesh.compute_normals(cell_normals=False, split_vertices=False).point_data["Normals"])
        n8 = np.clip(np.round(normals * 127.0), -127, 127).astype(np.int8)
        n_tris += len(tris)
        table.append({
            "id": sid, "n_points": len(points), "n_tris": len(tris), "index": index,
            "origin": [float(v) for v in lo], "step": [float(v) for v in step],
            "points": add(q), "tris": add(tris.astype(index)), "normals": add(n8),
        })
    header = json.dumps({"version": PACK_VERSION, "structures": table}, separators=(",", ":")).encode()
    header += b" " * ((-len(header)) % 4)
    raw = len(header).to_bytes(4, "little") + header + b"".join(chunks)
    data = zlib.compress(raw, 6)
    return PackedScene(key, data, len(raw), n_tris, time.perf_counter() - start, tuple(e["id"] for e in table))


def unpack_points(packed: PackedScene, structure_id: str) -> np.ndarray:
    """Decode the points of one structure as the browser does (tests)."""
    raw = packed.raw
    n = int.from_bytes(raw[:4], "little")
    base = 4 + n
    entry = next(e for e in packed.header()["structures"] if e["id"] == structure_id)
    q = np.frombuffer(raw, np.uint16, entry["n_points"] * 3, base + entry["points"]).reshape(-1, 3)
    return np.asarray(entry["origin"]) + q * np.asarray(entry["step"])


_PACKS: dict[str, PackedScene] = {}


def cached_pack(structures: Mapping[str, pv.PolyData], key: str | None = None) -> PackedScene:
    """Return the packed geometry of ``structures``, packing it on first request.

    Parameters
    ----------
    structures : mapping of str to pyvista.PolyData
        The model.
    key : str, optional
        Model version; :func:`model_key` of ``structures`` by default.

    Returns
    -------
    PackedScene
        Shared by every session: never mutate it.
    """
    key = key or model_key(structures)
    with _LOCK:
        hit = _PACKS.get(key)
        if hit is None:
            hit = _PACKS[key] = pack_structures(structures, key)
        return hit


def model_key(structures: Mapping[str, pv.PolyData]) -> str:
    """Digest of the ids, points and faces of a model (its cache key)."""
    h = hashlib.blake2b(digest_size=16)
    for sid in sorted(structures):
        mesh = structures[sid]
        h.update(sid.encode())
        h.update(np.ascontiguousarray(mesh.points).tobytes())
        h.update(np.ascontiguousarray(mesh.faces).tobytes())
    return h.hexdigest()


def serialize_plotter(plotter: pv.Plotter, names: list[str], key: str = "") -> SerializedScene:
    """Serialize a plotter's render window for Panel's ``VTKSynchronizedPlot``.

    Parameters
    ----------
    plotter : pyvista.Plotter
        Plotter whose actors are named by structure id.
    names : list of str
        Actor names to report in :attr:`SerializedScene.actor_refs`.
    key : str, default: ""
        Model version stored with the result.

    Returns
    -------
    SerializedScene
    """
    import panel.pane.vtk.synchronizable_serializer as rws

    rws.initializeSerializers()
    start = time.perf_counter()
    context = _FastContext(id_root=ROOT_TOKEN, serialize_all_data_arrays=False)
    ren_win = plotter.ren_win
    scene = rws.serializeInstance(None, ren_win, context.getReferenceId(ren_win), context, 0)
    scene["properties"]["numberOfLayers"] = 2  # as Panel does: layer 2 is the orientation widget
    _drop_lookup_tables(scene)
    used: set[str] = set()
    _collect_hashes(scene, used)
    arrays = {h: context.getCachedDataArray(h, binary=True) for h in used}
    camera = plotter.renderer.GetActiveCamera()
    camera_id = rws.getReferenceId(camera)  # Panel leaves cameras un-rooted
    template = json.dumps(scene, separators=(",", ":"))
    template = template.replace(f'"{camera_id}"', f'"{ROOT_TOKEN}{camera_id}"').replace(
        f"${{{camera_id}}}", f"${{{ROOT_TOKEN}{camera_id}}}"
    )
    refs = {name: rws.getReferenceId(plotter.actors[name]) for name in names}
    return SerializedScene(key, template, arrays, refs, time.perf_counter() - start)


_CACHE: dict[str, SerializedScene] = {}
_LOCK = threading.Lock()


def cached_scene(key: str, build: Callable[[], tuple[pv.Plotter, list[str]]]) -> SerializedScene:
    """Return the serialized scene for ``key``, building it on first request.

    Parameters
    ----------
    key : str
        Model version (e.g. :func:`model_key`).
    build : callable
        Returns ``(plotter, actor names)``; only called on a cache miss.

    Returns
    -------
    SerializedScene
        Shared by every session: never mutate it.
    """
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is None:
            plotter, names = build()
            hit = _CACHE[key] = serialize_plotter(plotter, names, key)
            plotter.close()
        return hit


def clear_cache() -> None:
    """Forget every cached scene and pack (tests, or after the meshes changed)."""
    with _LOCK:
        _CACHE.clear()
        _PACKS.clear()


def _drop_lookup_tables(node: dict) -> None:
    """Remove colour tables from mappers that colour by a flat property colour."""
    if "Mapper" in str(node.get("type", "")) and not node.get("properties", {}).get("scalarVisibility", 1):
        lut_ids = {d["id"] for d in node.get("dependencies", []) if d.get("type") in _LUT_TYPES}
        node["dependencies"] = [d for d in node.get("dependencies", []) if d["id"] not in lut_ids]
        node["calls"] = [c for c in node.get("calls", []) if c[0] != "setLookupTable"]
    for child in node.get("dependencies", []):
        _drop_lookup_tables(child)


def _collect_hashes(node: object, out: set[str]) -> None:
    if isinstance(node, dict):
        if "hash" in node and "dataType" in node:  # vtkDataArray and vtkPoints descriptions
            out.add(node["hash"])
        for value in node.values():
            _collect_hashes(value, out)
    elif isinstance(node, list):
        for value in node:
            _collect_hashes(value, out)


def _make_fast_context():  # noqa: ANN202 - the base class is imported lazily
    import panel.pane.vtk.synchronizable_serializer as rws

    class FastContext(rws.SynchronizationContext):
        """Panel's context with a vectorised ``vtkIdType`` -> 32-bit conversion."""

        def getCachedDataArray(self, pMd5, binary=False, compression=False):  # noqa: N802, N803 - Panel API
            array = self.dataArrayCache[pMd5]["array"]
            if array.GetDataType() not in (12, 16, 17) or compression or not binary:
                return super().getCachedDataArray(pMd5, binary=binary, compression=compression)
            from vtkmodules.util.numpy_support import vtk_to_numpy

            values = vtk_to_numpy(array).astype(np.int64, copy=False).ravel()
            if array.GetDataType() in (12, 17):  # as Panel: negatives -> 0xFFFFFFFF, rest uint32
                return np.where(values < 0, -1, values).astype(np.uint32).tobytes()
            return values.astype(np.int32).tobytes()

    return FastContext


class _FastContext:
    """Factory shim so the Panel import stays lazy (no work at import time)."""

    def __new__(cls, **kwargs):  # noqa: ANN003, ANN204
        return _make_fast_context()(**kwargs)
