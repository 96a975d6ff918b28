"""Real screens drawn for the grounding tests: widgets drawn with a real TrueType font (DejaVu Sans), so
the OCR engines read real glyphs. Each drawing returns the image and the true boxes of its widgets."""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
BOLD = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def font(size: int = 16, bold: bool = False) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(BOLD if bold else FONT, size)


def button(d: ImageDraw.ImageDraw, xy: tuple[int, int], text: str, *, fill="#e8e8e8", ink="black", outline="#888888",
           size: int = 16, pad: tuple[int, int] = (16, 8)) -> tuple[int, int, int, int]:
    f = font(size)
    x0, y0 = xy
    tw = int(d.textlength(text, font=f))
    box = (x0, y0, x0 + tw + 2 * pad[0], y0 + size + 2 * pad[1] + 4)
    d.rounded_rectangle(box, radius=4, fill=fill, outline=outline, width=1)
    d.text((x0 + pad[0], y0 + pad[1]), text, fill=ink, font=f)
    return box


def field(d: ImageDraw.ImageDraw, xyxy: tuple[int, int, int, int], placeholder: str = "") -> tuple[int, int, int, int]:
    d.rectangle(xyxy, fill="white", outline="#7a7a7a", width=1)
    if placeholder:
        d.text((xyxy[0] + 8, xyxy[1] + 7), placeholder, fill="#707070", font=font(15))
    return xyxy


def checkbox(d: ImageDraw.ImageDraw, xy: tuple[int, int], label: str) -> tuple[tuple[int, int, int, int], tuple]:
    x0, y0 = xy
    mark = (x0, y0 + 2, x0 + 15, y0 + 17)
    d.rectangle(mark, fill="white", outline="#444444", width=2)
    d.text((x0 + 24, y0), label, fill="black", font=font(16))
    return mark, (x0 + 24, y0, x0 + 24 + int(d.textlength(label, font=font(16))), y0 + 19)


def login_form() -> tuple[Image.Image, dict[str, tuple]]:
    """A sign-in dialog: a field labelled on its left (Email), one labelled above (Password), a checkbox, a
    white-on-blue Log in button, a Cancel button, a large heading and the same word in a sentence."""
    img = Image.new("RGB", (640, 420), "#f4f4f4")
    d = ImageDraw.Draw(img)
    boxes = {}
    d.text((40, 20), "Account", fill="black", font=font(30, bold=True))
    d.text((40, 66), "Sign in to your Account to continue", fill="#333333", font=font(15))
    d.text((40, 112), "Email", fill="black", font=font(16))
    boxes["email"] = field(d, (140, 104, 560, 136))
    d.text((40, 160), "Password", fill="black", font=font(16))
    boxes["password"] = field(d, (40, 186, 560, 218))
    boxes["remember_mark"], boxes["remember_label"] = checkbox(d, (40, 240), "Remember me")
    boxes["login"] = button(d, (40, 300), "Log in", fill="#1a62d6", ink="white", outline="#1a62d6")
    boxes["cancel"] = button(d, (180, 300), "Cancel")
    return img, boxes


def toolbar_row() -> tuple[Image.Image, dict[str, tuple]]:
    """Three Edit buttons in a row and three Delete buttons in a column (ordinals from left and from top)."""
    img = Image.new("RGB", (640, 360), "white")
    d = ImageDraw.Draw(img)
    boxes = {}
    for k, x in enumerate((30, 230, 430)):
        boxes[f"edit{k + 1}"] = button(d, (x, 30), "Edit", outline="#c8c8c8")
    for k, y in enumerate((120, 180, 240)):
        d.text((30, y + 8), f"Row {'ABC'[k]}", fill="black", font=font(16))
        boxes[f"delete{k + 1}"] = button(d, (200, y), "Delete", outline="#c8c8c8")
    return img, boxes


VOCAB = ("the of and to in is for on that with as by at from this are be or an it was not have can will more "
         "about which their other time data page file open save view edit help menu tools window report value "
         "system number account user group order price total list item table field form result search filter "
         "status update change create delete select option setting profile message project server network").split()


def wall_of_text(n_words: int = 3000, unique: str = "Xylophone", wh: tuple[int, int] = (1920, 1200),
                 size: int = 11, seed: int = 0) -> tuple[Image.Image, tuple[int, int, int, int], int]:
    """A screen full of small text (``n_words`` common words, one of them ``unique``, which no other word
    resembles): the image, the unique word's box and how many words were drawn."""
    import random

    rng = random.Random(seed)
    img = Image.new("RGB", wh, "white")
    d = ImageDraw.Draw(img)
    f = font(size)
    space = d.textlength(" ", font=f)
    at = rng.randrange(n_words // 3, 2 * n_words // 3)
    x, y, drawn, box = 8.0, 6, 0, None
    while drawn < n_words:
        word = unique if drawn == at else rng.choice(VOCAB)
        w = d.textlength(word, font=f)
        if x + w > wh[0] - 8:
            x, y = 8.0, y + size + 4
            if y + size > wh[1] - 4:
                break
        d.text((x, y), word, fill="black", font=f)
        if drawn == at:
            box = (int(x), y, int(x + w) + 1, y + size + 3)
        x += w + space
        drawn += 1
    return img, box, drawn


def message_box() -> tuple[Image.Image, dict[str, tuple]]:
    """A stock message box: a question and OK / Cancel buttons, on a dark title bar (light text on dark)."""
    img = Image.new("RGB", (520, 240), "#ececec")
    d = ImageDraw.Draw(img)
    d.rectangle((0, 0, 520, 34), fill="#2b2b2b")
    d.text((14, 8), "Confirm changes", fill="white", font=font(16))
    d.text((30, 70), "Save the changes to this document?", fill="black", font=font(16))
    boxes = {"ok": button(d, (270, 170), "OK", outline="#c8c8c8"), "cancel": button(d, (350, 170), "Cancel", outline="#c8c8c8")}
    return img, boxes
