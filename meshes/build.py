"""Regenerate the packaged default model: ``python -m meshes.build [DIR]``."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from . import DEFAULT_DIR, build


def main(argv: list[str] | None = None) -> int:
    """Build the default model into ``DIR`` (the package's assets by default)."""
    argv = sys.argv[1:] if argv is None else argv
    target = Path(argv[0]) if argv else DEFAULT_DIR
    t0 = time.perf_counter()
    manifest = build(target)
    tris = sum(e["triangles"] for e in manifest["structures"].values())
    print(f"wrote {len(manifest['structures'])} structures, {tris} triangles to {target} in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
