"""A stock Tk dialog in its own process: ``tkinter.simpledialog.Dialog`` with its own OK and Cancel buttons,
labelled entries and a checkbutton, all in Tk's default look (nothing here sets a color, a font or a size).

    python tests/agent/stock_dialog.py

shows it where the stock class puts it (centred on the screen, its parent being hidden). Output
lines (stdout), one JSON object each: ``ready`` (every widget's global ``[x, y, w, h]``), then what
fired: ``ok`` (with the entries' values and the checkbox), ``cancel``, ``check`` (the checkbox's new
state), ``text`` (an entry's value after each change), ``press`` (a button-1 press anywhere in the
dialog, with the widget under it, or ``null``). A stdin line ``ping N`` is answered ``pong N`` once
every X event sent before it has been handled; end of input closes the dialog. OK and Cancel report
instead of closing, so one dialog serves several clicks.
"""

from __future__ import annotations

import json
import sys
import tkinter as tk
from tkinter import simpledialog

from simpleseg_agent.agent._tk_child import serve_pings


def emit(**event) -> None:
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class SignInDialog(simpledialog.Dialog):
    """The stock dialog class; ``body`` adds the fields, ``buttonbox`` (inherited) adds OK and Cancel."""

    def body(self, master):
        self.widgets = {}
        self.values = {}
        for row, (name, text) in enumerate((("name", "Name:"), ("email", "Email:"))):
            tk.Label(master, text=text).grid(row=row, column=0, sticky="w", padx=4, pady=4)
            var = tk.StringVar(master)
            var.trace_add("write", lambda *_, n=name, v=var: emit(event="text", name=n, value=v.get()))
            entry = tk.Entry(master, textvariable=var, width=30)
            entry.grid(row=row, column=1, padx=4, pady=4)
            self.widgets[name], self.values[name] = entry, var
        self.remember = tk.IntVar(master)
        check = tk.Checkbutton(master, text="Remember me", variable=self.remember,
                               command=lambda: emit(event="check", name="remember", value=self.remember.get()))
        check.grid(row=2, column=1, sticky="w", pady=4)
        self.widgets["remember"] = check
        self.after(50, self.ready)
        return None  # no initial focus: the first click decides where typing goes

    def ready(self) -> None:
        self.update_idletasks()
        if not self.winfo_viewable():
            self.after(20, self.ready)
            return
        buttons = [w for f in self.winfo_children() if isinstance(f, tk.Frame) for w in f.winfo_children()
                   if isinstance(w, tk.Button)]
        self.widgets.update({b.cget("text").lower(): b for b in buttons})
        self.bind_all("<ButtonPress-1>", lambda e: emit(event="press", name=self.name_of(e.widget)), add="+")
        emit(event="ready", title=self.title(), widgets={n: [w.winfo_rootx(), w.winfo_rooty(), w.winfo_width(),
                                                             w.winfo_height()] for n, w in self.widgets.items()})

    def name_of(self, widget) -> str | None:
        return next((n for n, w in self.widgets.items() if w is widget), None)

    def ok(self, event=None):
        emit(event="ok", values={k: v.get() for k, v in self.values.items()}, remember=self.remember.get())

    def cancel(self, event=None):
        emit(event="cancel")


def main() -> None:
    root = tk.Tk()
    root.withdraw()

    def settle(r) -> None:
        r.update_idletasks()
        r.winfo_pointerxy()  # a round trip: every event the server sent before it is now queued
        r.update()

    serve_pings(root, settle, lambda token: emit(event="pong", token=token))
    # the stock constructor places the dialog (centred on the screen, its parent being hidden), grabs the
    # pointer and runs its own event loop until the dialog closes; pings are served from inside it
    root.after(10, lambda: SignInDialog(root, "Sign in"))
    root.mainloop()


if __name__ == "__main__":
    main()
