"""Image inputs: paths, bytes, PIL, arrays (RGB or BGR), EXIF orientation, and clear errors."""

import io

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.errors import ImageError
from simpleseg_agent.images import load_image, to_rgb_array


def png_bytes(arr):
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format="PNG")
    return buf.getvalue()


def test_exif_orientation_is_applied(tmp_path):
    arr = np.zeros((20, 40, 3), np.uint8)
    arr[:, :10] = (255, 0, 0)  # red stripe on the left of a wide image
    im = Image.fromarray(arr)
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to display"
    path = tmp_path / "rot.jpg"
    im.save(path, exif=exif, quality=95)
    out = load_image(path)
    assert out.size == (20, 40)  # displayed upright: tall
    r, g, b = out.getpixel((10, 2))
    assert r > 200 and g < 60  # the red stripe is now at the top


@pytest.mark.parametrize(
    "make, size",
    [
        (lambda a, p: p, (5, 4)),
        (lambda a, p: str(p), (5, 4)),
        (lambda a, p: png_bytes(a), (5, 4)),
        (lambda a, p: bytearray(png_bytes(a)), (5, 4)),
        (lambda a, p: Image.fromarray(a).convert("L"), (5, 4)),
        (lambda a, p: a, (5, 4)),
        (lambda a, p: a[:, :, 0], (5, 4)),
        (lambda a, p: np.dstack([a, np.full(a.shape[:2], 255, np.uint8)]), (5, 4)),
    ],
)
def test_inputs(tmp_path, make, size):
    arr = np.random.default_rng(0).integers(0, 255, (4, 5, 3), dtype=np.uint8)
    path = tmp_path / "a.png"
    Image.fromarray(arr).save(path)
    out = load_image(make(arr, path))
    assert out.mode == "RGB" and out.size == size


def test_bgr_arrays_are_flipped():
    bgr = np.zeros((2, 2, 3), np.uint8)
    bgr[..., 0] = 255  # blue in OpenCV order
    assert load_image(bgr, channel_order="BGR").getpixel((0, 0)) == (0, 0, 255)
    assert to_rgb_array(bgr)[0, 0].tolist() == [255, 0, 0]


@pytest.mark.parametrize(
    "value, match",
    [
        ("/nonexistent/x.png", "no such file"),
        (b"", "empty"),
        (b"not an image", "cannot read image from 12 bytes"),
        (np.zeros((4, 4, 3), np.float32), "uint8"),
        (np.zeros((0, 4, 3), np.uint8), "non-empty"),
        (np.zeros((4, 4, 2), np.uint8), r"\(H, W, 3\)"),
        (None, "expected a path"),
        (12, "expected a path"),
    ],
)
def test_bad_inputs(value, match):
    with pytest.raises(ImageError, match=match):
        load_image(value)


def test_bad_channel_order():
    with pytest.raises(ImageError, match="channel_order"):
        load_image(np.zeros((2, 2, 3), np.uint8), channel_order="RGBA")
