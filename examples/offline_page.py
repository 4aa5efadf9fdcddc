"""An offline page for a patient: open ``facet_T6_T7_right.html`` from disk, no internet needed.

Run ``python examples/offline_page.py [folder]``.
"""

import sys
from pathlib import Path

import viewer

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")

scene = viewer.SpineScene().highlight("facet_joint_pain", level="T6-T7", side="right")
scene.save(out / "facet_T6_T7_right.html")  # rotatable 3D view, legend and explanation
print("wrote", out / "facet_T6_T7_right.html")
