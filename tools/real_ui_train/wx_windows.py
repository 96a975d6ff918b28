"""Show one of wxPython's stock windows for the real-UI training set: ``/usr/bin/python3 wx_windows.py NAME``.

Every widget is wx's own (a frame with a menu bar, tool bar, notebook, choice, spin control, slider, check list
box, radio box and status bar; wx's generic find/replace dialog; a wizard page; a rich message dialog). These
windows are not in the real-UI benchmark (its ``wx-dialogs`` app shows other dialogs); they only feed training.
wx follows GTK_THEME for its colours. The window stays open until the process is ended.
"""

import sys

WINDOWS = ("frame", "find-replace", "wizard", "rich-message")


def _frame(wx):
    f = wx.Frame(None, title="Photo Export", pos=(150, 90), size=(760, 560))
    bar = wx.MenuBar()
    for title, items in (("&File", ["&Open", "&Export", "&Quit"]), ("&Edit", ["&Undo", "&Preferences"]),
                         ("&Help", ["&About"])):
        m = wx.Menu()
        for it in items:
            m.Append(wx.ID_ANY, it)
        bar.Append(m, title)
    f.SetMenuBar(bar)
    tb = f.CreateToolBar(wx.TB_TEXT | wx.TB_NOICONS)
    for t in ("Import", "Rotate", "Crop", "Share"):
        tb.AddTool(wx.ID_ANY, t, wx.NullBitmap)
    tb.Realize()
    nb = wx.Notebook(f)
    page = wx.Panel(nb)
    nb.AddPage(page, "Format")
    nb.AddPage(wx.Panel(nb), "Size")
    nb.AddPage(wx.Panel(nb), "Metadata")
    grid = wx.FlexGridSizer(cols=2, vgap=8, hgap=8)
    grid.Add(wx.StaticText(page, label="File name:"), 0, wx.ALIGN_CENTER_VERTICAL)
    grid.Add(wx.TextCtrl(page, value="holiday-001", size=(260, -1)))
    grid.Add(wx.StaticText(page, label="Format:"), 0, wx.ALIGN_CENTER_VERTICAL)
    ch = wx.Choice(page, choices=["JPEG", "PNG", "WebP", "TIFF"])
    ch.SetSelection(0)
    grid.Add(ch)
    grid.Add(wx.StaticText(page, label="Quality:"), 0, wx.ALIGN_CENTER_VERTICAL)
    grid.Add(wx.Slider(page, value=85, minValue=0, maxValue=100, size=(260, -1)))
    grid.Add(wx.StaticText(page, label="Copies:"), 0, wx.ALIGN_CENTER_VERTICAL)
    grid.Add(wx.SpinCtrl(page, value="1", min=1, max=20))
    box = wx.BoxSizer(wx.VERTICAL)
    box.Add(grid, 0, wx.ALL, 12)
    box.Add(wx.RadioBox(page, label="Colour space", choices=["sRGB", "Adobe RGB", "Display P3"]), 0, wx.ALL, 12)
    clb = wx.CheckListBox(page, choices=["Keep EXIF data", "Add watermark", "Sharpen for screen"], size=(260, 80))
    box.Add(clb, 0, wx.ALL, 12)
    row = wx.BoxSizer(wx.HORIZONTAL)
    row.Add(wx.Button(page, label="Export"), 0, wx.RIGHT, 8)
    row.Add(wx.Button(page, label="Cancel"))
    box.Add(row, 0, wx.ALL, 12)
    page.SetSizer(box)
    f.CreateStatusBar().SetStatusText("12 photos selected")
    return f


def make(name):
    import wx
    import wx.adv

    if name == "frame":
        return _frame(wx)
    if name == "find-replace":
        data = wx.FindReplaceData()
        data.SetFindString("colour")
        data.SetReplaceString("color")
        return wx.FindReplaceDialog(None, data, "Find and Replace", wx.FR_REPLACEDIALOG)
    if name == "wizard":
        wiz = wx.adv.Wizard(None, title="Printer Setup")
        page = wx.adv.WizardPageSimple(wiz)
        s = wx.BoxSizer(wx.VERTICAL)
        s.Add(wx.StaticText(page, label="Choose how the printer is connected:"), 0, wx.ALL, 6)
        for k, t in enumerate(("USB cable", "Network", "Bluetooth")):
            s.Add(wx.RadioButton(page, label=t, style=wx.RB_GROUP if k == 0 else 0), 0, wx.ALL, 4)
        s.Add(wx.CheckBox(page, label="Print a test page"), 0, wx.ALL, 6)
        page.SetSizer(s)
        wiz.FitToPage(page)
        wiz.RunWizard(page)
        return None
    if name == "rich-message":
        d = wx.RichMessageDialog(None, "The download finished with 2 errors.", "Downloads",
                                 wx.OK | wx.CANCEL | wx.ICON_WARNING)
        d.ShowCheckBox("Do not show this again")
        d.ShowDetailedText("photo-17.jpg: timeout\nphoto-23.jpg: 404")
        d.ShowModal()
        return None
    raise SystemExit(f"unknown window {name!r}; one of {WINDOWS}")


def main(argv):
    if len(argv) < 2:
        raise SystemExit(f"usage: {argv[0]} NAME  (NAME: one of {WINDOWS})")
    import wx

    app = wx.App(False)
    app.SetAppName(f"wx-{argv[1]}")
    window = make(argv[1])
    if window is not None:
        window.Show()
        app.MainLoop()


if __name__ == "__main__":
    main(sys.argv)
