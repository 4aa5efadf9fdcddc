"""Measurements that drive the model, read from ``meshes/data/measurements.json``.

Every number the generator uses for the shape of a bone lives in that data
file with its basis (published, interpolated or model assumption) and its
source URLs; this module only selects the values for a sex.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).parent / "data"
MEASUREMENTS_FILE = DATA_DIR / "measurements.json"
SEXES = ("male", "female")


@lru_cache(maxsize=1)
def measurements() -> dict:
    """Return the parsed measurement file (cached)."""
    with MEASUREMENTS_FILE.open(encoding="utf-8") as fh:
        return json.load(fh)


def soft_tissue_measurements(name: str) -> dict:
    """Return one soft-tissue measurement file, ``meshes/data/soft_tissue_<name>.json``.

    Parameters
    ----------
    name : str
        ``"muscles"``, ``"viscera"`` ...; the file holds the same kind of
        entries as ``measurements.json`` (``value``/series, ``basis``,
        ``sources``).
    """
    path = MEASUREMENTS_FILE.parent / f"soft_tissue_{name}.json"
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def _series(entry: dict, sex: str) -> np.ndarray:
    values = entry.get(sex, entry.get("male"))
    return np.asarray(values, dtype=float)


@dataclass(frozen=True)
class ModelParams:
    """Per-level numbers for one model variant.

    Arrays are indexed 0..11 for T1..T12 or rib 1..12.
    """

    sex: str
    kyphosis_deg: float
    body_height_anterior: np.ndarray
    body_height_posterior: np.ndarray
    endplate_width: np.ndarray
    endplate_depth: np.ndarray
    interpedicular_distance: np.ndarray
    canal_ap: np.ndarray
    pedicle_width: np.ndarray
    pedicle_height: np.ndarray
    pedicle_angle: np.ndarray
    spinous_length: np.ndarray
    spinous_inclination: np.ndarray
    facet_angle: np.ndarray
    lamina_thickness: float
    disc_anterior: np.ndarray
    disc_posterior: float
    holcombe: np.ndarray
    neck_length: np.ndarray
    shaft_height: np.ndarray
    shaft_thickness: np.ndarray
    cartilage_rise: np.ndarray
    cartilage_tip: np.ndarray
    manubrium_length: float
    body_length: float
    xiphoid_length: float
    sternal_angle: float
    manubrium_width: float
    manubrium_to_body_width: float
    sternal_angle_depth: float
    rib_end_x: np.ndarray
    rib_end_drop: np.ndarray
    rib_end_z_lower: np.ndarray


def model_params(sex: str = "male", kyphosis_deg: float | None = None) -> ModelParams:
    """Collect the numbers for a model variant.

    Parameters
    ----------
    sex : {"male", "female"}, default: "male"
        Which published table to use where the sources give both.
    kyphosis_deg : float, optional
        Thoracic kyphosis, Cobb angle T1-T12 in degrees (20-70).  The
        published normal default is used when omitted.

    Raises
    ------
    ValueError
        If ``sex`` or ``kyphosis_deg`` is outside the supported values.
    """
    if sex not in SEXES:
        raise ValueError(f"sex must be one of {SEXES}, got {sex!r}")
    m = measurements()
    ky = m["spine"]["kyphosis_cobb_default"]
    if kyphosis_deg is None:
        kyphosis_deg = float(ky["value"])
    lo, hi = ky["range"]
    if not (lo <= float(kyphosis_deg) <= hi):
        raise ValueError(f"kyphosis_deg must be between {lo} and {hi} degrees, got {kyphosis_deg!r}")
    v, d, r, c, s = m["vertebra"], m["disc"], m["rib"], m["cartilage"], m["sternum"]
    body_scale = 1.0 if sex == "male" else float(v["female_body_scale"]["value"])
    return ModelParams(
        sex=sex,
        kyphosis_deg=float(kyphosis_deg),
        body_height_anterior=_series(v["body_height_anterior"], "male") * body_scale,
        body_height_posterior=_series(v["body_height_posterior"], "male") * body_scale,
        endplate_width=_series(v["endplate_width"], "male") * body_scale,
        endplate_depth=_series(v["endplate_depth"], "male") * body_scale,
        interpedicular_distance=_series(v["interpedicular_distance"], sex),
        canal_ap=_series(v["canal_ap_diameter"], sex),
        pedicle_width=_series(v["pedicle_width"], sex),
        pedicle_height=_series(v["pedicle_height"], sex) * body_scale,
        pedicle_angle=_series(v["pedicle_transverse_angle"], sex),
        spinous_length=_series(v["spinous_length"], sex) * body_scale,
        spinous_inclination=_series(v["spinous_inclination"], sex),
        facet_angle=_series(v["facet_angle_from_frontal"], sex),
        lamina_thickness=float(v["lamina_thickness"]["value"]),
        disc_anterior=_series(d["height_anterior"], sex),
        disc_posterior=float(d["height_posterior_mean"][sex]),
        holcombe=np.asarray(r["holcombe_2016"][sex], dtype=float),
        neck_length=_series(r["neck_length"], sex) * body_scale,
        shaft_height=_series(r["shaft_height"], sex) * body_scale,
        shaft_thickness=_series(r["shaft_thickness"], sex),
        cartilage_rise=_series(c["vertical_course"], sex) * body_scale,
        cartilage_tip=_series(c["tip_length"], sex) * body_scale,
        manubrium_length=float(s["manubrium_length"][sex]),
        body_length=float(s["body_length"][sex]),
        xiphoid_length=float(s["xiphoid_length"][sex]),
        sternal_angle=float(s["sternal_angle"][sex]),
        manubrium_width=float(s["manubrium_width"][sex]),
        manubrium_to_body_width=float(s["manubrium_to_body_width"]["value"]),
        sternal_angle_depth=float(s["sternal_angle_depth"][sex]),
        rib_end_x=np.asarray(c["rib_end_target"]["male"], float)[:, 0] * body_scale,
        rib_end_drop=np.asarray(c["rib_end_target"]["male"], float)[:, 1] * body_scale,
        rib_end_z_lower=np.asarray(c["rib_end_target"]["z_ribs_8_10"], float),
    )
