"""Off-screen rendering of the model (PyVista with VTK's EGL window)."""

from __future__ import annotations

import numpy as np
import pyvista as pv

from docs.render_figures import render_view


def test_posterior_render_shows_the_skeleton(model, tmp_path):
    from meshes.ids import soft_tissue_specs

    soft = {s.id for s in soft_tissue_specs()} - {"scapula_L", "scapula_R"}
    path = tmp_path / "posterior.png"
    render_view({k: v for k, v in model.items() if k not in soft}, "posterior", path, size=(400, 500))
    img = pv.read(path)
    rgb = np.asarray(img.point_data[img.point_data.keys()[0]])[:, :3].astype(int)
    background = np.all(rgb > 245, axis=1)
    assert 0.1 < 1.0 - background.mean() < 0.9
    # bone colour dominates: warm light pixels (red >= blue)
    fg = rgb[~background]
    assert np.mean(fg[:, 0] >= fg[:, 2]) > 0.6
