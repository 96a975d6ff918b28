"""Show one of Qt's stock windows for the real-UI training set: ``python qt_windows.py NAME [--light|--dark]``.

Every widget is Qt's own (QWizard, QMainWindow with its menu bar, tool bar, dock widgets and status bar,
QTabWidget, QDialogButtonBox, QInputDialog's double and multi-line modes, QErrorMessage, QMessageBox with
details, QProgressDialog). These windows are not in the real-UI benchmark (its ``qt-dialogs`` app shows other
dialogs); they only feed training. The window stays open until the process is ended.
"""

import sys

WINDOWS = ("wizard", "mainwindow", "settings", "input-double", "input-multiline", "error-message",
           "critical-details", "progress-busy", "find-replace")


def _settings():
    from PySide6.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox,
                                   QLineEdit, QRadioButton, QSlider, QSpinBox, QTabWidget, QVBoxLayout, QWidget)
    from PySide6.QtCore import Qt

    d = QDialog()
    d.setWindowTitle("Preferences")
    tabs = QTabWidget()
    general = QWidget()
    form = QFormLayout(general)
    form.addRow("Display name:", QLineEdit("Ada Lovelace"))
    form.addRow("Email address:", QLineEdit())
    lang = QComboBox()
    lang.addItems(["English", "Deutsch", "Français", "日本語"])
    form.addRow("Language:", lang)
    size = QSpinBox()
    size.setRange(6, 48)
    size.setValue(11)
    form.addRow("Font size:", size)
    vol = QSlider(Qt.Orientation.Horizontal)
    vol.setValue(60)
    form.addRow("Volume:", vol)
    box = QGroupBox("Start-up")
    lay = QVBoxLayout(box)
    lay.addWidget(QRadioButton("Open a new window", checked=True))
    lay.addWidget(QRadioButton("Restore the last session"))
    lay.addWidget(QCheckBox("Check for updates", checked=True))
    lay.addWidget(QCheckBox("Send usage statistics"))
    form.addRow(box)
    tabs.addTab(general, "General")
    tabs.addTab(QWidget(), "Appearance")
    tabs.addTab(QWidget(), "Network")
    tabs.addTab(QWidget(), "Advanced")
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
                               | QDialogButtonBox.StandardButton.Apply | QDialogButtonBox.StandardButton.RestoreDefaults
                               | QDialogButtonBox.StandardButton.Help)
    outer = QVBoxLayout(d)
    outer.addWidget(tabs)
    outer.addWidget(buttons)
    d.resize(520, 480)
    return d


def _find_replace():
    from PySide6.QtWidgets import (QCheckBox, QDialog, QGridLayout, QLabel, QLineEdit, QPushButton)

    d = QDialog()
    d.setWindowTitle("Find and Replace")
    g = QGridLayout(d)
    find, repl = QLineEdit("colour"), QLineEdit("color")
    lf, lr = QLabel("Find what:"), QLabel("Replace with:")
    lf.setBuddy(find)
    lr.setBuddy(repl)
    g.addWidget(lf, 0, 0)
    g.addWidget(find, 0, 1)
    g.addWidget(lr, 1, 0)
    g.addWidget(repl, 1, 1)
    g.addWidget(QCheckBox("Match case"), 2, 1)
    g.addWidget(QCheckBox("Whole words only"), 3, 1)
    g.addWidget(QCheckBox("Search backwards"), 4, 1)
    for row, text in enumerate(("Find Next", "Replace", "Replace All", "Close")):
        g.addWidget(QPushButton(text), row, 2)
    return d


def _mainwindow():
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QAction
    from PySide6.QtWidgets import (QDockWidget, QLineEdit, QListWidget, QMainWindow, QPushButton, QTableWidget,
                                   QTableWidgetItem, QToolBar, QVBoxLayout, QWidget, QCheckBox)

    w = QMainWindow()
    w.setWindowTitle("Inventory - Stock Manager")
    bar = w.menuBar()
    for title, items in (("&File", ["&New", "&Open...", "&Save", "Save &As...", "E&xit"]),
                         ("&Edit", ["&Undo", "&Redo", "Cu&t", "&Copy", "&Paste"]),
                         ("&View", ["&Zoom In", "Zoom &Out", "&Full Screen"]),
                         ("&Tools", ["&Options..."]), ("&Help", ["&About"])):
        menu = bar.addMenu(title)
        for it in items:
            menu.addAction(QAction(it, w))
    tools = QToolBar("Main")
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
    for t in ("New", "Open", "Save", "Print", "Refresh"):
        tools.addAction(QAction(t, w))
    w.addToolBar(tools)
    table = QTableWidget(8, 4)
    table.setHorizontalHeaderLabels(["Item", "Category", "Quantity", "Price"])
    rows = [("Desk lamp", "Lighting", "12", "24.90"), ("Office chair", "Furniture", "4", "149.00"),
            ("Notebook", "Paper", "250", "2.50"), ("Stapler", "Office", "30", "7.80"),
            ("Monitor arm", "Furniture", "6", "59.00"), ("USB cable", "Electronics", "80", "4.20"),
            ("Whiteboard", "Office", "3", "89.00"), ("Pen set", "Paper", "120", "5.60")]
    for r, row in enumerate(rows):
        for c, v in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(v))
    w.setCentralWidget(table)
    dock = QDockWidget("Categories", w)
    lst = QListWidget()
    lst.addItems(["All items", "Electronics", "Furniture", "Lighting", "Office", "Paper"])
    dock.setWidget(lst)
    w.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
    filt = QDockWidget("Filter", w)
    inner = QWidget()
    lay = QVBoxLayout(inner)
    search = QLineEdit()
    search.setPlaceholderText("Search items")
    search.setAccessibleName("Search items")
    lay.addWidget(search)
    lay.addWidget(QCheckBox("In stock only"))
    lay.addWidget(QPushButton("Apply filter"))
    lay.addStretch(1)
    filt.setWidget(inner)
    w.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, filt)
    w.statusBar().showMessage("8 items")
    w.resize(1000, 620)
    return w


def make(name):
    from PySide6.QtWidgets import (QErrorMessage, QInputDialog, QLabel, QLineEdit, QMessageBox, QProgressDialog,
                                   QVBoxLayout, QWizard, QWizardPage, QCheckBox, QComboBox, QFormLayout)

    if name == "wizard":
        wiz = QWizard()
        wiz.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        wiz.setWindowTitle("Account Setup")
        intro = QWizardPage()
        intro.setTitle("Welcome")
        intro.setSubTitle("This wizard sets up your mail account.")
        QVBoxLayout(intro).addWidget(QLabel("Click Next to enter your account details."))
        details = QWizardPage()
        details.setTitle("Account details")
        form = QFormLayout(details)
        form.addRow("Full name:", QLineEdit())
        form.addRow("Email address:", QLineEdit())
        form.addRow("Password:", QLineEdit(echoMode=QLineEdit.EchoMode.Password))
        proto = QComboBox()
        proto.addItems(["IMAP", "POP3", "Exchange"])
        form.addRow("Server type:", proto)
        form.addRow(QCheckBox("Remember password"))
        wiz.addPage(intro)
        wiz.addPage(details)
        return wiz
    if name == "mainwindow":
        return _mainwindow()
    if name == "settings":
        return _settings()
    if name == "find-replace":
        return _find_replace()
    if name == "input-double":
        d = QInputDialog()
        d.setWindowTitle("Scale image")
        d.setInputMode(QInputDialog.InputMode.DoubleInput)
        d.setLabelText("Scale factor:")
        d.setDoubleRange(0.1, 10.0)
        d.setDoubleValue(1.5)
        return d
    if name == "input-multiline":
        d = QInputDialog()
        d.setWindowTitle("Commit")
        d.setOption(QInputDialog.InputDialogOption.UsePlainTextEditForTextInput)
        d.setLabelText("Commit message:")
        d.setTextValue("Fix the export of empty tables")
        return d
    if name == "error-message":
        d = QErrorMessage()
        d.setWindowTitle("Printer error")
        d.showMessage("The printer is out of paper. Load paper and try again.")
        return d
    if name == "critical-details":
        box = QMessageBox(QMessageBox.Icon.Critical, "Connection failed", "Could not connect to the server.",
                          QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Abort
                          | QMessageBox.StandardButton.Ignore)
        box.setInformativeText("The server did not answer within 30 seconds.")
        box.setDetailedText("host: db.example.org\nport: 5432\nerror: timeout")
        return box
    if name == "progress-busy":
        d = QProgressDialog("Downloading updates (3 of 7)...", "Stop", 0, 7)
        d.setWindowTitle("Software Update")
        d.setMinimumDuration(0)
        d.setValue(3)
        return d
    raise SystemExit(f"unknown window {name!r}; one of {WINDOWS}")


def main(argv):
    if len(argv) < 2:
        raise SystemExit(f"usage: {argv[0]} NAME [--light|--dark]  (NAME: one of {WINDOWS})")
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([argv[0]])
    app.setApplicationName(f"qt-{argv[1]}")
    if "--dark" in argv or "--light" in argv:
        app.setStyle("Fusion")
        app.styleHints().setColorScheme(Qt.ColorScheme.Dark if "--dark" in argv else Qt.ColorScheme.Light)
    window = make(argv[1])
    if hasattr(window, "setModal"):
        window.setModal(False)
    window.move(140, 90)
    window.show()
    QTimer.singleShot(0, window.raise_)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
