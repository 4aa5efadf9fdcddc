"""A publication figure: slipping rib syndrome, rib 9 on the left, seen from behind.

Run ``python examples/figure_png.py [folder]``; writes ``slipping_rib_R9_left.png``
and the scene spec that regenerates it (``slipping_rib_R9_left.json``).
"""

import sys
from pathlib import Path

import viewer

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")

scene = viewer.SpineScene().highlight("slipping_rib_syndrome", level="R9", side="left")
scene.set_view("posterior")
scene.screenshot(out / "slipping_rib_R9_left.png", width=1600, height=1200)
scene.spec.to_json(out / "slipping_rib_R9_left.json")  # SpineScene.from_spec(...) rebuilds it
print("wrote", out / "slipping_rib_R9_left.png")
