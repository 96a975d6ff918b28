"""A real Tk window built from a JSON spec read on stdin; it reports geometry and events as JSON lines.

Run by :class:`simpleseg_agent.agent.testing.TkWindow` (``python -m simpleseg_agent.agent._tk_window``).
The first stdin line is the spec::

    {"geometry": [x, y, w, h], "bg": "#eceff4", "title": "...",
     "widgets": [{"name": "ok", "kind": "button", "text": "OK", "xywh": [x, y, w, h], "bg": "#2563eb",
                  "fg": "#ffffff", "submit": false}, ...]}

``kind`` is ``button``, ``entry`` or ``label``; ``xywh`` is relative to the window. Without a window
manager the window lands exactly at ``geometry``. Output lines (stdout), one JSON object each:
``ready`` (with every widget's global ``[x, y, w, h]``), ``click``, ``double_click``, ``right_click``,
``enter`` (hover), ``scroll`` (``direction`` up/down), ``press`` / ``release`` (``over``: the widget
under the pointer at release, so a drag is a press on A and a release over B), ``text`` (an entry's
value after each change), ``return`` (Enter in an entry), ``submit`` (a submit button, with all entry
values). Each later stdin line ``ping N`` is answered ``pong N`` once every X event already sent to
the window has been handled; the window closes at end of input.
"""

from __future__ import annotations

import json
import sys

from ._tk_child import serve_pings


def _emit(**event) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def build(root, spec: dict) -> dict:
    import tkinter as tk  # here, not at import: doctest collection imports this module on machines without Tk

    x, y, w, h = spec["geometry"]
    root.title(spec.get("title", "simpleseg test window"))
    root.geometry(f"{w}x{h}+{x}+{y}")
    root.configure(bg=spec.get("bg", "#eceff4"))
    widgets: dict = {}
    values: dict[str, tk.StringVar] = {}
    for item in spec.get("widgets", []):
        name, kind = item["name"], item.get("kind", "button")
        bg, fg = item.get("bg", "#d8dee9"), item.get("fg", "#000000")
        font = tuple(item.get("font", ("DejaVu Sans", 11)))
        if kind == "button":
            def fire(name=name, submit=item.get("submit", False)) -> None:
                _emit(event="click", name=name)
                if submit:
                    _emit(event="submit", name=name, values={k: v.get() for k, v in values.items()})

            wdg = tk.Button(root, text=item.get("text", name), bg=bg, fg=fg, activebackground=bg, activeforeground=fg,
                            font=font, command=fire, highlightthickness=0)
            wdg.bind("<Double-Button-1>", lambda e, n=name: _emit(event="double_click", name=n), add="+")
        elif kind == "entry":
            var = tk.StringVar(root, item.get("text", ""))
            values[name] = var
            var.trace_add("write", lambda *_, n=name, v=var: _emit(event="text", name=n, value=v.get()))
            wdg = tk.Entry(root, textvariable=var, bg=bg, fg=fg, font=font, highlightthickness=0, relief="flat",
                           insertbackground=fg, selectbackground=bg, selectforeground=fg)
            wdg.bind("<Return>", lambda e, n=name: _emit(event="return", name=n), add="+")
        elif kind == "label":
            wdg = tk.Label(root, text=item.get("text", name), bg=bg, fg=fg, font=font)
        else:
            raise SystemExit(f"unknown widget kind {kind!r}")
        wdg.place(x=item["xywh"][0], y=item["xywh"][1], width=item["xywh"][2], height=item["xywh"][3])
        wdg.bind("<Button-3>", lambda e, n=name: _emit(event="right_click", name=n), add="+")
        wdg.bind("<Enter>", lambda e, n=name: _emit(event="enter", name=n), add="+")
        wdg.bind("<Button-4>", lambda e, n=name: _emit(event="scroll", name=n, direction="up"), add="+")
        wdg.bind("<Button-5>", lambda e, n=name: _emit(event="scroll", name=n, direction="down"), add="+")
        wdg.bind("<MouseWheel>", lambda e, n=name: _emit(event="scroll", name=n, direction="up" if e.delta > 0 else "down"), add="+")
        wdg.bind("<ButtonPress-1>", lambda e, n=name: _emit(event="press", name=n), add="+")
        wdg.bind("<ButtonRelease-1>", lambda e, n=name: _emit(event="release", name=n, over=_name_at(root, widgets, e)), add="+")
        widgets[name] = wdg
    return widgets


def _name_at(root, widgets: dict, event) -> str | None:
    under = root.winfo_containing(event.x_root, event.y_root)
    return next((n for n, w in widgets.items() if w is under), None)


def _settle(root) -> None:
    root.update_idletasks()
    root.winfo_pointerxy()  # a round trip: every event the server sent before it is now queued
    root.update()


def main() -> None:
    import tkinter as tk

    spec = json.loads(sys.stdin.readline())
    root = tk.Tk()
    widgets = build(root, spec)

    def ready() -> None:
        _settle(root)
        _emit(event="ready", widgets={n: [w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(), w.winfo_height()] for n, w in widgets.items()})

    serve_pings(root, _settle, lambda token: _emit(event="pong", token=token))
    root.after(10, ready)
    root.mainloop()


if __name__ == "__main__":
    main()
