"""Any structures in any colours: both 6th ribs and T6, ribs faded, nerves hidden, labelled.

Run ``python examples/custom_highlight.py [folder]``; writes ``rib6.png`` (transparent background).
"""

import sys
from pathlib import Path

import viewer

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")

scene = viewer.SpineScene()
scene.highlight({"rib_L6": "#e4572e", "rib_R6": "#3b82f6"})
scene.highlight(["vertebra_T6"], colour="gold", role="secondary")
scene.set_opacity("rib", 0.4).set_visible("nerve", False)
scene.add_label("vertebra_T6", "T6")
scene.set_view("anterior")
scene.screenshot(out / "rib6.png", width=1200, height=1200, transparent=True, title="6th ribs and T6")
print("wrote", out / "rib6.png")
