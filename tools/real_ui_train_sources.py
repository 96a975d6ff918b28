"""Build the real-UI training set: real apps and sites that are in neither split of the real-UI benchmark.

Run from the repository root::

    python tools/real_ui_train_sources.py --out /work/data/real-train                 # every source
    python tools/real_ui_train_sources.py --out /work/data/real-train --only gtk3-demo,qt-windows
    python tools/real_ui_train_sources.py --out /work/data/real-train --join-only     # re-join what is there
    python tools/real_ui_train_sources.py --list                                      # sources and pins

Sources are declared like the benchmark's (:class:`build_real_ui_benchmark.SourceSpec`, pinned venvs under
``~/.cache/simpleseg-real-ui/venvs/``, the same capture engines, viewports 1280x800 and 1920x1080, light and
dark where the app has a dark look) but none of them is one of the benchmark's apps (:data:`BENCHMARK_APPS`,
checked at import): the training set may be mixed into training without leaking the benchmark's screens.

* ``sphinx-furo`` (web): API pages of ``csv``, ``shutil`` and ``textwrap`` (autodoc) in Sphinx's Furo theme.
* ``sphinx-rtd`` (web): API pages of ``heapq``, ``statistics`` and ``zipfile`` in the Read the Docs theme.
* ``datasette`` (web): Datasette browsing a small SQLite library (tables, facets, a row, a SQL query).
* ``nicegui-demo`` (web): a NiceGUI (Quasar) page of the usual form controls, tabs and a table.
* ``gtk3-demo`` (GTK): GTK 3's demo program, its main window and its demos' windows.
* ``qt-windows`` (Qt): Qt's stock windows the benchmark does not show (QWizard, QMainWindow with menus, tool bar
  and docks, a tabbed preferences dialog, QInputDialog's double and multi-line modes, QErrorMessage...).
* ``wx-windows`` (wx): wxPython's stock windows the benchmark does not show (a frame with a menu bar, tool bar,
  notebook and controls; the generic find/replace dialog; a wizard; a rich message dialog).
* ``tk-stock-widgets`` (Tk): windows of Tk's stock widgets (ttk and classic, four ttk themes,
  tkinter.simpledialog).

Each source is written as ``simpleseg data capture`` writes (``sources/<name>/images/``, ``records.jsonl``,
``capture.json``), into a temporary folder renamed into place, so a source can be (re)captured alone; then
``train.jsonl`` (every record, image paths relative to ``--out``), ``train.json`` (pins and counts) and
``README.md`` are rewritten from the sources present. A screen whose capture fails is skipped and listed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))

import build_real_ui_benchmark as bench  # noqa: E402
from build_real_ui_benchmark import SourceSpec, capture_pages, ensure_venv, free_port, serve  # noqa: E402

from simpleseg_agent.capture import CapturedScreen  # noqa: E402
from simpleseg_agent.capture.records import RECORDS_FILE, write_capture  # noqa: E402
from simpleseg_agent.errors import CaptureError  # noqa: E402
from simpleseg_agent.training.records import read_records, write_records  # noqa: E402

HERE = TOOLS / "real_ui_train"
#: The real-UI benchmark's apps (both splits): no training source may be one of them.
BENCHMARK_APPS = frozenset(s.name for s in bench.SOURCES)
FAILURES: list[str] = []


def _each(label: str, make) -> Iterator[CapturedScreen]:
    """Yield what ``make()`` yields; a failure is logged in :data:`FAILURES` and the rest goes on."""
    try:
        yield from make()
    except CaptureError as exc:
        FAILURES.append(f"{label}: {exc}")
        print(f"  skipped {label}: {exc}", file=sys.stderr)


def pages_each(spec: SourceSpec, urls: list[str], states=(), **kw) -> Iterator[CapturedScreen]:
    """Every page in every viewport and theme (see :func:`build_real_ui_benchmark.capture_pages`), one page at a time."""
    yield from _each(f"{spec.name} {urls[0]}", lambda: capture_pages(spec, urls[:1], states, **kw))
    for url in urls[1:]:
        yield from _each(f"{spec.name} {url}", lambda url=url: capture_pages(spec, [url], **kw))


# -- web ------------------------------------------------------------------------------------------------
def _sphinx(theme: str, modules: tuple[str, ...], options: str = "") -> callable:
    def capture(spec: SourceSpec, python: Path, work: Path) -> Iterator[CapturedScreen]:
        src = work / "src"
        src.mkdir(parents=True, exist_ok=True)
        (src / "conf.py").write_text(f'project = "Standard library notes"\nextensions = ["sphinx.ext.autodoc"]\n'
                                     f'html_theme = "{theme}"\n{options}\n')
        toc = "\n".join(f"   {m}" for m in modules)
        (src / "index.rst").write_text("Standard library notes\n======================\n\n"
                                       "API pages of a few standard-library modules.\n\n"
                                       f".. toctree::\n   :maxdepth: 2\n   :caption: Modules\n\n{toc}\n")
        for mod in modules:
            (src / f"{mod}.rst").write_text(f"{mod}\n{'=' * len(mod)}\n\n.. automodule:: {mod}\n   :members:\n")
        subprocess.run([str(python), "-m", "sphinx", "-q", "-b", "html", str(src), str(work / "html")], check=True)
        port = free_port()
        base = f"http://127.0.0.1:{port}/"
        with serve([str(python), "-m", "http.server", str(port), "--bind", "127.0.0.1"], base, cwd=work / "html"):
            yield from pages_each(spec, [base + "index.html", *(base + f"{m}.html" for m in modules),
                                         base + "search.html?q=file"], settle_s=0.8)
    return capture


DATASETTE_ROWS = [
    ("Dune", "Frank Herbert", 1965, "Science fiction", 4.3), ("Emma", "Jane Austen", 1815, "Romance", 4.0),
    ("Neuromancer", "William Gibson", 1984, "Science fiction", 3.9), ("Beloved", "Toni Morrison", 1987, "Literary", 3.9),
    ("The Hobbit", "J. R. R. Tolkien", 1937, "Fantasy", 4.3), ("Middlemarch", "George Eliot", 1871, "Literary", 4.0),
    ("Kindred", "Octavia E. Butler", 1979, "Science fiction", 4.3), ("Rebecca", "Daphne du Maurier", 1938, "Mystery", 4.2),
    ("The Left Hand of Darkness", "Ursula K. Le Guin", 1969, "Science fiction", 4.1),
    ("Things Fall Apart", "Chinua Achebe", 1958, "Literary", 3.9), ("Gaudy Night", "Dorothy L. Sayers", 1935, "Mystery", 4.2),
    ("A Wizard of Earthsea", "Ursula K. Le Guin", 1968, "Fantasy", 4.0), ("Persuasion", "Jane Austen", 1817, "Romance", 4.1),
    ("The Remains of the Day", "Kazuo Ishiguro", 1989, "Literary", 4.1), ("Solaris", "Stanisław Lem", 1961, "Science fiction", 4.0),
]


def capture_datasette(spec: SourceSpec, python: Path, work: Path) -> Iterator[CapturedScreen]:
    import sqlite3

    db = work / "library.db"
    with sqlite3.connect(db) as con:
        con.execute("create table books (id integer primary key, title text, author text, year integer, "
                    "genre text, rating real)")
        con.executemany("insert into books (title, author, year, genre, rating) values (?, ?, ?, ?, ?)", DATASETTE_ROWS)
        con.execute("create table loans (id integer primary key, book_id integer references books(id), "
                    "member text, due text)")
        con.executemany("insert into loans (book_id, member, due) values (?, ?, ?)",
                        [(1, "Ada", "2026-01-20"), (5, "Grace", "2026-01-22"), (9, "Alan", "2026-02-01")])
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    cmd = [str(python), "-m", "datasette", "serve", str(db), "--port", str(port), "--host", "127.0.0.1",
           "--setting", "default_facet_size", "5"]
    with serve(cmd, base, cwd=work):
        yield from pages_each(spec, [base + "library/books", base, base + "library",
                                     base + "library/books?_facet=genre&_facet=author&_sort_desc=rating",
                                     base + "library/books/3", base + "library/loans",
                                     base + "library?sql=select+genre%2C+count(*)+as+n+from+books+group+by+genre"],
                              (("column-menu", "click:.dropdown-menu-icon, svg.dropdown-menu-icon"),), settle_s=0.5)


NICEGUI_APP = '''
from nicegui import ui

@ui.page("/")
def index():
    ui.dark_mode(None)  # follow the browser's colour scheme
    with ui.header().classes("items-center justify-between"):
        ui.label("Travel planner").classes("text-h6")
        ui.button("Sign in", icon="login").props("flat color=white")
    with ui.tabs() as tabs:
        ui.tab("Trip")
        ui.tab("Travellers")
        ui.tab("Payment")
    with ui.tab_panels(tabs, value="Trip").classes("w-full"):
        with ui.tab_panel("Trip"):
            with ui.row():
                ui.input("From", placeholder="City or airport")
                ui.input("To", placeholder="City or airport")
                ui.select(["Economy", "Premium economy", "Business"], value="Economy", label="Cabin class").classes("w-48")
            with ui.row().classes("items-center"):
                ui.number("Adults", value=2, min=1, max=9)
                ui.number("Children", value=0, min=0, max=9)
                ui.radio(["Return", "One way", "Multi-city"], value="Return").props("inline")
            ui.label("Flexible dates (days)")
            ui.slider(min=0, max=7, value=2).classes("w-64")
            ui.checkbox("Direct flights only")
            ui.switch("Include nearby airports", value=True)
            ui.textarea("Notes", placeholder="Anything we should know?").classes("w-96")
            with ui.row():
                ui.button("Search flights", icon="search")
                ui.button("Reset").props("outline")
                ui.link("Terms and conditions", "#terms")
        with ui.tab_panel("Travellers"):
            ui.table(columns=[{"name": "name", "label": "Name", "field": "name"},
                              {"name": "age", "label": "Age", "field": "age"}],
                     rows=[{"name": "Ada", "age": 36}, {"name": "Alan", "age": 41}])
            ui.button("Add traveller", icon="add")
        with ui.tab_panel("Payment"):
            ui.input("Card number")
            ui.input("Name on card")
            ui.button("Pay now")

ui.run(host="127.0.0.1", port=PORT, show=False, reload=False, title="Travel planner")
'''


def capture_nicegui(spec: SourceSpec, python: Path, work: Path) -> Iterator[CapturedScreen]:
    port = free_port()
    app = work / "nicegui_app.py"
    app.write_text(NICEGUI_APP.replace("PORT", str(port)))
    base = f"http://127.0.0.1:{port}/"
    with serve([str(python), str(app)], base, cwd=work, env={"MATPLOTLIB": "false"}):
        yield from pages_each(spec, [base], (("travellers-tab", "click:text=TRAVELLERS"),  # Quasar shows tab names in capitals
                                             ("cabin-open", "click:.q-select .q-field__control")),
                              wait_for="document.querySelector('button') && document.querySelector('input')",
                              settle_s=1.0)


# -- desktop --------------------------------------------------------------------------------------------
def _desktop(screens) -> callable:
    def capture(spec: SourceSpec, python: Path, work: Path) -> Iterator[CapturedScreen]:
        from simpleseg_agent.capture.desktop.sources import RESOLUTIONS

        for screen in screens():
            for resolution in RESOLUTIONS:
                for theme in screen.themes:
                    yield from _each(f"{spec.name} {screen.screen} {theme} {resolution}",
                                     lambda s=screen, t=theme, r=resolution: [s.capture(theme=t, resolution_wh=r)])
    return capture


GTK3_DEMOS = ("assistant", "button_box", "combobox", "dialog", "entry_completion", "search_entry", "expander",
              "infobar", "links", "listbox", "menus", "pickers", "scale", "sizegroup", "spinbutton", "stack",
              "sidebar", "headerbar", "list_store", "editable_cells", "colorsel", "popover", "toolpalette",
              "theming_style_classes", "spinner", "revealer")


def gtk3_demo_screens():
    from simpleseg_agent.capture.desktop.sources import DesktopSource

    out = [DesktopSource("gtk3-demo", "main", "gtk", ("gtk3-demo",))]
    # a demo opens its window over the demo program's, once the program shows: wait a moment for it
    out += [DesktopSource("gtk3-demo", demo, "gtk", ("gtk3-demo", f"--run={demo}"), steps=(("sleep", "1"),))
            for demo in GTK3_DEMOS]
    return out


def _gtk3_demo_sidebar(r) -> bool:
    """gtk3-demo's browser tree: AT-SPI boxes its rows from the text cell on, 18 px right of the row (its expander
    column), so they do not outline what is drawn; its rows are left out."""
    x0, _, x1, _ = r.meta.get("box_px", (0, 0, 0, 0))
    return r.label == "listitem" and 40 <= x0 <= 52 and x1 <= 232


QT_WINDOWS = ("wizard", "mainwindow", "settings", "input-double", "input-multiline", "error-message",
              "critical-details", "progress-busy", "find-replace")


def qt_screens():
    from simpleseg_agent.capture.desktop.sources import DesktopSource

    cmd = lambda w: ("{python}", str(HERE / "qt_windows.py"), w, "--{theme}")  # noqa: E731
    out = [DesktopSource("qt-windows", w, "qt", cmd(w)) for w in QT_WINDOWS]
    out += [DesktopSource("qt-windows", "wizard-details", "qt", cmd("wizard"), steps=(("@click", "button", "Next >"),)),
            DesktopSource("qt-windows", "mainwindow-file-menu", "qt", cmd("mainwindow"),
                          steps=(("@click", "menuitem", "File"),), state_wait_role="menuitem"),
            DesktopSource("qt-windows", "mainwindow-edit-menu", "qt", cmd("mainwindow"),
                          steps=(("@click", "menuitem", "Edit"),), state_wait_role="menuitem")]
    return out


TK_SCREENS = (("settings", "clam"), ("settings", "alt"), ("settings", "default"), ("files", "clam"),
              ("files", "alt"), ("classic", "default"), ("query", "clam"), ("query", "classic"))


def tk_screens():
    from simpleseg_agent.capture.desktop.sources import DesktopSource

    return [DesktopSource("tk-stock-widgets", f"{s}-{t}", "tk", (str(HERE / "tk_widgets.py"), s, t), themes=("light",))
            for s, t in TK_SCREENS]


WX_WINDOWS = ("frame", "find-replace", "wizard", "rich-message")


def wx_screens():
    from simpleseg_agent.capture.desktop.sources import DesktopSource

    return [DesktopSource("wx-windows", w, "wx", ("{system_python}", str(HERE / "wx_windows.py"), w))
            for w in WX_WINDOWS]


SPHINX_PIN = "sphinx==8.2.3"
TRAIN_SOURCES: list[SourceSpec] = [
    SourceSpec("gtk3-demo", "gtk", "train", (), "", _desktop(gtk3_demo_screens),
               "GTK 3's demo program (gtk-3-examples): its browser window and 26 demo windows over it",
               meta={"drop": _gtk3_demo_sidebar,
                     "drop_why": "its browser-tree rows: AT-SPI boxes them 18 px right of what is drawn"}),
    SourceSpec("qt-windows", "qt", "train", (), "", _desktop(qt_screens),
               "Qt 6 stock windows (PySide6): wizard, main window with menus, tool bar and docks, tabbed "
               "preferences, find/replace, input, error and progress dialogs"),
    SourceSpec("tk-stock-widgets", "tk", "train", (), "", _desktop(tk_screens),
               "Tk's stock widgets (ttk in the clam/alt/default/classic themes, classic widgets, simpledialog)"),
    SourceSpec("wx-windows", "wx", "train", (), "", _desktop(wx_screens),
               "wxPython's stock windows (Debian's python3-wxgtk4.0): a frame with menu, tool bar, notebook and "
               "controls, the generic find/replace dialog, a wizard, a rich message dialog"),
    SourceSpec("sphinx-furo", "web", "train", ("furo==2025.12.19", SPHINX_PIN), "sphinx-furo",
               _sphinx("furo", ("csv", "shutil", "textwrap")),
               "API documentation in Furo, a popular Sphinx theme with its own light and dark looks"),
    SourceSpec("datasette", "web", "train", ("datasette==0.65.5",), "datasette", capture_datasette,
               "a data-browsing web app: tables, facets, sort links, a SQL editor (light only)",
               meta={"drop": lambda r: r.meta.get("theme") == "dark",
                     "drop_why": "its 'dark' screens: it has no dark style, they differ from the light ones only "
                                 "in the query time printed"}),
    SourceSpec("nicegui-demo", "web", "train", ("nicegui==3.18.0",), "nicegui", capture_nicegui,
               "NiceGUI's Quasar (Material) controls: inputs, selects, radios, switches, sliders, tabs, a table",
               meta={"drop": lambda r: r.meta.get("engine_role") == "listbox",
                     "drop_why": "the open select's popup list, named by its options run together"}),
    SourceSpec("sphinx-rtd", "web", "train", ("sphinx-rtd-theme==3.1.0", SPHINX_PIN), "sphinx-rtd",
               _sphinx("sphinx_rtd_theme", ("heapq", "statistics", "zipfile")),
               "API documentation in the Read the Docs theme (light only)"),
]

_clash = sorted({s.name for s in TRAIN_SOURCES} & BENCHMARK_APPS)
if _clash:
    raise RuntimeError(f"training sources that are benchmark apps: {_clash}")


def capture_source(out: Path, spec: SourceSpec) -> dict:
    """Capture one source into ``out/sources/<name>`` (replacing it once complete); its counts."""
    t0 = time.perf_counter()
    python = ensure_venv(spec)
    with tempfile.TemporaryDirectory(prefix=f"real-train-{spec.name}-") as work:
        cap = write_capture(spec.capture(spec, python, Path(work)), out / "sources" / spec.name, overwrite=True)
    print(f"[{spec.name}] {cap.screens} screens, {cap.records} queries ({time.perf_counter() - t0:.0f} s)",
          file=sys.stderr)
    return {"seconds": round(time.perf_counter() - t0, 1)}


#: A query (same source, theme, screen size, role, words and box) kept on at most this many screens in
#: ``train.jsonl``: a window that stays put while others open over it (gtk3-demo's browser, a site's
#: navigation) would otherwise repeat the same query on every screen.
MAX_REPEATS = 2


def dedupe(records: list, max_repeats: int = MAX_REPEATS) -> list:
    """The records, each query kept on its first ``max_repeats`` screens only (see :data:`MAX_REPEATS`).

    Example:
        >>> from types import SimpleNamespace as R
        >>> r = lambda img: R(image_path=img, source="s", image_wh=(10, 10), label="button", expressions=["the OK button"],
        ...                   meta={"theme": "light", "box_px": [1, 1, 5, 5]})
        >>> [x.image_path for x in dedupe([r("a"), r("b"), r("c")])]
        ['a', 'b']
    """
    seen: Counter = Counter()
    out = []
    for r in records:
        key = (r.source, r.meta.get("theme"), tuple(r.image_wh), r.label, tuple(r.expressions),
               tuple(round(v / 4) for v in r.meta.get("box_px", ())))
        seen[key] += 1
        if seen[key] <= max_repeats:
            out.append(r)
    return out


#: A query whose element other windows hide in part by more than this is left out of ``train.jsonl``: its box
#: would then outline what the screenshot does not show.
MAX_COVERED = 0.25


def keep_record(spec: SourceSpec, r) -> bool:
    """Whether a captured record goes into ``train.jsonl`` (see :data:`MAX_COVERED`, the source's ``meta["drop"]``)."""
    if float(r.meta.get("el_covered_fraction") or 0.0) > MAX_COVERED:
        return False
    drop = spec.meta.get("drop")
    return not (drop is not None and drop(r))


def join(out: Path, failures: dict[str, list[str]] | None = None) -> dict:
    """Rewrite ``train.jsonl``, ``train.json`` and ``README.md`` from the sources present under ``out/sources``
    (every source's own ``records.jsonl`` stays complete; ``train.jsonl`` holds them after :func:`dedupe`)."""
    old = json.loads((out / "train.json").read_text()) if (out / "train.json").exists() else {}
    summary: dict = {"sources": {}, "viewports": [list(v) for v in bench.VIEWPORTS], "themes": list(bench.THEMES),
                     "benchmark_apps_excluded": sorted(BENCHMARK_APPS)}
    records = []
    for spec in TRAIN_SOURCES:
        folder = out / "sources" / spec.name
        if not (folder / RECORDS_FILE).exists():
            continue
        every = list(read_records(folder / RECORDS_FILE))
        recs = dedupe([r for r in every if keep_record(spec, r)])
        records += [replace(r, image_path=f"sources/{spec.name}/{r.image_path}") for r in recs]
        prev = old.get("sources", {}).get(spec.name, {})
        fails = (failures or {}).get(spec.name, prev.get("failures", []))
        summary["sources"][spec.name] = {
            "toolkit": spec.toolkit, "packages": list(spec.packages), "why": spec.why,
            "screens": len({r.image_path for r in recs}), "queries": len(recs), "queries_captured": len(every),
            "by_role": dict(Counter(r.label for r in recs).most_common()),
            "by_theme": dict(Counter(r.meta.get("theme") for r in recs)),
            "screens_by_theme": dict(Counter(t for _, t in {(r.image_path, r.meta.get("theme")) for r in recs})),
            "screens_by_viewport": dict(Counter("x".join(map(str, v)) for _, v in
                                                {(r.image_path, tuple(r.meta.get("viewport_wh", r.image_wh))) for r in recs})),
            "states": sorted({str(r.meta.get("state")) for r in recs}),
            "failures": fails}
    write_records(records, out / "train.jsonl.tmp")
    os.replace(out / "train.jsonl.tmp", out / "train.jsonl")
    summary["queries"] = len(records)
    summary["screens"] = len({r.image_path for r in records})
    summary["by_role"] = dict(Counter(r.label for r in records).most_common())
    summary["by_toolkit"] = dict(Counter(r.meta.get("toolkit") for r in records).most_common())
    summary["bytes"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    (out / "train.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    (out / "README.md").write_text(readme(summary))
    return summary


def readme(summary: dict) -> str:
    """The training set's README: sources, pins, counts by role, theme and viewport, and how to rebuild it."""
    rows = []
    for name, s in summary["sources"].items():
        roles = ", ".join(f"{k} {v}" for k, v in s["by_role"].items())
        themes = ", ".join(f"{k} {v}" for k, v in s["screens_by_theme"].items())
        views = ", ".join(f"{k} {v}" for k, v in s["screens_by_viewport"].items())
        rows.append(f"| {name} | {s['toolkit']} | {' '.join(s['packages']) or '(system, see below)'} | {s['screens']} "
                    f"| {s['queries']} ({s['queries_captured']}) | {themes} | {views} | {roles} |")
    fails = [f"- {f}" for s in summary["sources"].values() for f in s["failures"]] or ["- none"]
    total_roles = ", ".join(f"{k} {v}" for k, v in summary["by_role"].items())
    return textwrap.dedent("""\
        # Real-UI training set

        Real screens of apps and sites that are in **neither** split of the real-UI benchmark
        (benchmarks/real-ui: {excluded}), captured with their true element boxes by the project's capture
        engines (Chromium's accessibility tree for web pages, AT-SPI for GTK and Qt, Tk's widget tree).
        For training only; never evaluate on it.

        Total: **{screens} screens, {queries} queries** ({bytes:.1f} MB). By role: {roles}.
        By toolkit (queries): {toolkits}.

        | source | toolkit | pins | screens | queries (captured) | screens by theme | screens by viewport | queries by role |
        |---|---|---|---|---|---|---|---|
        {rows}

        Desktop sources run on the system: `gtk3-demo` from Debian's `gtk-3-examples`, `qt-windows` on the project
        venv's `PySide6-Essentials`, `wx-windows` on Debian's `python3-wxgtk4.0`, `tk-stock-widgets` on the project venv's Python (Tk 8.6). Web pages are rendered
        by Debian's `chromium`. A page without a dark style is kept in light only.

        Files: `sources/<name>/{{images/, records.jsonl, capture.json}}` as `simpleseg data capture` writes;
        `train.jsonl`: the records, image paths relative to this folder, without elements hidden by more than
        {covered:.0%} under other windows and without what a source's own rule leaves out (below), each query kept
        on at most {repeats} screens of
        its source (same theme, size, role, words and box: a window that stays put under others, or a site's
        navigation, would repeat it on every screen; the sources' own `records.jsonl` keep every query);
        `train.json`: pins and counts.

        Rebuild (from the repository root; captures are the same UIs, not always the same pixels):

        ```bash
        python tools/real_ui_train_sources.py --out /work/data/real-train --overwrite
        python tools/real_ui_train_sources.py --out /work/data/real-train --only gtk3-demo   # one source again
        ```

        Left out of `train.jsonl` by a source's own rule (its `records.jsonl` keeps them):
        {drops}

        Screens that failed to capture (skipped):
        {fails}
        """).format(excluded=", ".join(summary["benchmark_apps_excluded"]), screens=summary["screens"],
                    queries=summary["queries"], bytes=summary["bytes"] / 1e6, roles=total_roles,
                    toolkits=", ".join(f"{k} {v}" for k, v in summary["by_toolkit"].items()),
                    rows="\n".join(rows), fails="\n".join(fails), repeats=MAX_REPEATS, covered=MAX_COVERED,
                    drops="\n".join(f"- {s.name}: {s.meta['drop_why']}" for s in TRAIN_SOURCES
                                     if s.meta.get("drop_why")) or "- none")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="output folder")
    parser.add_argument("--only", default=None, help="comma-separated source names (default: all)")
    parser.add_argument("--overwrite", action="store_true", help="recapture sources already in --out")
    parser.add_argument("--join-only", action="store_true", help="only rewrite train.jsonl/train.json/README.md")
    parser.add_argument("--list", action="store_true", help="list the sources and exit")
    args = parser.parse_args()
    if args.list:
        for s in TRAIN_SOURCES:
            print(f"{s.name:18s} {s.toolkit:4s} {' '.join(s.packages):48s} {s.why}")
        return
    if not args.out:
        parser.error("--out is required")
    out = Path(args.out)
    names = [n.strip() for n in args.only.split(",")] if args.only else [s.name for s in TRAIN_SOURCES]
    unknown = sorted(set(names) - {s.name for s in TRAIN_SOURCES})
    if unknown:
        parser.error(f"unknown source(s): {', '.join(unknown)} (see --list)")
    failures: dict[str, list[str]] = {}
    if not args.join_only:
        out.mkdir(parents=True, exist_ok=True)
        for spec in (s for s in TRAIN_SOURCES if s.name in names):
            if (out / "sources" / spec.name / RECORDS_FILE).exists() and not args.overwrite:
                print(f"[{spec.name}] already in {out} (pass --overwrite to recapture)", file=sys.stderr)
                continue
            FAILURES.clear()
            try:
                capture_source(out, spec)
            except (CaptureError, subprocess.CalledProcessError) as exc:
                print(f"[{spec.name}] failed: {exc}", file=sys.stderr)
                FAILURES.append(f"{spec.name}: the whole source failed: {exc}")
            failures[spec.name] = list(FAILURES)
    summary = join(out, failures)
    print(json.dumps({"screens": summary["screens"], "queries": summary["queries"], "by_role": summary["by_role"],
                      "sources": {k: {"screens": v["screens"], "queries": v["queries"]}
                                  for k, v in summary["sources"].items()}}))


if __name__ == "__main__":
    main()
