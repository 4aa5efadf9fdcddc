"""The ``thoracic-viewer`` command.

Subcommands
-----------
structures
    List every structure id with its group and triangle count.
list
    List every condition and treatment id (variants as ``entry.variant``)
    with its name, levels and sides.
build-meshes
    Regenerate the packaged default model (or a variant into a folder).
serve
    Start the web app (same as ``python serve.py``).
export
    Write a figure (PNG), an offline page (HTML) or a model (GLB, STL, OBJ)
    of a condition/treatment or of a scene spec, by the file extension.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _cmd_structures(args: argparse.Namespace) -> int:
    from meshes import load_manifest, structure_specs

    manifest = load_manifest(args.sex, args.kyphosis)
    entries = manifest["structures"]
    total = 0
    print(f"{'structure id':<24} {'group':<10} {'level':<8} {'side':<6} triangles")
    for spec in structure_specs():
        tri = entries[spec.id]["triangles"]
        total += tri
        print(f"{spec.id:<24} {spec.group:<10} {spec.level or '-':<8} {spec.side or '-':<6} {tri}")
    print(f"{len(entries)} structures, {total} triangles")
    return 0


def _cmd_list(args: argparse.Namespace) -> int:
    from .knowledge import load_default_knowledge

    kb = load_default_knowledge()
    entries = kb.entries()
    for section in ("conditions", "treatments"):
        print(section.capitalize())
        for e in (e for e in entries if e.section == section):
            levels = f"{e.levels[0]}..{e.levels[-1]}" if len(e.levels) > 1 else (e.levels[0] if e.levels else "-")
            sides = "/".join(e.sides) or "-"
            indent = "    " if e.variant_of else "  "
            print(f"{indent}{e.id:<{50 - len(indent)}} {levels:<14} {sides:<16} {e.name}")
    print(f"{len(entries)} entries and variants")
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from meshes import DEFAULT_DIR, build

    target = Path(args.out) if args.out else DEFAULT_DIR
    manifest = build(target, args.sex, args.kyphosis)
    tris = sum(e["triangles"] for e in manifest["structures"].values())
    print(f"wrote {len(manifest['structures'])} structures ({tris} triangles) to {target}")
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    import runpy

    sys.argv = ["serve.py", *args.rest]
    runpy.run_path(str(Path(__file__).resolve().parent.parent / "serve.py"), run_name="__main__")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    """Export one scene; every bad value raises ``ValueError`` before anything is written."""
    from .camera import DEFAULT_VIEW
    from .export import output_format
    from .spec import DEFAULT_SIZE, SceneSpec, load_spec

    output_format(args.out)
    size = [_pixels(args.width, "width"), _pixels(args.height, "height")]
    if args.spec:
        given = [f"--{k}" for k in ("highlight", "level", "side", "view") if getattr(args, k) is not None]
        if given:
            raise ValueError(f"{', '.join(given)} cannot be combined with --spec (put them in the spec)")
        spec = load_spec(args.spec if "=" in args.spec else Path(args.spec))
        size = [size[0] or spec.width, size[1] or spec.height]
    else:
        spec = SceneSpec(highlight=args.highlight or "", level=args.level or "", side=args.side or "",
                         view=args.view or DEFAULT_VIEW)
        size = [size[0] or DEFAULT_SIZE[0], size[1] or DEFAULT_SIZE[1]]
    changes: dict = {"size": tuple(size)}
    if args.no_labels:
        changes["labels"] = False
    if args.no_legend:
        changes["legend"] = False
    if args.transparent:
        changes["transparent"] = True
    if args.title is not None:
        changes["title"] = args.title
    spec = spec.with_(**changes)

    from .notebook import SpineScene  # heavy imports only once the arguments are valid

    try:
        path = SpineScene(spec).save(args.out)
    except OSError as exc:
        raise ValueError(f"cannot write {args.out!r}: {exc.strerror or exc}") from None
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


def _pixels(value: str | None, name: str) -> int:
    if value is None:
        return 0
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} {value!r} is not a whole number of pixels; choose 16-4000") from None


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``thoracic-viewer``."""
    parser = argparse.ArgumentParser(prog="thoracic-viewer", description="Interactive 3D thoracic spine anatomy viewer")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("structures", help="list every structure id with its group and triangle count")
    p.add_argument("--sex", choices=["male", "female"], default="male")
    p.add_argument("--kyphosis", type=float, default=None, help="T1-T12 Cobb angle in degrees (20-70)")
    p.set_defaults(func=_cmd_structures)
    p = sub.add_parser("list", help="list every condition and treatment id (variants as entry.variant)")
    p.set_defaults(func=_cmd_list)
    p = sub.add_parser("build-meshes", help="regenerate the model meshes")
    p.add_argument("--out", help="output folder (default: the package's default model)")
    p.add_argument("--sex", choices=["male", "female"], default="male")
    p.add_argument("--kyphosis", type=float, default=None, help="T1-T12 Cobb angle in degrees (20-70)")
    p.set_defaults(func=_cmd_build)
    p = sub.add_parser("serve", help="start the web app (options as for serve.py)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_serve)
    p = sub.add_parser(
        "export", help="write a PNG, offline HTML, GLB, STL or OBJ of a condition/treatment or a scene spec",
        description="Write one scene to --out; the format follows the extension (.png, .html, .glb, .stl, .obj). "
                    "Bad values stop with a one-line message before anything is written.")
    p.add_argument("--highlight", metavar="ID", help="condition or treatment id (as in the app URL)")
    p.add_argument("--level", metavar="L", help="level of the entry: T6, T5-T6 or R9")
    p.add_argument("--side", metavar="S", help="left, right or both")
    p.add_argument("--view", metavar="V", help="camera preset: oblique, posterior, anterior, left, right, superior")
    p.add_argument("--spec", metavar="SPEC", help="scene spec: JSON file, exported PNG or web-app URL")
    p.add_argument("--width", metavar="W", help="image width in pixels (16-4000; default 1600)")
    p.add_argument("--height", metavar="H", help="image height in pixels (16-4000; default 1200)")
    p.add_argument("--title", help="legend title (default: the entry, level and side)")
    p.add_argument("--no-labels", action="store_true", help="PNG without labels")
    p.add_argument("--no-legend", action="store_true", help="PNG without legend")
    p.add_argument("--transparent", action="store_true", help="PNG with a transparent background")
    p.add_argument("--out", required=True, metavar="PATH", help="output file: .png, .html, .glb, .stl or .obj")
    p.set_defaults(func=_cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``thoracic-viewer`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ValueError as exc:
        print(f"thoracic-viewer: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
