"""Show one of wxPython's own stock dialogs, for capturing: ``/usr/bin/python3 _wx_stock.py NAME``.

Nothing here draws a widget: each dialog is wx's (its generic text-entry, choice, multi-choice,
number-entry and password dialogs, drawn with wx's own sizers on GTK). wx follows GTK_THEME for its
colours. Runs under an interpreter with wxPython (Debian: ``python3-wxgtk4.0``). The dialog stays open
until the process is ended.
"""

import sys

DIALOGS = ("text-entry", "password", "single-choice", "multi-choice", "number-entry")


def make(name):
    import wx  # imported here, so the module can be collected where wx is missing

    if name == "text-entry":
        return wx.TextEntryDialog(None, "Enter the name of the new project:", "New Project", "")
    if name == "password":
        return wx.PasswordEntryDialog(None, "Enter the password for the archive:", "Password Required")
    if name == "single-choice":
        return wx.SingleChoiceDialog(None, "Choose a paper size:", "Page Setup",
                                     ["A4", "A5", "Letter", "Legal", "Tabloid"])
    if name == "multi-choice":
        return wx.MultiChoiceDialog(None, "Select the components to install:", "Installer",
                                    ["Core files", "Documentation", "Examples", "Language packs", "Shortcuts"])
    if name == "number-entry":
        return wx.NumberEntryDialog(None, "How many copies should be printed?", "Copies:", "Print", 1, 1, 99)
    raise SystemExit(f"unknown dialog {name!r}; one of {DIALOGS}")


def main(argv):
    if len(argv) < 2:
        raise SystemExit(f"usage: {argv[0]} NAME  (NAME: one of {DIALOGS})")
    import wx

    app = wx.App(False)
    app.SetAppName(f"wx-{argv[1]}")
    dialog = make(argv[1])
    dialog.Show()
    app.MainLoop()


if __name__ == "__main__":
    main(sys.argv)
