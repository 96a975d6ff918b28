"""Reading images from what users have: a path, bytes, a PIL image, a NumPy array, and the strings
LLM frameworks pass around: a data URI (``data:image/png;base64,...``), raw base64, an ``http(s)`` URL.

Arrays are taken as **RGB** (``(H, W, 3)`` uint8) or grayscale (``(H, W)``) unless
``channel_order="BGR"`` says they come from OpenCV. Files and bytes are turned upright by their
EXIF orientation, as model processors and photo viewers do, so coordinates refer to the image as
it is seen.

A URL is fetched only when the caller allows it (``allow_remote=True``): fetching whatever URL an
LLM or a user wrote reaches hosts the program may not mean to reach (a local service, a cloud
metadata address). A fetch reads at most ``max_bytes`` and gives up after ``timeout_s`` in all.
"""

from __future__ import annotations

import base64
import binascii
import io
import os
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Literal, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .errors import ImageError

ImageInput = Union[str, "os.PathLike[str]", bytes, bytearray, Image.Image, np.ndarray]

#: The most bytes a remote image may have (larger answers are refused while they download).
MAX_REMOTE_BYTES = 20 * 2**20
#: Seconds a remote fetch may take in all (connecting, waiting, reading).
REMOTE_TIMEOUT_S = 10.0
_ENABLE_REMOTE = ("remote images are off: fetch it yourself, or allow it with load_image(..., allow_remote=True) "
                  "or SimpleSegToolkit(..., allow_remote_images=True)")
_BASE64 = re.compile(r"^[A-Za-z0-9+/_-]+={0,2}$")
# the first bytes of the formats an LLM framework passes as base64 (PNG, JPEG, GIF, WebP, BMP, TIFF)
_MAGIC = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"RIFF", b"BM", b"II*\x00", b"MM\x00*")


def _short(text: str, n: int = 60) -> str:
    return repr(text if len(text) <= n else text[:n] + "...") + (f" ({len(text)} characters)" if len(text) > n else "")


def _b64decode(text: str, what: str) -> bytes:
    compact = "".join(text.split())
    try:
        if "-" in compact or "_" in compact:
            return base64.urlsafe_b64decode(compact + "=" * (-len(compact) % 4))
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ImageError(f"{what}: expected base64 image bytes, got text that is not base64 ({exc}): {_short(text)}") from None


def _data_uri(uri: str) -> bytes:
    """The bytes of a ``data:[<type>][;base64],<data>`` URI that holds an image."""
    head, sep, data = uri.partition(",")
    if not sep:
        raise ImageError(f"image data URI: expected 'data:image/<type>;base64,<data>', got no comma: {_short(uri)}")
    params = head[len("data:"):].split(";")
    mime = params[0].strip().lower()
    if mime and not mime.startswith("image/"):
        raise ImageError(f"image data URI: expected an image/* type, got {mime!r}")
    if "base64" not in (p.strip().lower() for p in params[1:]):
        raise ImageError(f"image data URI: expected base64 data ('data:{mime or 'image/png'};base64,...'), got {head!r}")
    raw = _b64decode(data, "image data URI")
    if not raw:
        raise ImageError("image data URI: the data is empty")
    return raw


def _looks_base64_image(text: str) -> bytes | None:
    """The decoded bytes when ``text`` is base64 of an image (by its first bytes), else ``None``."""
    compact = "".join(text.split())
    if len(compact) < 16 or not _BASE64.match(compact):
        return None
    try:
        head = _b64decode(compact[:64], "image")
    except ImageError:
        return None
    if not head.startswith(_MAGIC):
        return None
    return _b64decode(compact, "base64 image")


class _SameSchemeRedirects(urllib.request.HTTPRedirectHandler):
    """Follows redirects to http(s) only."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001 -- urllib's signature
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise ImageError(f"image URL {req.full_url}: redirected to a non-http(s) address {newurl!r}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def fetch_image_bytes(url: str, *, max_bytes: int = MAX_REMOTE_BYTES, timeout_s: float = REMOTE_TIMEOUT_S) -> bytes:
    """The body of an ``http(s)`` ``url``, at most ``max_bytes`` long, fetched within ``timeout_s`` seconds in all
    (each receive also waits at most ``timeout_s``, so a server that stalls mid-answer is given up on by then).

    Raises :class:`~simpleseg_agent.errors.ImageError` for another scheme, an HTTP error, a body over the cap
    (by its ``Content-Length`` or while reading), a timeout, or a host that cannot be reached.

    Example:
        >>> fetch_image_bytes("ftp://example.com/a.png")
        Traceback (most recent call last):
        ...
        simpleseg_agent.errors.ImageError: image URL: expected an http:// or https:// address, got 'ftp://example.com/a.png'
    """
    if urllib.parse.urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ImageError(f"image URL: expected an http:// or https:// address, got {url!r}")
    if max_bytes < 1 or not timeout_s > 0:
        raise ImageError(f"image URL: max_bytes and timeout_s must be positive, got {max_bytes!r} and {timeout_s!r}")
    opener = urllib.request.build_opener(_SameSchemeRedirects())
    deadline = time.monotonic() + timeout_s
    request = urllib.request.Request(url, headers={"User-Agent": "simpleseg-agent", "Accept": "image/*"})
    try:
        with opener.open(request, timeout=timeout_s) as response:
            length = response.headers.get("Content-Length")
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise ImageError(f"image URL {url}: {int(length)} bytes, over the limit of {max_bytes} "
                                 "(raise max_bytes to accept it)")
            chunks, size = [], 0
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                chunk = response.read1(min(65536, max_bytes + 1 - size))  # one receive: the deadline is checked often
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
                if size > max_bytes:
                    raise ImageError(f"image URL {url}: more than {max_bytes} bytes, over the limit "
                                     "(raise max_bytes to accept it)")
    except ImageError:
        raise
    except urllib.error.HTTPError as exc:
        raise ImageError(f"image URL {url}: the server answered HTTP {exc.code} {exc.reason}") from None
    except (TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        if isinstance(exc, TimeoutError) or isinstance(reason, TimeoutError) or "timed out" in str(exc):
            raise ImageError(f"image URL {url}: no complete answer within {timeout_s:g} s (raise timeout_s to wait "
                             "longer)") from None
        raise ImageError(f"image URL {url}: cannot fetch it: {reason}") from None
    body = b"".join(chunks)
    if not body:
        raise ImageError(f"image URL {url}: the server answered with no bytes")
    return body


def _from_string(text: str, *, allow_remote: bool, max_bytes: int, timeout_s: float) -> Image.Image:
    """A string: a data URI, an http(s) URL, a file path, or raw base64 (in that order of checks)."""
    stripped = text.strip()
    lower = stripped[:8].lower()
    if lower.startswith("data:"):
        raw = _data_uri(stripped)
        return _open(io.BytesIO(raw), f"from a data URI of {len(raw)} bytes")
    if lower.startswith(("http://", "https://")):
        if not allow_remote:
            raise ImageError(f"image {_short(stripped)} is a URL; {_ENABLE_REMOTE}")
        raw = fetch_image_bytes(stripped, max_bytes=max_bytes, timeout_s=timeout_s)
        return _open(io.BytesIO(raw), f"from {stripped} ({len(raw)} bytes)")
    try:
        is_file = len(text) < 4096 and Path(text).expanduser().is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL character: not a path
        is_file = False
    if is_file:
        return _open(Path(text).expanduser(), f"file '{Path(text)}'")
    raw = _looks_base64_image(stripped)
    if raw is not None:
        return _open(io.BytesIO(raw), f"from {len(raw)} base64-decoded bytes")
    if len(text) >= 4096 or "\n" in text:
        raise ImageError(f"image: expected a file path, a data URI (data:image/png;base64,...), base64 image bytes or "
                         f"an http(s) URL, got a string that is none of them: {_short(text)}")
    return _open(Path(text), f"file '{Path(text)}'")


def _open(source, what: str) -> Image.Image:
    try:
        with Image.open(source) as im:
            im.load()
            return ImageOps.exif_transpose(im).convert("RGB")
    except FileNotFoundError:
        raise ImageError(f"cannot read image {what}: no such file") from None
    except (OSError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as exc:
        raise ImageError(f"cannot read image {what}: {exc}") from None


def load_image(
    image: ImageInput,
    *,
    channel_order: Literal["RGB", "BGR"] = "RGB",
    allow_remote: bool = False,
    max_bytes: int = MAX_REMOTE_BYTES,
    timeout_s: float = REMOTE_TIMEOUT_S,
) -> Image.Image:
    """Any supported image input as an RGB PIL image at its original resolution.

    A string is a data URI (``data:image/png;base64,...``), an ``http(s)`` URL (fetched only with
    ``allow_remote=True``, at most ``max_bytes`` within ``timeout_s`` seconds), a file path, or raw
    base64 of an image file; a path-like object is a file path.

    Example:
        >>> import base64, io
        >>> import numpy as np
        >>> load_image(np.zeros((48, 64, 3), np.uint8)).size
        (64, 48)
        >>> load_image(np.array([[[255, 0, 0]]], np.uint8), channel_order="BGR").getpixel((0, 0))
        (0, 0, 255)
        >>> buf = io.BytesIO(); Image.new("RGB", (8, 6)).save(buf, format="PNG")
        >>> load_image("data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()).size
        (8, 6)
        >>> load_image("https://example.com/shot.png")
        Traceback (most recent call last):
        ...
        simpleseg_agent.errors.ImageError: image 'https://example.com/shot.png' is a URL; remote images are off: fetch it yourself, or allow it with load_image(..., allow_remote=True) or SimpleSegToolkit(..., allow_remote_images=True)
    """
    if channel_order not in ("RGB", "BGR"):
        raise ImageError(f"channel_order must be 'RGB' or 'BGR', got {channel_order!r}")
    if isinstance(image, str):
        return _from_string(image, allow_remote=allow_remote, max_bytes=max_bytes, timeout_s=timeout_s)
    if isinstance(image, os.PathLike):
        return _open(Path(image), f"file '{Path(image)}'")
    if isinstance(image, (bytes, bytearray)):
        if not image:
            raise ImageError("image bytes are empty")
        return _open(io.BytesIO(bytes(image)), f"from {len(image)} bytes")
    if isinstance(image, Image.Image):
        return image if image.mode == "RGB" else image.convert("RGB")
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise ImageError(f"image array: expected dtype uint8, got {image.dtype} with shape {image.shape}")
        if image.ndim == 3 and image.shape[2] == 4:
            image = image[:, :, :3]
        if image.ndim == 2:
            image = np.repeat(image[:, :, None], 3, axis=2)
        elif not (image.ndim == 3 and image.shape[2] == 3):
            raise ImageError(f"image array: expected shape (H, W, 3) RGB or (H, W) gray, got {image.shape}")
        if image.shape[0] == 0 or image.shape[1] == 0:
            raise ImageError(f"image array: expected a non-empty image, got shape {image.shape}")
        if channel_order == "BGR":
            image = image[:, :, ::-1]
        return Image.fromarray(np.ascontiguousarray(image), mode="RGB")
    raise ImageError("image: expected a path, a data URI, base64, an http(s) URL, bytes, a PIL image or a numpy array, "
                     f"got {type(image).__name__}")


def to_rgb_array(image: ImageInput) -> np.ndarray:
    """The image as a new ``(H, W, 3)`` uint8 RGB array.

    Example:
        >>> to_rgb_array(np.zeros((2, 3), np.uint8)).shape
        (2, 3, 3)
    """
    return np.array(load_image(image), dtype=np.uint8)
