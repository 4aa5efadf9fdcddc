"""The baseline: the same meshes in a ``pyvista.Plotter`` shown with ``pn.pane.VTK``, recoloured with ``synchronize()``.

This is what the PyVista and Panel documentation lead a user to write: load the
meshes once, build one plotter per session, hand its render window to
``pn.pane.VTK`` and, when the user picks a condition, set the actors' colours and
call ``pane.synchronize()``.  To compare transport and not looks, it shows the
same picture as the app: the same meshes, material, background, colours,
fading and camera framing (computed with the project's ``viewer.scene.Scene``
state, which never builds a plotter of its own here).  It has no click-to-identify:
``pn.pane.VTK`` reports no picks.

``python benchmarks/baseline_app.py [--port N] [--synthetic]`` serves it on
127.0.0.1 (``/health`` answers "ok", like ``serve.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

if sys.platform.startswith("linux") and not os.environ.get("DISPLAY"):
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import panel as pn  # noqa: E402
import pyvista as pv  # noqa: E402

pn.extension("vtk")

_DATA: dict = {}


def shared_data(synthetic: bool = False) -> dict:
    """Meshes, structure infos, anchors and knowledge, loaded once per process (as a user would)."""
    if synthetic not in _DATA:
        from viewer.labels import infos_from_specs

        if synthetic:
            from viewer._demo import DemoKnowledge, synthetic_structures

            structures, anchors, kb = synthetic_structures(), {}, DemoKnowledge()
        else:
            import meshes

            from viewer.knowledge import load_default_knowledge

            structures = meshes.load_structures()
            anchors = dict(meshes.load_anchors())
            kb = load_default_knowledge(anchors)
        _DATA[synthetic] = {"meshes": structures, "infos": infos_from_specs(structures), "anchors": anchors,
                            "kb": kb}
    return _DATA[synthetic]


def build_plotter(meshes, styles_by_id, camera, window_size=(1200, 900)):  # noqa: ANN001, ANN201
    """One actor per mesh, in the given styles, with the given camera (a plain PyVista plotter)."""
    from viewer import styles

    pl = pv.Plotter(off_screen=True, window_size=list(window_size))
    pl.set_background(styles.BACKGROUND)
    actors = {}
    for sid, mesh in meshes.items():
        r, g, b, opacity, visible = styles_by_id[sid]
        actors[sid] = pl.add_mesh(mesh, name=sid, color=(r, g, b), opacity=opacity, smooth_shading=True,
                                  reset_camera=False, **styles.MATERIAL)
        actors[sid].SetVisibility(bool(visible))
    set_camera(pl, camera)
    return pl, actors


def set_camera(pl, camera) -> None:  # noqa: ANN001
    cam = pl.camera
    cam.position, cam.focal_point, cam.up = camera.position, camera.focal_point, camera.view_up
    cam.view_angle = camera.view_angle
    pl.reset_camera_clipping_range()


def restyle(actors, styles_by_id) -> None:  # noqa: ANN001
    for sid, (r, g, b, opacity, visible) in styles_by_id.items():
        prop = actors[sid].GetProperty()
        prop.SetColor(r, g, b)
        prop.SetOpacity(opacity)
        actors[sid].SetVisibility(bool(visible))


def create_app(synthetic: bool = False) -> pn.template.BaseTemplate:
    """One session: a plotter, a VTK pane and a condition menu."""
    from viewer.scene import Scene

    data = shared_data(synthetic)
    scene = Scene(data["meshes"], infos=data["infos"], anchors=data["anchors"])  # state only, no plotter
    pl, actors = build_plotter(data["meshes"], scene.styles, scene.camera)
    pane = pn.pane.VTK(pl.ren_win, sizing_mode="stretch_both", min_height=420)
    entries = {e.name: e.id for e in data["kb"].entries() if e.section == "conditions"}
    select = pn.widgets.Select(name="Conditions", options={"Choose a condition…": "", **entries},
                               sizing_mode="stretch_width")

    def recolour(event) -> None:  # noqa: ANN001
        if event.new:
            scene.highlight(data["kb"].resolve(event.new).highlights, frame=True)
        else:
            scene.clear()
        restyle(actors, scene.styles)
        set_camera(pl, scene.camera)
        pane.synchronize()

    select.param.watch(recolour, "value")
    template = pn.template.BootstrapTemplate(title="Baseline: pn.pane.VTK", sidebar=[select], main=[pane],
                                             sidebar_width=360, header_background="#2d3748")
    template.bench_handles = {"select": select, "pane": pane, "entries": entries}  # for benchmarks/run.py
    return template


def main(argv: list[str] | None = None) -> None:
    from tornado.web import RequestHandler

    p = argparse.ArgumentParser(description="baseline PyVista-in-Panel app")
    p.add_argument("--port", type=int, default=5007)
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--allow-websocket-origin", action="append", default=None, metavar="HOST[:PORT]")
    p.add_argument("--synthetic", action="store_true")
    args = p.parse_args(argv)
    shared_data(args.synthetic)

    class Health(RequestHandler):
        def get(self) -> None:
            self.write("ok")

    pn.serve({"/": lambda: create_app(args.synthetic)}, port=args.port, address=args.address, show=False,
             allow_websocket_origin=args.allow_websocket_origin or [f"{args.address}:{args.port}",
                                                                    f"localhost:{args.port}"],
             extra_patterns=[(r"/health", Health)], title="Baseline")


if __name__ == "__main__":
    main()
