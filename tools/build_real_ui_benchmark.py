"""Build the real-UI benchmark: real apps and sites, captured with their true element boxes, split by app.

Run from the repository root::

    python tools/build_real_ui_benchmark.py --out data/real-ui            # every source
    python tools/build_real_ui_benchmark.py --out data/real-ui --only streamlit-hello,gradio-demo
    python tools/build_real_ui_benchmark.py --list                          # the sources and their pins

Each source is an app or site whose look nobody on this project drew, installed from pinned
registry versions into a virtual environment of its own (``~/.cache/simpleseg-real-ui/venvs/``,
reused when its pins match), started on localhost, and captured by ``simpleseg data capture``'s
engines in every viewport (1280x800, 1920x1080), theme (light, dark) and scripted state it lists:

* ``streamlit-hello`` (streamlit): ``streamlit hello``, the demo app Streamlit ships: its pages and its main menu.
* ``gradio-demo`` (gradio): a Gradio Blocks demo of the usual components (tabs, text boxes, sliders,
  checkboxes, radios, dropdowns, an accordion), every control drawn by Gradio itself.
* ``mkdocs-material`` (mkdocs-material): this project's README and training README as a Material
  for MkDocs site, with its navigation, search and palette toggle.
* ``pydata-sphinx-theme`` (sphinx, pydata-sphinx-theme): API pages of Python's ``json`` and
  ``pathlib`` modules (autodoc) in the PyData Sphinx theme.

Output (``--out``): ``sources/<name>/`` (``images/`` + ``records.jsonl`` + ``capture.json``, as
``simpleseg data capture`` writes), ``dev.jsonl`` and ``test.jsonl`` (every record of the sources of
that split; a source is in one split only, never split by screen), and ``benchmark.json`` (pins,
counts by source, split and role, size on disk). The folder is written to a temporary sibling and
renamed. Evaluate with ``simpleseg eval --data OUT/test.jsonl --baselines ocr,unsnapped``.

The desktop engine's apps (``simpleseg_agent.capture.desktop.sources``: GTK, Qt, wx, Tk), where it is
installed, are sources too (:func:`desktop_sources`). Adding a source: append a :class:`SourceSpec` to
:data:`SOURCES` whose ``capture(spec, python, work)`` yields :class:`~simpleseg_agent.capture.CapturedScreen`
objects (``python``: the source venv's interpreter; ``work``: a scratch folder).

Captures are not byte-identical from run to run (font rendering and app timing can move a pixel);
the pins make them the same UIs.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from simpleseg_agent.capture import CapturedScreen  # noqa: E402
from simpleseg_agent.capture.records import RECORDS_FILE, check_out_dir, replace_folder, write_capture  # noqa: E402
from simpleseg_agent.capture.web import WebCaptureConfig, WebCapturer  # noqa: E402
from simpleseg_agent.errors import CaptureError  # noqa: E402
from simpleseg_agent.training.records import read_records, write_records  # noqa: E402

VENVS = Path(os.environ.get("SIMPLESEG_REAL_UI_CACHE", Path.home() / ".cache" / "simpleseg-real-ui")) / "venvs"
VIEWPORTS = ((1280, 800), (1920, 1080))
THEMES = ("light", "dark")


@dataclass(frozen=True)
class SourceSpec:
    """One app or site of the benchmark.

    Attributes:
        name: the records' ``source``; the unit of the dev/test split.
        toolkit: ``web``, ``gtk``, ``qt``, ``wx``, ``tk``.
        split: ``dev`` or ``test``.
        packages: pinned pip requirements installed into the source's own venv (``venv`` names it).
        venv: the venv's folder name under :data:`VENVS`.
        capture: ``capture(spec, python, work)`` -> captured screens.
        why: why this source is in the benchmark.
    """

    name: str
    toolkit: str
    split: str
    packages: tuple[str, ...]
    venv: str
    capture: Callable[[SourceSpec, Path, Path], Iterator[CapturedScreen]]
    why: str = ""
    meta: dict = field(default_factory=dict)


# -- helpers ---------------------------------------------------------------------------------------
def ensure_venv(spec: SourceSpec) -> Path:
    """The python of the source's venv, created and filled with its pinned packages when they differ."""
    if not spec.packages:  # runs on this interpreter (the desktop engines)
        return Path(sys.executable)
    venv = VENVS / spec.venv
    marker = venv / "simpleseg-pins.txt"
    pins = "\n".join(spec.packages) + "\n"
    python = venv / "bin" / "python"
    if not (python.exists() and marker.exists() and marker.read_text() == pins):
        venv.parent.mkdir(parents=True, exist_ok=True)
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        print(f"[{spec.name}] pip install {' '.join(spec.packages)}", file=sys.stderr)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *spec.packages], check=True)
        marker.write_text(pins)
    return python


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(cmd: list[str], url: str, *, cwd: Path | None = None, env: dict | None = None,
          timeout_s: float = 90.0) -> Iterator[None]:
    """Start a server, wait until ``url`` answers, stop it (by its process id) afterwards."""
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise CaptureError(f"{cmd[0]} exited with {proc.returncode}: {log.read()[-400:].decode(errors='replace')}")
            try:
                with urllib.request.urlopen(url, timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise CaptureError(f"{url} did not answer within {timeout_s:g} s") from None
                time.sleep(0.3)
        yield
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, 15)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, 9)
                proc.wait()
        log.close()


def capture_pages(spec: SourceSpec, urls: list[str], states: tuple[tuple[str, str], ...] = (), *,
                  wait_for: str | None = None, settle_s: float = 0.5) -> Iterator[CapturedScreen]:
    """Every page in every viewport and theme; the states on the first page only. A dark screen identical to its
    light one (the page did not follow the colour scheme) is left out: it would count one screen twice."""
    for screen in _capture_pages(spec, urls, states, wait_for=wait_for, settle_s=settle_s):
        if screen.meta.get("theme_differs") is not False:
            yield screen


def _capture_pages(spec: SourceSpec, urls: list[str], states: tuple[tuple[str, str], ...], *,
                   wait_for: str | None, settle_s: float) -> Iterator[CapturedScreen]:
    with WebCapturer(WebCaptureConfig(viewports_wh=VIEWPORTS, themes=THEMES, wait_for=wait_for, settle_s=settle_s,
                                      idle_s=5.0, timeout_s=60.0)) as first:
        yield from first.capture_all(urls[0], source=spec.name)
    if states:
        with WebCapturer(WebCaptureConfig(viewports_wh=VIEWPORTS, themes=THEMES, states=states, include_default=False,
                                          wait_for=wait_for, settle_s=settle_s, idle_s=5.0, timeout_s=60.0)) as c:
            yield from c.capture_all(urls[0], source=spec.name)
    for url in urls[1:]:
        with WebCapturer(WebCaptureConfig(viewports_wh=VIEWPORTS, themes=THEMES, wait_for=wait_for, settle_s=settle_s,
                                          idle_s=5.0, timeout_s=60.0)) as c:
            yield from c.capture_all(url, source=spec.name)


# -- the sources -------------------------------------------------------------------------------------
def capture_streamlit(spec: SourceSpec, python: Path, work: Path) -> Iterator[CapturedScreen]:
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    cmd = [str(python), "-m", "streamlit", "hello", "--server.headless", "true", "--server.port", str(port),
           "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
    with serve(cmd, base, cwd=work):
        yield from capture_pages(spec, [base, base + "DataFrame_demo", base + "Plotting_demo"],
                                 (("main-menu", "click:text=Main menu"),),
                                 wait_for="document.querySelector('h1') && !document.querySelector('[data-testid=stStatusWidget]')",
                                 settle_s=1.5)


GRADIO_APP = '''
import gradio as gr

def greet(name, age, plan, newsletter):
    return f"Hello {name}, {int(age)}, {plan}, newsletter={newsletter}"

with gr.Blocks(title="Sign-up demo") as demo:
    gr.Markdown("# Sign-up demo")
    with gr.Tab("Profile"):
        with gr.Row():
            name = gr.Textbox(label="Name", placeholder="Your name")
            email = gr.Textbox(label="Email", placeholder="you@example.com")
        age = gr.Slider(0, 100, value=30, step=1, label="Age")
        plan = gr.Radio(["Free", "Pro", "Team"], value="Free", label="Plan")
        country = gr.Dropdown(["Germany", "France", "Japan", "Brazil"], value="Japan", label="Country")
        newsletter = gr.Checkbox(label="Send me the newsletter")
        with gr.Row():
            submit = gr.Button("Submit", variant="primary")
            clear = gr.Button("Clear")
        out = gr.Textbox(label="Result")
        with gr.Accordion("Advanced options", open=False):
            gr.Checkbox(label="Enable two-factor authentication")
            gr.Number(label="Session timeout (minutes)", value=30)
        submit.click(greet, [name, age, plan, newsletter], out)
    with gr.Tab("Settings"):
        gr.Dropdown(["English", "Deutsch", "Français"], value="English", label="Language")
        gr.CheckboxGroup(["Email", "SMS", "Push"], label="Notifications")
        gr.Button("Save settings")
    with gr.Tab("About"):
        gr.Markdown("A demo of Gradio's form components. [Gradio documentation](https://www.gradio.app/docs)")

demo.launch(server_name="127.0.0.1", server_port=PORT)
'''


def capture_gradio(spec: SourceSpec, python: Path, work: Path) -> Iterator[CapturedScreen]:
    port = free_port()
    app = work / "gradio_app.py"
    app.write_text(GRADIO_APP.replace("PORT", str(port)))
    base = f"http://127.0.0.1:{port}/"
    env = {"GRADIO_ANALYTICS_ENABLED": "False", "GRADIO_TELEMETRY_ENABLED": "False"}
    with serve([str(python), str(app)], base, cwd=work, env=env):
        yield from capture_pages(spec, [base], (("settings-tab", "click:text=Settings"),
                                                ("advanced-open", "click:text=Advanced options")),
                                 wait_for="document.querySelector('button') && document.querySelector('input')", settle_s=1.0)


MKDOCS_YML = """
site_name: simpleseg-agent
use_directory_urls: false
theme:
  name: material
  features: [navigation.tabs, navigation.sections, search.suggest, content.code.copy, toc.follow]
  palette:
    - media: "(prefers-color-scheme: light)"
      scheme: default
      toggle: {icon: material/brightness-7, name: Switch to dark mode}
    - media: "(prefers-color-scheme: dark)"
      scheme: slate
      toggle: {icon: material/brightness-4, name: Switch to light mode}
  font: false
nav:
  - Home: index.md
  - Training: training.md
  - Changelog: changelog.md
markdown_extensions: [admonition, tables, toc]
"""


def capture_mkdocs(spec: SourceSpec, python: Path, work: Path) -> Iterator[CapturedScreen]:
    docs = work / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    for src, dst in (("README.md", "index.md"), ("training/README.md", "training.md"), ("CHANGELOG.md", "changelog.md")):
        text = (REPO / src).read_text(encoding="utf-8") if (REPO / src).exists() else f"# {dst}\n"
        (docs / dst).write_text(text, encoding="utf-8")
    (work / "mkdocs.yml").write_text(textwrap.dedent(MKDOCS_YML))
    subprocess.run([str(python), "-m", "mkdocs", "build", "-q", "-d", str(work / "site")], cwd=work, check=True,
                   env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    with serve([str(python), "-m", "http.server", str(port), "--bind", "127.0.0.1"], base, cwd=work / "site"):
        yield from capture_pages(spec, [base + "index.html", base + "training.html"],
                                 (("search-open", "click:label.md-search__icon, label[for=__search]"),), settle_s=0.5)


SPHINX_CONF = """
project = "Python modules"
extensions = ["sphinx.ext.autodoc"]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navbar_end": ["theme-switcher", "navbar-icon-links"], "show_prev_next": True}
"""


def capture_sphinx(spec: SourceSpec, python: Path, work: Path) -> Iterator[CapturedScreen]:
    src = work / "src"
    src.mkdir(parents=True, exist_ok=True)
    (src / "conf.py").write_text(textwrap.dedent(SPHINX_CONF))
    (src / "index.rst").write_text("Python modules\n==============\n\nAPI pages of two standard-library modules.\n\n"
                                   ".. toctree::\n   :maxdepth: 2\n\n   json\n   pathlib\n")
    for mod in ("json", "pathlib"):
        (src / f"{mod}.rst").write_text(f"{mod}\n{'=' * len(mod)}\n\n.. automodule:: {mod}\n   :members:\n")
    subprocess.run([str(python), "-m", "sphinx", "-q", "-b", "html", str(src), str(work / "html")], check=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    with serve([str(python), "-m", "http.server", str(port), "--bind", "127.0.0.1"], base, cwd=work / "html"):
        yield from capture_pages(spec, [base + "index.html", base + "json.html", base + "pathlib.html"], settle_s=0.5)


SOURCES: list[SourceSpec] = [
    SourceSpec("streamlit-hello", "web", "test", ("streamlit==1.67.0",), "streamlit", capture_streamlit,
               "Streamlit's own demo app: a data-app UI (sidebar pages, menus) of another design system"),
    SourceSpec("gradio-demo", "web", "dev", ("gradio==6.31.0",), "gradio", capture_gradio,
               "the form controls of Gradio, the usual UI of ML demos"),
    SourceSpec("mkdocs-material", "web", "dev", ("mkdocs-material==9.8.1",), "mkdocs", capture_mkdocs,
               "a documentation site: navigation tabs, search, many links and headings"),
    SourceSpec("pydata-sphinx-theme", "web", "test", ("pydata-sphinx-theme==0.24.0", "sphinx==8.2.3"), "sphinx",
               capture_sphinx, "API documentation of the scientific-Python look (Bootstrap)"),
]


#: The desktop apps' splits, chosen so each split holds several toolkits and about as many queries; an app not
#: named here goes by its place in name order (even: test, odd: dev).
DESKTOP_SPLITS = {"gtk3-widget-factory": "test", "yad": "test", "wx-dialogs": "test", "tk-idle": "test",
                  "zenity": "dev", "qt-dialogs": "dev", "tk-tkinter-test": "dev", "tk-turtledemo": "dev"}


def desktop_sources() -> list[SourceSpec]:
    """The desktop engine's apps (GTK, Qt, wx, Tk) as sources, where that engine is installed (splits:
    :data:`DESKTOP_SPLITS`)."""
    try:
        from simpleseg_agent.capture.desktop import sources as desktop
    except ImportError:
        return []
    by_app: dict[str, list] = {}
    for screen in desktop.DESKTOP_SOURCES:
        by_app.setdefault(screen.app, []).append(screen)

    def capture(spec: SourceSpec, python: Path, work: Path) -> Iterator[CapturedScreen]:
        for screen in by_app[spec.name]:
            for resolution in desktop.RESOLUTIONS:
                for theme in screen.themes:
                    yield screen.capture(theme=theme, resolution_wh=resolution)

    return [SourceSpec(app, screens[0].toolkit, DESKTOP_SPLITS.get(app, "test" if k % 2 == 0 else "dev"), (), "", capture,
                       f"a {screens[0].toolkit} app, captured from its " + ("widget tree" if screens[0].toolkit == "tk" else "accessibility tree"))
            for k, (app, screens) in enumerate(sorted(by_app.items()))]


SOURCES += desktop_sources()


def build(out: Path, sources: list[SourceSpec], *, overwrite: bool = False) -> dict:
    """Capture every source into a temporary sibling of ``out``, write the splits, rename into place."""
    check_out_dir(out, overwrite=overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".part", dir=out.parent))
    summary: dict = {"sources": {}, "splits": {}, "viewports": [list(v) for v in VIEWPORTS], "themes": list(THEMES)}
    try:
        splits: dict[str, list] = {}
        for spec in sources:
            t0 = time.perf_counter()
            python = ensure_venv(spec)
            with tempfile.TemporaryDirectory(prefix=f"real-ui-{spec.name}-") as work:
                cap = write_capture(spec.capture(spec, python, Path(work)), tmp / "sources" / spec.name)
            recs = list(read_records(tmp / "sources" / spec.name / RECORDS_FILE))
            for r in recs:
                splits.setdefault(spec.split, []).append(replace(r, image_path=f"sources/{spec.name}/{r.image_path}"))
            summary["sources"][spec.name] = {
                "toolkit": spec.toolkit, "split": spec.split, "packages": list(spec.packages), "why": spec.why,
                "screens": cap.screens, "queries": cap.records, "by_role": cap.by_role,
                "by_state": dict(Counter(r.meta.get("state") for r in recs)),
                "seconds": round(time.perf_counter() - t0, 1)}
            print(f"[{spec.name}] {cap.screens} screens, {cap.records} queries ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
        for split, recs in splits.items():
            write_records(recs, tmp / f"{split}.jsonl")
            summary["splits"][split] = {"queries": len(recs), "screens": len({r.image_path for r in recs}),
                                        "sources": sorted({r.source for r in recs}),
                                        "by_role": dict(Counter(r.label for r in recs).most_common())}
        summary["bytes"] = sum(p.stat().st_size for p in tmp.rglob("*") if p.is_file())
        (tmp / "benchmark.json").write_text(json.dumps(summary, indent=2) + "\n")
        replace_folder(tmp, out)
        return summary
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="output folder")
    parser.add_argument("--only", default=None, help="comma-separated source names (default: all)")
    parser.add_argument("--overwrite", action="store_true", help="replace the benchmark already in --out")
    parser.add_argument("--list", action="store_true", help="list the sources and exit")
    args = parser.parse_args()
    if args.list:
        for s in SOURCES:
            print(f"{s.name:22s} {s.toolkit:4s} {s.split:5s} {' '.join(s.packages):50s} {s.why}")
        return
    if not args.out:
        parser.error("--out is required")
    names = [n.strip() for n in args.only.split(",")] if args.only else [s.name for s in SOURCES]
    unknown = sorted(set(names) - {s.name for s in SOURCES})
    if unknown:
        parser.error(f"unknown source(s): {', '.join(unknown)} (see --list)")
    try:
        summary = build(Path(args.out), [s for s in SOURCES if s.name in names], overwrite=args.overwrite)
    except CaptureError as exc:
        print(f"build_real_ui_benchmark: error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    print(json.dumps({"splits": summary["splits"], "bytes": summary["bytes"],
                      "sources": {k: {"screens": v["screens"], "queries": v["queries"]} for k, v in summary["sources"].items()}}))


if __name__ == "__main__":
    main()
