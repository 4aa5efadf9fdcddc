"""Write a development snapshot of the model quickly: ``python scripts/dev_model.py DIR``.

The skeleton takes over a minute to build, so it is built once and pickled
(``/tmp/skeleton_<sex>.pkl``, or ``--rebuild``); the soft-tissue builders then
run on a copy of it in seconds.  The result is written with
``require_all=False`` so that structures not built yet are simply missing.
Point the test fixtures at it with ``THORACIC_TEST_MODEL_DIR=DIR``.
"""

from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from meshes.assets import write_model  # noqa: E402
from meshes.model import add_centres, build_skeleton  # noqa: E402
from meshes.soft_tissue import build_soft_tissue  # noqa: E402


def main() -> int:
    """Build the snapshot and print its size."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("directory", type=Path)
    ap.add_argument("--rebuild", action="store_true", help="rebuild the pickled skeleton")
    ap.add_argument("--sex", default="male")
    args = ap.parse_args()
    cache = Path(f"/tmp/skeleton_{args.sex}.pkl")
    if args.rebuild or not cache.exists():
        sk = build_skeleton(args.sex)
        with cache.open("wb") as fh:
            pickle.dump(sk, fh)
    with cache.open("rb") as fh:
        sk = pickle.load(fh)
    t0 = time.perf_counter()
    build_soft_tissue(sk)
    dt = time.perf_counter() - t0
    add_centres(sk.meshes, sk.anchors)
    manifest = write_model(sk.meshes, sk.anchors, args.directory, {"sex": args.sex, "dev": True}, require_all=False)
    tris = sum(e["triangles"] for e in manifest["structures"].values())
    print(f"soft tissue built in {dt:.1f} s; wrote {len(manifest['structures'])} structures, {tris} triangles to {args.directory}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
