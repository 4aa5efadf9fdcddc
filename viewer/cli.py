"""The ``thoracic-viewer`` command.

Subcommands
-----------
structures
    List every structure id with its group and triangle count.
build-meshes
    Regenerate the packaged default model (or a variant into a folder).
serve
    Start the web app (same as ``python serve.py``).
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


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``thoracic-viewer``."""
    parser = argparse.ArgumentParser(prog="thoracic-viewer", description="Interactive 3D thoracic spine anatomy viewer")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("structures", help="list every structure id with its group and triangle count")
    p.add_argument("--sex", choices=["male", "female"], default="male")
    p.add_argument("--kyphosis", type=float, default=None, help="T1-T12 Cobb angle in degrees (20-70)")
    p.set_defaults(func=_cmd_structures)
    p = sub.add_parser("build-meshes", help="regenerate the model meshes")
    p.add_argument("--out", help="output folder (default: the package's default model)")
    p.add_argument("--sex", choices=["male", "female"], default="male")
    p.add_argument("--kyphosis", type=float, default=None, help="T1-T12 Cobb angle in degrees (20-70)")
    p.set_defaults(func=_cmd_build)
    p = sub.add_parser("serve", help="start the web app (options as for serve.py)")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=_cmd_serve)
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
