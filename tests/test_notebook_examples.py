"""The example notebook runs in a real Jupyter kernel; the example scripts run as scripts."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

pytestmark = pytest.mark.render


def _env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": path, "VTK_DEFAULT_OPENGL_WINDOW": "vtkEGLRenderWindow"}


def _has_3d_model(html: str) -> bool:
    """A Bokeh document holding the 3D view: the SceneView component with its geometry, or Panel's VTK pane."""
    scene_view = re.search(r'"name":"SceneView\d*"', html) and re.search(
        r'"geometry":\{"type":"bytes","data":"[^"]{10000}', html)
    return bool(scene_view) or '"name":"VTKSynchronizedPlot"' in html


def test_example_notebook_runs_in_a_kernel(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    for key, value in _env().items():
        monkeypatch.setenv(key, value)
    nb = nbformat.read(EXAMPLES / "thoracic_spine.ipynb", as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    client = nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on any error

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    show_cell = next(c for c in nb.cells if "viewer.show(" in c.source)
    bundles = [o.get("data", {}) for o in show_cell.outputs]
    assert any("application/vnd.holoviews_exec.v0+json" in b for b in bundles), "rendered as a Panel viewable"
    assert any(_has_3d_model(b.get("text/html", "")) for b in bundles), "the output holds the 3D model"
    assert any("vtk.js" in b.get("application/javascript", "") for b in bundles), "pn.extension('vtk') ran"
    scene_cell = next(c for c in nb.cells if c.source.rstrip().endswith("\nscene"))
    assert any(_has_3d_model(o.get("data", {}).get("text/html", "")) for o in scene_cell.outputs)
    assert any("image/png" in b for b in (o.get("data", {}) for o in outputs)), "the PNG figure is displayed"
    figures = tmp_path / "figures"
    for name in ("facet_T6_T7_right.png", "facet_T6_T7_right.json", "facet_T6_T7_right.html",
                 "facet_T6_T7_right.glb", "vertebra_T6.stl", "zoomed.png"):
        assert (figures / name).stat().st_size > 0, name


@pytest.mark.parametrize(("script", "outputs"), [
    ("figure_png.py", ["slipping_rib_R9_left.png", "slipping_rib_R9_left.json"]),
    ("custom_highlight.py", ["rib6.png"]),
    ("offline_page.py", ["facet_T6_T7_right.html"]),
    ("print_model.py", ["compression_fracture_T12.glb", "vertebra_T12.stl"]),
])
def test_example_scripts_run(tmp_path, script, outputs):
    proc = subprocess.run([sys.executable, str(EXAMPLES / script), str(tmp_path)], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for name in outputs:
        assert (tmp_path / name).stat().st_size > 0, name
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == [], "no temporary files left"
