"""Run a Tk app (a script or ``-m module``) with a hook that writes its widget tree to a file, over and over.

``python _tk_runner.py DUMP_PATH SCRIPT.py [ARGS...]`` or ``python _tk_runner.py DUMP_PATH -m MODULE [ARGS...]``.

A Tk app's widgets cannot be read from outside its process, so the app runs in this one: ``tkinter.Tk`` is
wrapped so that once the newest root window or one of its top-level windows is mapped, it writes every
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
        if nodes and t.winfo_ismapped():
            _menubar(t, nodes, max(i for i, n in enumerate(nodes) if n["parent"] == -1))
    return nodes


def _menubar(top, nodes, top_index):
    """The entries of a top-level's menu bar: Tk draws it as a clone widget, absent from winfo_children()."""
    tk = top.tk
    for path in tk.splitlist(tk.call("winfo", "children", top._w)):
        try:
            if tk.call("winfo", "class", path) != "Menu" or not int(tk.call("winfo", "ismapped", path)):
                continue
            end = tk.call(path, "index", "end")
            if end in ("", "none"):
                continue
            x0, y0 = int(tk.call("winfo", "rootx", path)), int(tk.call("winfo", "rooty", path))
            height = int(tk.call("winfo", "height", path))
            font = tk.call(path, "cget", "-font")
            entries = []
            for i in range(int(end) + 1):
                if tk.call(path, "type", i) in ("separator", "tearoff"):
                    continue
                label = str(tk.call(path, "entrycget", i, "-label"))
                entries.append((int(tk.call(path, "xposition", i)), label,
                                int(tk.call("font", "measure", font, label))))
        except tkinter.TclError:
            continue
        # the bar sits above the top-level's own area, in the same window frame: the window includes it
        tx, ty, tw, th = nodes[top_index]["xywh"]
        bar_w = int(tk.call("winfo", "width", path))
        nx0, ny0 = min(tx, x0), min(ty, y0)
        nodes[top_index]["xywh"] = [nx0, ny0, max(tx + tw, x0 + bar_w) - nx0, max(ty + th, y0 + height) - ny0]
        for k, (x, label, text_w) in enumerate(entries):
            if k + 1 < len(entries):
                width = entries[k + 1][0] - x
            else:  # the last entry: its text and the padding its neighbour shows
                width = text_w + ((entries[k - 1][0] and x - entries[k - 1][0] - entries[k - 1][2]) if k else 12)
            nodes.append({"parent": top_index, "depth": 1, "role": "menu item", "name": label,
                          "xywh": [x0 + x, y0, width, height], "showing": True, "visible": True, "states": [],
                          "toolkit": "", "app_name": os.path.basename(sys.argv[0])})


def _install(dump_path):
    original = tkinter.Tk.__init__
    state = {"root": None}

    def dump(root):
        if state["root"] is not root:
            return  # a newer root took over (apps may make and destroy a probe Tk first)
        try:
            root.update_idletasks()
            tops = [root] + [w for w in root.winfo_children() if isinstance(w, tkinter.Toplevel)]
            if any(t.winfo_ismapped() for t in tops):  # an app may withdraw its root and show a Toplevel
                tmp = dump_path + ".tmp"
                with open(tmp, "w") as f:
                    json.dump(_nodes(root), f)
                os.replace(tmp, dump_path)
            root.after(100, dump, root)
        except tkinter.TclError:
            pass  # the window is gone

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        state["root"] = self
        self.after(50, dump, self)

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
