"""The web capture tests' page and Chromium check: skipped where it is missing, unless SIMPLESEG_REQUIRE_CHROMIUM=1 (CI),
where they fail instead."""

import os

import pytest

from simpleseg_agent.capture.cdp import chromium_path

# A page whose elements sit at known CSS positions (px): role, name, box (x0, y0, x1, y1).
KNOWN = [
    ("heading", "Sign in", (20, 10, 140, 40)),
    ("field", "Email", (120, 60, 320, 84)),
    ("checkbox", "Remember me", (20, 100, 36, 116)),
    ("button", "Save", (20, 140, 100, 170)),
    ("button", "Save", (120, 140, 200, 170)),
    ("link", "Documentation", (20, 200, 150, 220)),
    ("radio", "Daily", (20, 240, 36, 256)),
    ("select", "Language", (20, 280, 180, 304)),
    ("tab", "Settings", (400, 10, 480, 40)),
    ("image", "Company logo", (600, 100, 700, 160)),
    ("icon", "Search", (600, 20, 624, 44)),
]

PAGE = """<!doctype html><html><head><style>
body { margin: 0; font: 14px sans-serif; } * { box-sizing: border-box; }
.a { position: absolute; margin: 0; padding: 0; }
@media (prefers-color-scheme: dark) { body { background: #000; color: #fff; } }
</style></head><body>
<h1 class="a" style="left:20px;top:10px;width:120px;height:30px;font-size:20px">Sign in</h1>
<label class="a" for="email" style="left:20px;top:64px">Email</label>
<input class="a" id="email" style="left:120px;top:60px;width:200px;height:24px">
<input class="a" type="checkbox" id="rem" style="left:20px;top:100px;width:16px;height:16px">
<label class="a" for="rem" style="left:44px;top:100px">Remember me</label>
<button class="a" style="left:20px;top:140px;width:80px;height:30px">Save</button>
<button class="a" style="left:120px;top:140px;width:80px;height:30px">Save</button>
<a class="a" href="#docs" style="left:20px;top:200px;width:130px;height:20px;display:block">Documentation</a>
<input class="a" type="radio" name="f" id="daily" style="left:20px;top:240px;width:16px;height:16px">
<label class="a" for="daily" style="left:44px;top:240px">Daily</label>
<select class="a" aria-label="Language" style="left:20px;top:280px;width:160px;height:24px"><option>English</option></select>
<div role="tablist"><button role="tab" class="a" style="left:400px;top:10px;width:80px;height:30px">Settings</button></div>
<img class="a" alt="Company logo" style="left:600px;top:100px;width:100px;height:60px;background:#4a8"
     src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='100' height='60'/%3E">
<img class="a" alt="Search" style="left:600px;top:20px;width:24px;height:24px;background:#a48"
     src="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='24' height='24'/%3E">
<button class="a" style="left:20px;top:900px;width:80px;height:30px">Below the fold</button>
<button class="a" style="left:300px;top:300px;width:100px;height:40px">Covered</button>
<div class="a" style="left:290px;top:290px;width:130px;height:60px;background:#c33"></div>
<button class="a" style="left:500px;top:300px;width:80px;height:30px;visibility:hidden">Hidden</button>
<button class="a" id="menu-btn" style="left:800px;top:20px;width:80px;height:30px"
        onclick="document.getElementById('menu').style.display='block'">Menu</button>
<div id="menu" role="menu" class="a" style="left:800px;top:60px;width:120px;display:none">
  <div role="menuitem" style="height:24px">Open</div><div role="menuitem" style="height:24px">Close</div></div>
</body></html>"""


def require_chromium() -> None:
    if chromium_path() is None:
        reason = "chromium is not installed (apt-get install chromium)"
        if os.environ.get("SIMPLESEG_REQUIRE_CHROMIUM"):
            pytest.fail(f"SIMPLESEG_REQUIRE_CHROMIUM is set but {reason}")
        pytest.skip(reason)
