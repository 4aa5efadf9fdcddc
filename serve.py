"""Serve the thoracic spine explorer.

``python serve.py [--port N] [--address 127.0.0.1] [--allow-websocket-origin HOST[:PORT] ...] [--synthetic]``
serves on 127.0.0.1 by default; ``panel serve serve.py`` works too (set
``TSV_SYNTHETIC=1`` for the schematic demo model).
"""

from __future__ import annotations

import argparse
import os

if not os.environ.get("DISPLAY"):  # off-screen PNG downloads: EGL, not X (set before VTK loads)
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkEGLRenderWindow")

import panel as pn  # noqa: E402

pn.extension("vtk")


def _factory(synthetic: bool):  # noqa: ANN202
    from viewer.app import create_app

    return lambda: create_app(synthetic=synthetic)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, warm the shared model cache and serve."""
    from tornado.web import RequestHandler

    from viewer.model import load_model

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--port", type=int, default=5006)
    p.add_argument("--address", default="127.0.0.1")
    p.add_argument("--allow-websocket-origin", action="append", default=None, metavar="HOST[:PORT]")
    p.add_argument("--synthetic", action="store_true", help="schematic demo model and texts (tests, demos)")
    args = p.parse_args(argv)

    load_model(args.synthetic)  # load and pack the shared model before the first visitor
    from viewer.app import warm_exports

    warm_exports(args.synthetic)  # the off-screen PNG renderer, in the background

    class Health(RequestHandler):
        def get(self) -> None:
            self.write("ok")

    origins = args.allow_websocket_origin or [f"{args.address}:{args.port}", f"localhost:{args.port}"]
    pn.serve({"/": _factory(args.synthetic)}, port=args.port, address=args.address, show=False,
             allow_websocket_origin=origins, extra_patterns=[(r"/health", Health)], title="Thoracic spine explorer")


if __name__ == "__main__":
    main()
elif __name__.startswith("bokeh_app"):
    _factory(os.environ.get("TSV_SYNTHETIC") == "1")().servable()
