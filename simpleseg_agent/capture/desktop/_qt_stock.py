"""Show one of Qt's own stock dialogs, as Qt draws it, for capturing: ``python _qt_stock.py NAME [--dark]``.

Nothing here draws a widget: each dialog is Qt's (QMessageBox, QInputDialog, QFontDialog, QColorDialog,
QFileDialog in Qt's own, non-native, form, QProgressDialog). ``--dark`` asks Qt for its dark colour scheme
(Fusion style), since Qt does not read GTK_THEME. The dialog stays open until the process is ended.
"""

import os
import sys
import tempfile

DIALOGS = ("messagebox", "question", "input-text", "input-item", "input-int", "font", "color", "file", "progress")


def make(name):
    # imported here, so the module can be collected where PySide6 is missing
    from PySide6.QtGui import QColor
    from PySide6.QtWidgets import (QColorDialog, QFileDialog, QFontDialog, QInputDialog, QMessageBox,
                                   QProgressDialog)

    if name == "messagebox":
        box = QMessageBox(QMessageBox.Icon.Warning, "Unsaved changes", "The document has been modified.",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel)
        box.setInformativeText("Do you want to save your changes?")
        return box
    if name == "question":
        return QMessageBox(QMessageBox.Icon.Question, "Delete file", "Delete the selected file permanently?",
                           QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    if name.startswith("input-"):
        d = QInputDialog()
        d.setWindowTitle("Input")
        if name == "input-text":
            d.setLabelText("User name:")
            d.setTextValue("")
        elif name == "input-item":
            d.setLabelText("Colour scheme:")
            d.setComboBoxItems(["System", "Light", "Dark", "High contrast"])
        else:
            d.setInputMode(QInputDialog.InputMode.IntInput)
            d.setLabelText("Number of copies:")
            d.setIntRange(1, 99)
        return d
    if name == "font":
        return QFontDialog(options=QFontDialog.FontDialogOption.DontUseNativeDialog)
    if name == "color":
        d = QColorDialog(QColor(37, 99, 235))
        d.setOption(QColorDialog.ColorDialogOption.DontUseNativeDialog)
        return d
    if name == "file":
        # a fixed folder, so the dialog shows the same entries everywhere
        folder = os.path.join(tempfile.gettempdir(), "simpleseg-capture-files")
        os.makedirs(folder, exist_ok=True)
        os.makedirs(os.path.join(folder, "Documents"), exist_ok=True)
        for f in ("notes.txt", "report.pdf", "photo.png", "budget.csv", "Documents"):
            path = os.path.join(folder, f)
            if not os.path.exists(path):
                open(path, "a").close()
            os.utime(path, (1767225600, 1767225600))  # 2026-01-01, so the dates shown are the same everywhere
        d = QFileDialog(None, "Open File", folder)
        d.setOption(QFileDialog.Option.DontUseNativeDialog)
        return d
    if name == "progress":
        d = QProgressDialog("Copying files...", "Cancel", 0, 100)
        d.setMinimumDuration(0)
        d.setValue(42)
        return d
    raise SystemExit(f"unknown dialog {name!r}; one of {DIALOGS}")


def main(argv):
    if len(argv) < 2:
        raise SystemExit(f"usage: {argv[0]} NAME [--dark]  (NAME: one of {DIALOGS})")
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication

    app = QApplication([argv[0]])
    app.setApplicationName(f"qt-{argv[1]}")
    if "--dark" in argv:
        app.setStyle("Fusion")
        app.styleHints().setColorScheme(Qt.ColorScheme.Dark)
    elif "--light" in argv:
        app.setStyle("Fusion")
        app.styleHints().setColorScheme(Qt.ColorScheme.Light)
    dialog = make(argv[1])
    dialog.setModal(False)
    dialog.show()
    QTimer.singleShot(0, dialog.raise_)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
