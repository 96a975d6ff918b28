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


CLI_BLOCK = next(b for b in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.S) if "simpleseg mask2poly" in b)


@pytest.mark.timeout(240)
def test_readme_cli_block_runs_in_order_from_an_empty_folder(tmp_path):
    """Each command of the command-line tour, in order, in an empty folder: every file it reads, an
    earlier line made."""
    import os
    import subprocess
    import sys

    root = README.parent
    script = (f'simpleseg() {{ "{sys.executable}" -m simpleseg_agent.cli "$@"; }}\nset -euo pipefail\n'
              + "".join(f"{line}\necho '-- ok'\n" for line in CLI_BLOCK.splitlines() if line.strip()))
    env = dict(os.environ, PYTHONPATH=str(root), OMP_NUM_THREADS="1")
    proc = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=220)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.count("-- ok") == len([line for line in CLI_BLOCK.splitlines() if line.strip()])
    written = [m.group(1) for m in re.finditer(r"--out (\S+)", CLI_BLOCK)]
    assert written and all((tmp_path / name).is_file() for name in written)


def test_train_help_shows_each_stage_in_whole_sentences(capsys):
    """The stage's help was the first line of its docstring, cut mid-sentence ("... the target's")."""
    from simpleseg_agent.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["train", "--help"])
    assert exit_info.value.code == 0
    out = " ".join(capsys.readouterr().out.split())
    listing = out.split("{sft,gspo,choose} ", 2)[2].split(" options:")[0]
    helps = re.split(r"(?:^| )(sft|gspo|choose) ", listing)[1:]
    assert [helps[i] for i in range(0, len(helps), 2)] == ["sft", "gspo", "choose"]
    for stage, text in zip(helps[::2], helps[1::2]):
        assert text.rstrip().endswith((".", ".)")), f"the {stage} help stops mid-sentence: {text!r}"
