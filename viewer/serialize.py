"""Serialize the neutral scene once per model version and share it across sessions.

Panel's ``VTKRenderWindowSynchronized`` serializes the whole render window for
every browser session.  For this model that costs time on every page load,
mostly in three places: md5 digests of every array, a pure-Python loop that
converts each connectivity array from ``vtkIdType`` to ``uint32``, and one
256-entry colour table per actor (about 24 kB of JSON per actor).  Here the
scene is serialized once with Panel's own serializer functions, with

* connectivity arrays converted with numpy instead of the per-value loop,
* lookup tables removed from mappers that do not map scalars,
* every instance id rooted at a placeholder, replaced per pane so several
  viewers on one page (a notebook) never share vtk.js instances,

and the result is kept in a process-wide cache keyed by a digest of the mesh
data.  The serialized scene is immutable; all later changes (colours,
opacity, visibility, camera, markers) are sent to the browser as small
messages by :mod:`viewer.bridge`.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import pyvista as pv

ROOT_TOKEN = "@@ROOT@@"
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
    """Forget every cached scene (tests, or after the meshes changed)."""
    with _LOCK:
        _CACHE.clear()


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
