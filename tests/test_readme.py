"""The README's Python examples run, and print what their comments say."""

import contextlib
import io
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


def test_readme_has_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs_and_prints_what_it_says(index):
    code = BLOCKS[index]
    expected = [m.group(1).strip() for m in re.finditer(r"print\(.*?\)\s+#\s*(.+)$", code, flags=re.M)]
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        exec(compile(code, f"README block {index}", "exec"), {})
    printed = buf.getvalue().splitlines()
    assert len(printed) == len(expected)
    for got, want in zip(printed, expected):
        want = re.split(r"\s{2,}\(", want)[0].strip()  # drop a trailing "  (explanation)"
        assert got.strip() == want
