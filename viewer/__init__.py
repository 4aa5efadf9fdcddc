"""Interactive 3D explainer of the thoracic spine: web app, notebook API and exports.

In a notebook, one line shows the web app at a condition or treatment::

    import viewer
    viewer.show("slipping_rib_syndrome", level="R9", side="left")

Scripted figures (PNG, offline HTML, glTF, STL/OBJ) and their plain-data
specs::

    scene = viewer.SpineScene().highlight("costochondritis", side="left")
    scene.screenshot("costochondritis.png", width=1600, height=1200)
    scene.save("costochondritis.html")
    scene.spec.to_json("costochondritis.json")   # regenerate with SpineScene.from_spec(...)

The web app itself is :class:`viewer.app.SpineViewer` (``serve.py``); the
plain PyVista scene shared by all of them is :class:`viewer.scene.Scene`.
Names are imported on first use, so ``import viewer`` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .notebook import SpineScene, show
    from .spec import SceneSpec, SpecError, load_spec

__all__ = ["SceneSpec", "SpecError", "SpineScene", "load_spec", "show"]

_LAZY = {"show": "notebook", "SpineScene": "notebook", "SceneSpec": "spec", "SpecError": "spec",
         "load_spec": "spec"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
