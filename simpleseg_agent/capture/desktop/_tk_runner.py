"""Run a Tk app (a script or ``-m module``) with a hook that writes its widget tree to a file, over and over.

``python _tk_runner.py DUMP_PATH SCRIPT.py [ARGS...]`` or ``python _tk_runner.py DUMP_PATH -m MODULE [ARGS...]``.

A Tk app's widgets cannot be read from outside its process, so the app runs in this one: ``tkinter.Tk`` is
wrapped so that once the first root window or one of its top-level windows is mapped, it writes every
0.1 s (from Tk's own event loop, so the app's state is consistent) a JSON list of its mapped widgets —
window class, text, and screen box from ``winfo_rootx/rooty/width/height`` — to ``DUMP_PATH`` (written
to a temporary file, then renamed).
The app itself runs unchanged, as ``__main__``.
"""

import json
import os
import runpy
import sys
import tkinter


def _text(w):
    for option in ("text", "label"):
        try:
            value = w.cget(option)
        except (tkinter.TclError, ValueError):
            continue
        if value not in (None, ""):
            return str(value)
    return ""


def _nodes(root):
    nodes = []
    tops = [root] + [w for w in root.winfo_children() if isinstance(w, tkinter.Toplevel)]

    def walk(w, parent, depth):
        try:
            mapped = bool(w.winfo_ismapped() and w.winfo_viewable())
            xywh = [w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()]
            cls = w.winfo_class()
        except tkinter.TclError:
            return
        index = len(nodes)
        nodes.append({"parent": parent, "depth": depth, "role": cls.lower(), "name": _text(w).strip(),
                      "xywh": xywh, "showing": mapped, "visible": mapped, "states": [],
                      "toolkit": "Tk" if depth == 0 else "", "app_name": os.path.basename(sys.argv[0])})
        if mapped:
            for kid in w.winfo_children():
                if not isinstance(kid, tkinter.Toplevel) or depth > 0:
                    walk(kid, index, depth + 1)

    for t in tops:
        walk(t, -1, 0)
    return nodes


def _install(dump_path):
    original = tkinter.Tk.__init__
    state = {"root": None}

    def dump():
        root = state["root"]
        try:
            root.update_idletasks()
            tops = [root] + [w for w in root.winfo_children() if isinstance(w, tkinter.Toplevel)]
            if any(t.winfo_ismapped() for t in tops):  # an app may withdraw its root and show a Toplevel
                tmp = dump_path + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(_nodes(root), f)
                os.replace(tmp, dump_path)
            root.after(100, dump)
        except tkinter.TclError:
            pass  # the window is gone

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        if state["root"] is None:
            state["root"] = self
            self.after(50, dump)

    tkinter.Tk.__init__ = init


def main(argv):
    if len(argv) < 3 or (argv[2] == "-m" and len(argv) < 4):
        raise SystemExit("usage: _tk_runner.py DUMP_PATH (SCRIPT.py | -m MODULE) [ARGS...]")
    _install(argv[1])
    if argv[2] == "-m":
        sys.argv = [argv[3], *argv[4:]]
        runpy.run_module(argv[3], run_name="__main__", alter_sys=True)
    else:
        sys.argv = argv[2:]
        sys.path.insert(0, os.path.dirname(os.path.abspath(argv[2])))
        runpy.run_path(argv[2], run_name="__main__")


if __name__ == "__main__":
    main(sys.argv)
