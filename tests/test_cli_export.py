"""``thoracic-viewer export``: formats by extension, one-line errors, never a partial file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from viewer import cli, export
from viewer.camera import PRESETS

ROOT = Path(__file__).resolve().parents[1]


def run(argv: list[str], capsys) -> tuple[int, str, str]:  # noqa: ANN001 - pytest fixture
    code = cli.main(["export", *argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(("argv", "needles"), [
    (["--highlight", "no_such_entry"],
     ["unknown highlight 'no_such_entry'", "choices; `thoracic-viewer list` prints them"]),
    (["--highlight", "costochondritiss"],
     ["unknown highlight 'costochondritiss'; did you mean costochondritis"]),
    (["--highlight", "slipping_rib_syndrome", "--level", "R2"],
     ["level 'R2' does not apply to slipping_rib_syndrome", "choose one of: R8, R9, R10"]),
    (["--highlight", "epidural_steroid_injection", "--side", "both"],
     ["side 'both' does not apply to epidural_steroid_injection", "choose one of: left, right"]),
    (["--highlight", "slipping_rib_syndrome", "--side", "up"], ["unknown side 'up'", "left, right, both"]),
    (["--view", "sideways"], ["unknown view 'sideways'", ", ".join(PRESETS)]),
    (["--level", "T6"], ["level 'T6' needs a highlight"]),
    (["--highlight", "costochondritis", "--width", "5000"], ["width 5000 is out of range", "16-4000"]),
    (["--highlight", "costochondritis", "--height", "tall"], ["height 'tall' is not a whole number"]),
    (["--spec", "missing.json"], ["cannot read spec 'missing.json'"]),
    (["--spec", "?highlight=nope"], ["unknown highlight 'nope'"]),
    (["--spec", "?view=left", "--highlight", "costochondritis"], ["--highlight cannot be combined with --spec"]),
])
@pytest.mark.parametrize("ext", [".png", ".glb"])
def test_bad_values_exit_2_with_one_line_and_write_nothing(tmp_path, capsys, monkeypatch, argv, needles, ext):
    monkeypatch.chdir(tmp_path)
    code, out, err = run([*argv, "--out", str(tmp_path / f"figure{ext}")], capsys)
    assert code == 2
    assert err.startswith("thoracic-viewer: error: ") and err.count("\n") == 1, err
    for needle in needles:
        assert needle in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["figure.jpg", "figure", "figure.PNG.txt"])
def test_bad_extension_names_the_valid_ones(tmp_path, capsys, name):
    code, _, err = run(["--highlight", "costochondritis", "--out", str(tmp_path / name)], capsys)
    assert code == 2 and err.count("\n") == 1
    assert "unsupported output extension" in err and "choose one of: .png, .html, .glb, .stl, .obj" in err
    assert list(tmp_path.iterdir()) == []


def test_missing_folder(tmp_path, capsys):
    code, _, err = run(["--highlight", "costochondritis", "--out", str(tmp_path / "no" / "fig.glb")], capsys)
    assert code == 2 and "output folder does not exist" in err and err.count("\n") == 1


def test_failed_write_leaves_no_partial_file(tmp_path, capsys, monkeypatch):
    def broken(scene, **kwargs):  # noqa: ANN001, ANN003, ANN202
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(export, "glb_bytes", broken)
    target = tmp_path / "model.glb"
    target.write_bytes(b"previous version")
    with pytest.raises(RuntimeError, match="disk on fire"):
        cli.main(["export", "--highlight", "costochondritis", "--out", str(target)])
    assert target.read_bytes() == b"previous version"

    def half(fh):  # noqa: ANN001, ANN202
        fh.write(b"half a file")
        raise OSError("no space left")

    with pytest.raises(OSError):
        export.write_atomic(tmp_path / "x.png", half)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.glb"]


def test_writes_each_format_by_extension(tmp_path, capsys):
    spec = tmp_path / "spec.json"
    spec.write_text('{"highlight": "facet_joint_pain", "level": "T6-T7", "side": "left", "view": "posterior",'
                    ' "size": [400, 300]}')
    code, out, _ = run(["--spec", str(spec), "--out", str(tmp_path / "facet.glb")], capsys)
    assert code == 0 and out.startswith("wrote ")
    assert (tmp_path / "facet.glb").read_bytes()[:4] == b"glTF"
    code, _, _ = run(["--spec", str(spec), "--out", str(tmp_path / "facet.stl")], capsys)
    assert code == 0 and (tmp_path / "facet.stl").stat().st_size > 1000
    code, _, _ = run(["--highlight", "facet_joint_pain", "--view", "left", "--width", "320", "--height", "240",
                      "--no-legend", "--out", str(tmp_path / "facet.png")], capsys)
    assert code == 0
    from PIL import Image

    with Image.open(tmp_path / "facet.png") as png:
        assert png.size == (320, 240)
    import viewer

    assert viewer.load_spec(tmp_path / "facet.png").to_query() == "highlight=facet_joint_pain&view=left"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["facet.glb", "facet.png", "facet.stl", "spec.json"]


@pytest.mark.render
def test_console_command_writes_png_and_html(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
           "VTK_DEFAULT_OPENGL_WINDOW": "vtkEGLRenderWindow"}
    cmd = [sys.executable, "-m", "viewer.cli", "export", "--highlight", "slipping_rib_syndrome", "--level", "R9",
           "--side", "left", "--view", "posterior", "--width", "640", "--height", "480"]
    for name in ("srs.png", "srs.html"):
        proc = subprocess.run([*cmd, "--out", str(tmp_path / name)], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=600)
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert f"wrote {tmp_path / name}" in proc.stdout
    assert (tmp_path / "srs.html").read_text(encoding="utf-8")[:15].lower() == "<!doctype html>"
    proc = subprocess.run([*cmd[:-4], "--out", str(tmp_path / "srs.jpg")], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=600)
    assert proc.returncode == 2 and proc.stderr.strip().count("\n") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["srs.html", "srs.png"]


def test_list_prints_entries_and_variants(capsys):
    from viewer.cli import main

    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "  slipping_rib_syndrome " in out and "    viscerosomatic_pain.liver_gallbladder " in out
    assert out.strip().splitlines()[-1].endswith("entries and variants")
