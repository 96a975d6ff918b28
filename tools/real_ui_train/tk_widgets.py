"""Show a window of Tk's stock widgets for the real-UI training set: ``python tk_widgets.py SCREEN [TTK_THEME]``.

Every widget is Tk's own (ttk's Notebook, Entry, Combobox, Spinbox, Scale, Checkbutton, Radiobutton,
Treeview; classic Listbox, Scale, LabelFrame; a menu bar; tkinter.simpledialog's query dialog), drawn by Tk
in one of its ttk themes (``clam``, ``alt``, ``default``, ``classic``). Not in the real-UI benchmark; it only
feeds training. The window stays open until the process is ended.
"""

import sys
import tkinter as tk
from tkinter import simpledialog, ttk

SCREENS = ("settings", "files", "classic", "query")


def _menubar(root):
    bar = tk.Menu(root)
    for title, items in (("File", ["New", "Open...", "Save", "Quit"]), ("Edit", ["Undo", "Cut", "Copy", "Paste"]),
                         ("View", ["Zoom in", "Zoom out"]), ("Help", ["About"])):
        m = tk.Menu(bar, tearoff=False)
        for it in items:
            m.add_command(label=it)
        bar.add_cascade(label=title, menu=m)
    root.config(menu=bar)


def settings(root):
    root.title("Backup settings")
    _menubar(root)
    nb = ttk.Notebook(root)
    page = ttk.Frame(nb, padding=12)
    nb.add(page, text="General")
    nb.add(ttk.Frame(nb), text="Schedule")
    nb.add(ttk.Frame(nb), text="Advanced")
    nb.pack(fill="both", expand=True, padx=10, pady=10)
    ttk.Label(page, text="Backup name:").grid(row=0, column=0, sticky="w", pady=4)
    e = ttk.Entry(page, width=32)
    e.insert(0, "Home folder")
    e.grid(row=0, column=1, sticky="we", pady=4)
    ttk.Label(page, text="Destination:").grid(row=1, column=0, sticky="w", pady=4)
    dest = ttk.Combobox(page, values=["External disk", "Network share", "Cloud storage"])
    dest.set("External disk")
    dest.grid(row=1, column=1, sticky="we", pady=4)
    ttk.Button(page, text="Browse...").grid(row=1, column=2, padx=6)
    ttk.Label(page, text="Keep copies:").grid(row=2, column=0, sticky="w", pady=4)
    sp = ttk.Spinbox(page, from_=1, to=30, width=6)
    sp.set(7)
    sp.grid(row=2, column=1, sticky="w", pady=4)
    ttk.Label(page, text="Compression:").grid(row=3, column=0, sticky="w", pady=4)
    ttk.Scale(page, from_=0, to=9, value=6).grid(row=3, column=1, sticky="we", pady=4)
    freq = tk.StringVar(value="daily")
    box = ttk.LabelFrame(page, text="Frequency", padding=8)
    box.grid(row=4, column=0, columnspan=3, sticky="we", pady=8)
    for k, f in enumerate(("Hourly", "Daily", "Weekly")):
        ttk.Radiobutton(box, text=f, value=f.lower(), variable=freq).grid(row=0, column=k, padx=8)
    a, b = tk.BooleanVar(value=True), tk.BooleanVar(value=False)
    ttk.Checkbutton(page, text="Encrypt the backup", variable=a).grid(row=5, column=0, columnspan=2, sticky="w")
    ttk.Checkbutton(page, text="Shut down when done", variable=b).grid(row=6, column=0, columnspan=2, sticky="w")
    row = ttk.Frame(root, padding=(10, 0, 10, 10))
    row.pack(fill="x")
    for t in ("Start backup", "Cancel"):
        ttk.Button(row, text=t).pack(side="right", padx=4)
    root.geometry("+160+100")


def files(root):
    root.title("Downloads - File Manager")
    _menubar(root)
    top = ttk.Frame(root, padding=6)
    top.pack(fill="x")
    for t in ("Back", "Forward", "Up", "Refresh"):
        ttk.Button(top, text=t).pack(side="left", padx=2)
    path = ttk.Entry(top, width=40)
    path.insert(0, "/home/user/Downloads")
    path.pack(side="left", padx=8, fill="x", expand=True)
    ttk.Button(top, text="Go").pack(side="left")
    tree = ttk.Treeview(root, columns=("size", "modified"), height=12)
    tree.heading("#0", text="Name")
    tree.heading("size", text="Size")
    tree.heading("modified", text="Modified")
    for name, size, when in (("report-2026.pdf", "1.2 MB", "2026-01-04"), ("photo.jpg", "3.4 MB", "2026-01-03"),
                             ("setup.exe", "48 MB", "2025-12-30"), ("notes.txt", "2 KB", "2025-12-28"),
                             ("music.zip", "120 MB", "2025-12-20")):
        tree.insert("", "end", text=name, values=(size, when))
    tree.pack(fill="both", expand=True, padx=6)
    bottom = ttk.Frame(root, padding=6)
    bottom.pack(fill="x")
    ttk.Checkbutton(bottom, text="Show hidden files").pack(side="left")
    ttk.Button(bottom, text="Delete").pack(side="right", padx=2)
    ttk.Button(bottom, text="Open").pack(side="right", padx=2)
    root.geometry("640x420+220+120")


def classic(root):
    root.title("Pizza order")
    _menubar(root)
    f = tk.Frame(root, padx=12, pady=12)
    f.pack()
    tk.Label(f, text="Customer:").grid(row=0, column=0, sticky="w")
    tk.Entry(f, width=28).grid(row=0, column=1, columnspan=2, sticky="we", pady=3)
    tk.Label(f, text="Phone:").grid(row=1, column=0, sticky="w")
    tk.Entry(f, width=28).grid(row=1, column=1, columnspan=2, sticky="we", pady=3)
    size = tk.LabelFrame(f, text="Size", padx=6, pady=6)
    size.grid(row=2, column=0, sticky="nw", pady=6)
    v = tk.StringVar(value="m")
    for t, val in (("Small", "s"), ("Medium", "m"), ("Large", "l")):
        tk.Radiobutton(size, text=t, value=val, variable=v).pack(anchor="w")
    top = tk.LabelFrame(f, text="Toppings", padx=6, pady=6)
    top.grid(row=2, column=1, sticky="nw", pady=6, padx=6)
    for t in ("Cheese", "Mushrooms", "Olives", "Peppers"):
        tk.Checkbutton(top, text=t).pack(anchor="w")
    lb = tk.Listbox(f, height=5)
    for t in ("Pick-up", "Delivery", "Eat in"):
        lb.insert("end", t)
    lb.grid(row=2, column=2, sticky="n", pady=6)
    tk.Label(f, text="Quantity:").grid(row=3, column=0, sticky="w")
    tk.Spinbox(f, from_=1, to=10, width=5).grid(row=3, column=1, sticky="w")
    tk.Scale(f, from_=0, to=20, orient="horizontal", label="Tip (%)").grid(row=4, column=0, columnspan=3, sticky="we")
    b = tk.Frame(f)
    b.grid(row=5, column=0, columnspan=3, pady=8)
    for t in ("Place order", "Clear", "Cancel"):
        tk.Button(b, text=t).pack(side="left", padx=4)
    root.geometry("+300+140")


def query(root):
    root.title("Notes")
    root.geometry("700x460+60+60")
    txt = tk.Text(root)
    txt.insert("1.0", "Shopping list\n- milk\n- bread\n")
    txt.pack(fill="both", expand=True)
    root.after(200, lambda: simpledialog.askstring("Rename note", "New name of the note:", initialvalue="Shopping",
                                                   parent=root))


def main(argv):
    screen = argv[1] if len(argv) > 1 else "settings"
    if screen not in SCREENS:
        raise SystemExit(f"unknown screen {screen!r}; one of {SCREENS}")
    root = tk.Tk()
    if len(argv) > 2:
        ttk.Style(root).theme_use(argv[2])
    globals()[screen](root)
    root.mainloop()


if __name__ == "__main__":
    main(sys.argv)
