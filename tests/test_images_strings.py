"""Images as LLM frameworks pass them: data URIs, raw base64 and http(s) URLs (fetched only when allowed, with a
size cap and a timeout), read as images and never mistaken for file paths."""

from __future__ import annotations

import base64
import io
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from PIL import Image

from simpleseg_agent.errors import ImageError
from simpleseg_agent.images import load_image
from simpleseg_agent.testing.fakes import FakeAnswerBackend
from simpleseg_agent.tools import SimpleSeg

SQUARE = "[[[0.25, 0.25], [0.75, 0.25], [0.75, 0.75], [0.25, 0.75]]]"


def _encoded(fmt: str, wh=(12, 8)) -> bytes:
    arr = np.zeros((wh[1], wh[0], 3), np.uint8)
    arr[:, : wh[0] // 2] = (250, 10, 10)  # red left half: the pixels are checked, not only the size
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, format=fmt)
    return buf.getvalue()


def _check(im: Image.Image, wh=(12, 8)) -> None:
    assert im.size == wh and im.mode == "RGB"
    r, g, _ = im.getpixel((1, 1))
    assert r > 200 and g < 60


@pytest.mark.parametrize("fmt,mime", [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_data_uri_and_raw_base64(fmt, mime) -> None:
    b64 = base64.b64encode(_encoded(fmt)).decode()
    _check(load_image(f"data:{mime};base64,{b64}"))
    _check(load_image(f"  data:{mime};base64,{b64}\n"))
    _check(load_image(b64))
    _check(load_image("\n".join(b64[i : i + 76] for i in range(0, len(b64), 76))))  # MIME line breaks
    _check(load_image(base64.urlsafe_b64encode(_encoded(fmt)).decode().rstrip("=")))  # URL-safe, unpadded


PNG_B64 = base64.b64encode(_encoded("PNG")).decode()


@pytest.mark.parametrize("text,says", [
    ("data:image/png;base64,", "empty"),
    ("data:image/png;base64,!!!not base64***", "not base64"),
    ("data:text/plain;base64," + PNG_B64, "image/* type"),
    ("data:image/png," + PNG_B64, "base64 data"),
    ("data:image/png;base64" + PNG_B64, "comma"),
    ("data:image/png;base64," + PNG_B64[:40], "cannot read image"),  # a PNG cut short
    ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\0" * 64).decode(), "cannot read image"),
    (base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"junk" * 30).decode(), "cannot read image"),
    ("A" * 5000, "none of them"),  # a long string that is no path: not OSError "File name too long"
    ("[[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]]" * 200, "none of them"),
    ("x/" * 3000, "none of them"),
    ("bad\0name.png", "cannot read image"),
])
def test_hostile_strings_raise_image_errors(text, says) -> None:
    with pytest.raises(ImageError) as info:
        load_image(text)
    assert says in str(info.value) and "File name too long" not in str(info.value)
    assert len(str(info.value)) < 400  # the message quotes the input, cut short


def test_a_file_still_wins_over_base64_lookalikes(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    Image.new("RGB", (5, 4)).save(tmp_path / "iVBORw0KGgoAAAANSUhEUg", format="PNG")  # a file named like base64
    assert load_image("iVBORw0KGgoAAAANSUhEUg").size == (5, 4)


class _Server:
    """A local HTTP server in a thread: /png answers a PNG, /big more bytes than the cap, /slow stalls."""

    def __init__(self) -> None:
        png = _encoded("PNG")

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_GET(self) -> None:  # noqa: N802 -- http.server's name
                if self.path == "/png":
                    body = png
                elif self.path == "/big":
                    body = png + b"\0" * 5000
                elif self.path == "/big-chunked":  # no Content-Length: the cap applies while reading
                    self.send_response(200)
                    self.send_header("Content-Type", "image/png")
                    self.end_headers()
                    for _ in range(100):
                        self.wfile.write(b"\0" * 1000)
                    return
                elif self.path == "/slow":
                    self.send_response(200)
                    self.send_header("Content-Length", str(len(png)))
                    self.end_headers()
                    for i in range(len(png)):  # a byte every 0.2 s: each receive is quick, the whole is not
                        try:
                            self.wfile.write(png[i : i + 1])
                            self.wfile.flush()
                        except OSError:
                            return
                        time.sleep(0.2)
                    return
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def server():
    s = _Server()
    yield s
    s.close()


@pytest.mark.timeout(60)
def test_a_url_is_fetched_only_when_allowed(server) -> None:
    _check(load_image(f"{server.url}/png", allow_remote=True))
    with pytest.raises(ImageError, match="allow_remote=True") as info:
        load_image(f"{server.url}/png")
    assert "is a URL" in str(info.value)


@pytest.mark.timeout(60)
def test_a_url_over_the_cap_or_missing_is_an_image_error(server) -> None:
    with pytest.raises(ImageError, match="over the limit of 1000"):
        load_image(f"{server.url}/big", allow_remote=True, max_bytes=1000)
    with pytest.raises(ImageError, match="more than 1000 bytes"):
        load_image(f"{server.url}/big-chunked", allow_remote=True, max_bytes=1000)
    with pytest.raises(ImageError, match="HTTP 404"):
        load_image(f"{server.url}/nothing", allow_remote=True)


@pytest.mark.timeout(60)
def test_a_slow_server_times_out(server) -> None:
    t0 = time.monotonic()
    with pytest.raises(ImageError, match="within 1 s"):
        load_image(f"{server.url}/slow", allow_remote=True, timeout_s=1.0)
    assert time.monotonic() - t0 < 3.0


@pytest.mark.timeout(60)
def test_tools_and_toolkit_read_strings_and_fetch_only_when_allowed(server) -> None:
    pytest.importorskip("langchain_core")
    from simpleseg_agent.integrations.langchain import SimpleSegToolkit

    fake = FakeAnswerBackend([SQUARE])
    seg = SimpleSeg(fake)
    r = seg.segment(f"data:image/png;base64,{PNG_B64}", "the square")
    assert r.ok and r.xyxy_px == (3.0, 2.0, 9.0, 6.0)
    r = seg.segment(f"{server.url}/png", "the square")  # the library call: off by default
    assert not r.ok and r.error.kind == "image" and "allow_remote" in r.error.message

    def call(kit):
        tool = kit.get_tools()[0]
        return tool.invoke({"name": "segment", "args": {"query": "the square"}, "id": "1", "type": "tool_call"})

    msg = call(SimpleSegToolkit(segmenter=seg, image=f"{server.url}/png"))
    assert not msg.artifact.ok and "allow_remote_images=True" in msg.content
    msg = call(SimpleSegToolkit(segmenter=seg, image=f"{server.url}/png", allow_remote_images=True))
    assert msg.artifact.ok and msg.artifact.xyxy_px == (3.0, 2.0, 9.0, 6.0)
    msg = call(SimpleSegToolkit(segmenter=seg, image_provider=lambda: PNG_B64))
    assert msg.artifact.ok and msg.artifact.image_wh == (12, 8)
