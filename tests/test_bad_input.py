"""Bad input: a clear message, nothing unescaped reaches the page, and the session keeps working.

* URL parameters of the served app: unknown, empty, 10 kB long, script-bearing
  (every parameter), invalid UTF-8, NUL; checked on the wire with a client of
  Bokeh's websocket protocol (``benchmarks/protocol.py``) and in Chromium
  (an ``onerror`` payload must not run).
* Unknown and hostile ids through the notebook API and ``thoracic-viewer export``.
  The plain unknown-id cases are in tests/test_notebook.py and
  tests/test_cli_export.py; here: ids that look like queries, 10 kB ids,
  markup, control and bidi characters.
* Hostile annotation files, beyond tests/test_annotations_errors.py (which has
  wrong types, unknown ids, unknown keys, the 10 MB file, invalid TOML and
  UTF-8): nesting deep enough to break the TOML parser, a 10 kB key, a
  top-level table of the wrong type, a ``javascript:`` source, markup in the
  texts, and special files (a FIFO, /dev/zero) that must never be read.
* A corrupted mesh asset end to end: the server refuses to start and names the file.

Tests marked "NEEDS FIX" in their docstring fail until the bug they describe is
fixed in a file this test module does not own.
"""

from __future__ import annotations

import asyncio
import html
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import quote

import pytest

from benchmarks.protocol import (
    BokehClient,
    SceneMirror,
    conditions,
    free_port,
    listening_addresses,
    location_search,
    menu_id,
    page_strings,
    run_server,
)

from browser_util import CHROMIUM  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SERVER_ERRORS = ("ERROR", "Traceback", "Exception")
SHOWN = "Showing the default view instead."
"""The app's fallback sentence: present exactly when the URL had a problem."""


@pytest.fixture(scope="module")
def server():
    with run_server(ROOT / "serve.py", ["--synthetic"], timeout=180) as srv:
        yield srv


def run(coro):  # noqa: ANN001, ANN201
    return asyncio.run(coro)


def displayed(text: str) -> str:
    """The text a reader sees for an HTML model's ``text`` (Panel escapes the HTML once more on the wire)."""
    inner = html.unescape(text)  # what goes into innerHTML
    return html.unescape(re.sub(r"<[^>]*>", "", inner)).strip()


def warnings_of(client: BokehClient) -> list[str]:
    """Visible warning messages of the page (the text as the user reads it)."""
    out = []
    for mid, model in client.models.items():
        a = model["attributes"]
        if isinstance(a.get("text"), str) and SHOWN in displayed(a["text"]) and a.get("visible", True) is not False:
            out.append(displayed(a["text"]))
    return out


def unsafe(client: BokehClient, payload: str) -> list[str]:
    """Strings of the page in which ``payload`` would be parsed as HTML (raw, or raw once Panel's escaping is undone)."""
    return [s[:200] for s in page_strings(client) if payload in s or payload in html.unescape(s)]


async def open_at(base: str, query: str) -> tuple[BokehClient, SceneMirror]:
    client = await BokehClient(base, query).open()
    view = SceneMirror.of(client)
    await view.ready()
    await asyncio.sleep(0.3)
    return client, view


async def state_at(base: str, query: str) -> dict:
    client, view = await open_at(base, query)
    try:
        return view.state()
    finally:
        await client.close()


def same_state(a: dict, b: dict) -> bool:
    return a["styles"] == b["styles"] and a["labels"] == b["labels"] and a["camera"] == b["camera"]


# --------------------------------------------------------------------------- URL parameters

LONG = "a" * 10240
SCRIPT = "<script>alert(1)</script>"
IMG = '<img src=x onerror="alert(1)">'
SVG = "<svg onload=alert(1)>"

URL_CASES = [
    # id, query, words the message must show (None: no message), hostile payload, state it must fall back to
    ("unknown", "?highlight=no_such_condition", ["Unknown condition or treatment", "no_such_condition"], None, ""),
    ("empty", "?highlight=&level=&side=&view=", None, None, ""),
    ("10 kB highlight", f"?highlight={LONG}", ["Unknown condition or treatment", "aaaa…"], None, ""),
    ("10 kB level", f"?highlight=slipping_rib_syndrome&level={'R' * 10240}", ["Level", "does not apply"], None,
     "?highlight=slipping_rib_syndrome"),
    ("10 kB view", f"?view={'v' * 10240}", ["Unknown view"], None, ""),
    ("script in highlight", f"?highlight={quote(SCRIPT)}", ["Unknown condition or treatment", SCRIPT], SCRIPT, ""),
    ("markup in level", f"?highlight=slipping_rib_syndrome&level={quote(IMG)}", ["Level", IMG], IMG,
     "?highlight=slipping_rib_syndrome"),
    ("markup in side", f"?highlight=slipping_rib_syndrome&side={quote(SVG)}", ["Side", SVG], SVG,
     "?highlight=slipping_rib_syndrome"),
    ("markup in view", f"?view={quote(IMG)}", ["Unknown view", IMG], IMG, ""),
    ("invalid UTF-8", "?highlight=%ff%fe", ["Unknown condition or treatment"], None, ""),
    ("NUL", "?highlight=%00", ["Unknown condition or treatment"], None, ""),
    ("unknown key", f"?foo={quote(SCRIPT)}", None, SCRIPT, ""),
    ("repeated key", "?highlight=nope&highlight=slipping_rib_syndrome", None, None, "?highlight=slipping_rib_syndrome"),
]


@pytest.mark.parametrize(("query", "words", "payload", "fallback"), [c[1:] for c in URL_CASES],
                         ids=[c[0] for c in URL_CASES])
def test_bad_url_parameters_give_a_clear_message_and_a_working_session(server, query, words, payload, fallback):
    log_start = len(server.log())

    async def scenario() -> None:
        client, view = await open_at(server.base, query)
        messages = warnings_of(client)
        if words is None:
            assert messages == [], messages
        else:
            assert len(messages) == 1, messages
            for word in words:
                assert word in messages[0], messages[0]
            assert len(messages[0]) < 400, f"message of {len(messages[0])} characters"
        if payload is not None:
            assert unsafe(client, payload) == [], "hostile markup reached the page unescaped"
            assert payload not in client.page_html
        assert same_state(view.state(), await state_at(server.base, fallback)), "falls back to the default"
        # still usable: choose a condition, the 3D view follows and the warning goes away
        entry = next(e for e, _ in conditions(client) if f"highlight={e}" not in query)
        seq = view.state()["seq"]
        await client.set_attr(menu_id(client), "value", entry)
        assert await client.wait_until(lambda: view.state()["seq"] > seq and f"highlight={entry}" in
                                       location_search(client), 60)
        await asyncio.sleep(0.5)
        want = await state_at(server.base, f"?highlight={entry}")
        assert view.state()["labels"] == want["labels"] and view.state()["styles"] == want["styles"]
        # what the choice replaced is no longer complained about (a bad view stays until a view is chosen)
        assert all(m.startswith("Unknown view") and "does not apply" not in m for m in warnings_of(client)), \
            warnings_of(client)
        assert client.errors == []
        await client.close()

    run(scenario())
    errors = [ln for ln in server.log()[log_start:].splitlines() if any(w in ln for w in SERVER_ERRORS)]
    assert errors == []


@pytest.mark.browser
@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian chromium at /usr/bin/chromium")
def test_markup_in_every_url_parameter_does_not_run_in_the_browser(server):
    pytest.importorskip("playwright")
    from browser_util import chromium, playwright

    canary = '<img src=x onerror="window.__xss=1">'
    svg = "<svg onload=\"window.__xss=2\">"
    query = (f"?highlight=slipping_rib_syndrome&level={quote(canary)}&side={quote(svg)}"
             f"&view={quote(canary)}&{quote(svg)}={quote(canary)}")
    with playwright() as pw, chromium(pw) as ctx:
        page = ctx.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
        page.goto(f"{server.base}/{query}")
        page.wait_for_function("() => (window.tsvBridges || []).some(b => b.ready)", timeout=120_000)
        warning = page.get_by_text("does not apply", exact=False).first
        warning.wait_for(timeout=30_000)
        text = warning.inner_text()
        assert canary in text and svg in text and "Unknown view" in text, text
        page.wait_for_timeout(500)
        assert page.evaluate("() => window.__xss === undefined"), "markup from the URL ran"
        assert page.evaluate("() => document.querySelectorAll('img[src=x]').length") == 0
        assert problems == []
        assert "CC9 L" in page.evaluate("() => window.tsvBridges.find(b => b.ready).labels"), "the entry's default"
        seq = page.evaluate("() => window.tsvBridges.find(b => b.ready).seq")
        page.locator("select").first.select_option(label="Facet joint pain")
        page.wait_for_function(f"() => window.tsvBridges.some(b => b.seq > {seq})", timeout=60_000)
        page.get_by_text("does not apply", exact=False).first.wait_for(state="hidden", timeout=30_000)
        assert page.evaluate("() => window.__xss === undefined") and problems == []
        page.close()


@pytest.mark.browser
@pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian chromium at /usr/bin/chromium")
def test_ten_kilobyte_url_parameter_in_the_browser(server):
    pytest.importorskip("playwright")
    from browser_util import chromium, playwright

    with playwright() as pw, chromium(pw) as ctx:
        page = ctx.new_page()
        problems: list[str] = []
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{server.base}/?highlight={'b' * 10240}&view=posterior")
        page.wait_for_function("() => (window.tsvBridges || []).some(b => b.ready)", timeout=120_000)
        warning = page.get_by_text("Unknown condition or treatment", exact=False).first
        warning.wait_for(timeout=30_000)
        assert len(warning.inner_text()) < 600
        assert problems == []
        page.close()


# --------------------------------------------------------------------------- notebook API and CLI

HOSTILE_IDS = {"10 kB": "x" * 10240, "script": SCRIPT, "markup": IMG, "bidi": "rib_\u202eL9", "NUL": "rib\x00L9"}


@pytest.mark.parametrize("value", HOSTILE_IDS.values(), ids=HOSTILE_IDS.keys())
def test_notebook_refuses_hostile_ids_with_a_short_message(value):
    """NEEDS FIX (viewer/notebook.py): ``SpineScene.highlight``/``add_label`` messages echo a 10 kB id whole."""
    import viewer
    from viewer.spec import SpecError

    scene = viewer.SpineScene(synthetic=True)
    for call in (lambda: scene.highlight(value), lambda: scene.highlight([value]), lambda: scene.add_label(value),
                 lambda: viewer.show(highlight="slipping_rib_syndrome", level=value, synthetic=True),
                 lambda: viewer.SpineScene.from_spec({"highlight": value})):
        with pytest.raises(SpecError) as err:
            call()
        msg = str(err.value)
        assert "\n" not in msg
        assert len(msg) < 2000, f"{len(msg)} characters: {msg[:120]}…"


def test_notebook_show_refuses_an_unknown_id_that_contains_an_equals_sign():
    """NEEDS FIX (viewer/notebook.py, viewer/spec.py): ``show()`` takes any string with "=" for a URL query and,
    its keys being unknown, silently shows the neutral model instead of refusing the unknown id."""
    import viewer
    from viewer.spec import SpecError

    for value in (IMG, "costochondritis&side=left", "no_such_entry=1"):
        with pytest.raises(SpecError, match="unknown highlight"):
            viewer.show(value, synthetic=True)


@pytest.mark.parametrize("value", [v for k, v in HOSTILE_IDS.items() if k != "NUL"],
                         ids=[k for k in HOSTILE_IDS if k != "NUL"])
def test_cli_export_refuses_hostile_ids_in_one_short_line(value, tmp_path, capsys):
    from viewer import cli

    out = tmp_path / "figure.png"
    code = cli.main(["export", "--highlight", value, "--out", str(out)])
    _, err = capsys.readouterr()
    assert code == 2
    assert err.startswith("thoracic-viewer: error: unknown highlight") and err.count("\n") == 1, err[:300]
    assert len(err) < 2000
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_export_refuses_a_nul_byte_in_an_id(tmp_path):
    """Through a real process (argv cannot carry NUL, so the id comes in a spec file)."""
    spec = tmp_path / "spec.json"
    spec.write_text('{"highlight": "rib\\u0000L9"}')
    out = tmp_path / "figure.png"
    done = subprocess.run([sys.executable, "-m", "viewer.cli", "export", "--spec", str(spec), "--out", str(out)],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 2, done.stderr[-500:]
    assert "unknown highlight" in done.stderr and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert not out.exists()


# --------------------------------------------------------------------------- annotation files

META = '[meta]\nschema_version = 1\ndata_version = "0.0.1"\nreview_status = "draft"\n'
SRS_URL = "https://en.m.wikipedia.org:443/wiki/Slipping_rib_syndrome"


def _knowledge_error(directory: Path):  # noqa: ANN202
    from annotations import KnowledgeError, load_knowledge

    with pytest.raises(KnowledgeError) as exc:
        load_knowledge(directory, extend=True)
    return exc.value


def test_toml_nested_deep_enough_to_break_the_parser_is_refused_naming_the_file(tmp_path):
    """NEEDS FIX (annotations/loader.py): tomllib raises RecursionError, which escapes as is (no file named)."""
    (tmp_path / "deep.toml").write_text(META + "x = " + "[" * 100_000 + "]" * 100_000 + "\n")
    err = _knowledge_error(tmp_path)
    assert "deep.toml" in str(err) and err.file is not None and err.file.endswith("deep.toml")


def test_a_ten_kilobyte_key_is_named_in_a_bounded_message(tmp_path):
    """NEEDS FIX (annotations/loader.py): the message repeats the whole 10 kB key (about 20 kB of text)."""
    (tmp_path / "x.toml").write_text(META + "[conditions.costochondritis_x]\n" + "k" * 10240 + " = 1\n")
    err = _knowledge_error(tmp_path)
    msg = str(err)
    assert "x.toml" in msg and "conditions.costochondritis_x" in msg and "kkkk" in msg
    assert len(msg) < 1000, f"{len(msg)} characters"


def test_top_level_table_of_the_wrong_type_names_file_and_key(tmp_path):
    (tmp_path / "x.toml").write_text("conditions = 5\n" + META)
    err = _knowledge_error(tmp_path)
    assert err.file.endswith("x.toml") and err.key == "conditions" and "wrong type" in str(err)


def test_javascript_source_url_is_refused(tmp_path):
    (tmp_path / "x.toml").write_text(META + '[sources.R999]\nurl = "javascript:alert(1)"\ntitle = "x"\n')
    err = _knowledge_error(tmp_path)
    assert err.file.endswith("x.toml") and err.entry == "sources.R999" and err.key == "url"
    assert "not a web address" in str(err)


def test_markup_in_entry_texts_loads_as_text_and_is_escaped_in_the_page(tmp_path):
    from annotations import load_knowledge

    from viewer.knowledge import AnnotationsKnowledge
    from viewer.panels import explanation_html

    (tmp_path / "x.toml").write_text(META + textwrap.dedent(f"""
        [conditions.markup_test]
        name = '{IMG}'
        category = "structural"
        colour = "CRT"
        systemic = true
        patient = "{SCRIPT} Two sentences."
        student = '{SVG}'
        sources = ["{SRS_URL}"]
        """))
    kb = AnnotationsKnowledge(load_knowledge(tmp_path, extend=True))
    for audience in ("patient", "student"):
        page = explanation_html(kb.explain("markup_test"), audience, [IMG], SCRIPT)
        for raw in (IMG, SCRIPT, SVG):
            assert raw not in page
        assert html.escape(IMG, quote=False) in page or html.escape(IMG) in page


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_special_files_named_toml_are_never_read(tmp_path):
    """A FIFO would block a reader for ever and /dev/zero never ends: the loader must not open them."""
    os.mkfifo(tmp_path / "pipe.toml")
    os.symlink("/dev/zero", tmp_path / "zero.toml")
    (tmp_path / "real.toml").write_text(META + '[sources.R999]\nurl = "https://example.org/x"\ntitle = "x"\n')
    code = f"from annotations import load_knowledge; k = load_knowledge({str(tmp_path)!r}, extend=True); print('ok')"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=ROOT,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-800:]


# --------------------------------------------------------------------------- corrupted mesh asset, end to end


@pytest.fixture(scope="module")
def corrupted_copy(tmp_path_factory) -> Path:
    from meshes import DEFAULT_DIR

    copy = tmp_path_factory.mktemp("corrupted") / "model"
    shutil.copytree(DEFAULT_DIR, copy)
    victim = copy / "rib_L9.npz"
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    return copy


def _serve(argv: list[str], prelude: str = "", timeout: float = 240) -> tuple[int, str, int]:
    """Run serve.py's ``main`` in a child process; return (exit code, output, port)."""
    port = free_port()
    code = (prelude + "import runpy, sys\n"
            f"sys.argv = ['serve.py', '--port', '{port}', *{argv!r}]\n"
            f"runpy.run_path({str(ROOT / 'serve.py')!r}, run_name='__main__')\n")
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        listening = listening_addresses(proc.pid, port)
        os.killpg(proc.pid, 9)
        proc.communicate()
        raise AssertionError(f"the server started on a corrupted model (listening on {listening})") from None
    return proc.returncode, out, port


def test_server_refuses_to_start_on_a_corrupted_packaged_model(corrupted_copy):
    """The real ``serve.py`` with the packaged model's folder swapped for a corrupted copy (in a child process)."""
    prelude = f"import meshes\nfrom pathlib import Path\nmeshes.DEFAULT_DIR = Path({str(corrupted_copy)!r})\n"
    code, out, _ = _serve([], prelude)
    assert code != 0
    last = out.strip().splitlines()[-1]
    assert "rib_L9.npz" in last and "does not match its registered hash" in last, out[-1500:]


def test_serve_model_dir_refuses_a_corrupted_copy_in_one_line(corrupted_copy, tmp_path):
    """NEEDS FIX (serve.py): no option points the server at another model directory, and a refused model ends in
    a traceback.  Wanted: ``serve.py --model-dir DIR`` (hash-checked like the packaged model) and, on a bad model,
    one line ``serve.py: error: mesh file …/rib_L9.npz does not match its registered hash …`` with exit code 2."""
    code, out, _ = _serve(["--model-dir", str(corrupted_copy)])
    assert "unrecognized arguments: --model-dir" not in out, "serve.py has no --model-dir option"
    assert code == 2, out[-1500:]
    lines = out.strip().splitlines()
    assert "Traceback" not in out and len(lines) == 1 and lines[0].startswith("serve.py: error: "), out[-1500:]
    assert "rib_L9.npz" in lines[0]
