"""Serve the thoracic spine explorer.

``python serve.py [--port N] [--address 127.0.0.1] [--allow-websocket-origin HOST[:PORT] ...] [--model-dir DIR] [--synthetic]``
serves on 127.0.0.1 by default; ``panel serve serve.py`` works too (set
``TSV_SYNTHETIC=1`` for the schematic demo model).
"""

from __future__ import annotations

import argparse
import os
import sys

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
    p.add_argument("--model-dir", metavar="DIR", default=None,
                   help="serve a model written by `python -m meshes.build DIR` (hash-checked) instead of the packaged one")
    p.add_argument("--synthetic", action="store_true", help="schematic demo model and texts (tests, demos)")
    args = p.parse_args(argv)

    from annotations import KnowledgeError
    from meshes.assets import AssetError
    from viewer.model import use_model_dir

    try:
        if args.model_dir is not None:
            use_model_dir(args.model_dir)
        load_model(args.synthetic)  # load and pack the shared model before the first visitor
    except (AssetError, KnowledgeError, OSError) as exc:
        # one line naming the file at fault, no traceback
        sys.stderr.write(f"serve.py: error: {' '.join(str(exc).split())}\n")
        raise SystemExit(2) from None
    from viewer.app import warm_exports

    warm_exports(args.synthetic)  # the off-screen PNG renderer, in the background

    class Health(RequestHandler):
        def get(self) -> None:
            self.write("ok")

    origins = args.allow_websocket_origin or [f"{args.address}:{args.port}", f"localhost:{args.port}"]
    # permessage-deflate: the explanation HTML and JSON patches of a highlight shrink about 3x
    pn.serve({"/": _factory(args.synthetic)}, port=args.port, address=args.address, show=False,
             allow_websocket_origin=origins, websocket_compression_level=6,
             extra_patterns=[(r"/health", Health)], title="Thoracic spine explorer")


if __name__ == "__main__":
    main()
elif __name__.startswith("bokeh_app"):
    _factory(os.environ.get("TSV_SYNTHETIC") == "1")().servable()
