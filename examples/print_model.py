"""Models for other viewers and 3D printing: the whole scene as glTF, one vertebra as STL (mm).

Run ``python examples/print_model.py [folder]``.
"""

import sys
from pathlib import Path

import viewer

out = Path(sys.argv[1] if len(sys.argv) > 1 else ".")

scene = viewer.SpineScene().highlight("vertebral_compression_fracture", level="T12")
scene.save(out / "compression_fracture_T12.glb")  # one named, coloured node per structure
scene.save_mesh(out / "vertebra_T12.stl", ["vertebra_T12"])  # millimetres, z up
print("wrote", out / "compression_fracture_T12.glb", "and", out / "vertebra_T12.stl")
