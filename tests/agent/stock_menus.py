"""A Tk window in its own process with a stock menu bar (File, Edit, View, Help) and a stock ``ttk.Notebook``
(tabs General, Appearance, Advanced), in Tk's default look (nothing here sets a color, a font or a size):
the widgets an app such as IDLE is made of, whose menu bar and tab row an OCR engine reads as one line.

    python tests/agent/stock_menus.py

Output lines (stdout), one JSON object each: ``ready`` (the menu bar's and the notebook's global
``[x, y, w, h]``), then ``menu`` (a menu about to open, by its label: Tk's ``postcommand``), ``tab`` (the tab
the notebook now shows). A stdin line ``ping N`` is answered ``pong N`` once every X event sent before it
has been handled; end of input closes the window.
"""

from __future__ import annotations

import json
import sys
import tkinter as tk
from tkinter import ttk

from simpleseg_agent.agent._tk_child import serve_pings


def emit(**event) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


def main() -> None:
    root = tk.Tk()
    root.title("Settings")
    root.geometry("640x360+200+150")
    bar = tk.Menu(root)
    for label in ("File", "Edit", "View", "Help"):
        menu = tk.Menu(bar, tearoff=0, postcommand=lambda label=label: emit(event="menu", name=label))
        for item in ("Open", "Close") if label == "File" else ("About",):
            menu.add_command(label=item)
        bar.add_cascade(label=label, menu=menu)
    root.config(menu=bar)
    book = ttk.Notebook(root)
    for name in ("General", "Appearance", "Advanced"):
        page = ttk.Frame(book)
        ttk.Label(page, text=f"{name} settings go here.").pack(padx=20, pady=20)
        book.add(page, text=name)
    book.pack(fill="both", expand=True, padx=12, pady=12)
    book.bind("<<NotebookTabChanged>>", lambda e: emit(event="tab", name=book.tab(book.select(), "text")))

    def ready() -> None:
        root.update_idletasks()
        if not root.winfo_viewable():
            root.after(20, ready)
            return
        emit(event="ready", widgets={"window": [root.winfo_rootx(), root.winfo_rooty(), root.winfo_width(),
                                                root.winfo_height()],
                                     "notebook": [book.winfo_rootx(), book.winfo_rooty(), book.winfo_width(),
                                                  book.winfo_height()]})

    def settle(r) -> None:
        r.update_idletasks()
        r.winfo_pointerxy()  # a round trip: every event the server sent before it is now queued
        r.update()

    serve_pings(root, settle, lambda token: emit(event="pong", token=token))
    root.after(50, ready)
    root.mainloop()


if __name__ == "__main__":
    main()
