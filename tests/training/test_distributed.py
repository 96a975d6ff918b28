"""Two training processes on the CPU (torchrun, gloo) sharing one output folder: the training data
is built once (by the main process, the other waits for it), both processes finish, and ``final`` is
written once, by the main process, and loads."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytest.importorskip("trl", reason="needs the [train] extra")

from simpleseg_agent.geometry import Region  # noqa: E402
from simpleseg_agent.testing.memorize import synthetic_examples  # noqa: E402
from simpleseg_agent.training.records import Record, write_records  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def write_tiny_records(folder: Path, copies: int = 3) -> Path:
    """``records.jsonl`` of the four synthetic shapes (each image saved ``copies`` times)."""
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for k, e in enumerate(synthetic_examples()):
        for c in range(copies):
            name = f"img{k}-{c}.png"
            e.image.save(folder / name)
            records.append(Record(name, e.image.size, [e.query], Region.from_polygons(e.polygons_xy_norm),
                                  record_id=f"{k}-{c}"))
    write_records(records, folder / "records.jsonl")
    return folder / "records.jsonl"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env() -> dict[str, str]:
    env = dict(os.environ, PYTHONPATH=str(REPO), OMP_NUM_THREADS="1", TOKENIZERS_PARALLELISM="false",
               HF_HUB_OFFLINE="1")
    env.pop("CUDA_VISIBLE_DEVICES", None)
    return env


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_two_processes_build_the_data_once_and_save_final_once(tiny_model_path, tmp_path):
    torchrun = shutil.which("torchrun") or str(Path(sys.executable).with_name("torchrun"))
    records = write_tiny_records(tmp_path / "data")
    out = tmp_path / "run"
    cmd = [torchrun, "--nproc_per_node", "2", "--master_port", str(_free_port()),
           "-m", "simpleseg_agent.cli", "train", "sft", "--recipe", "tiny-cpu-sft",
           "--model.model", str(tiny_model_path), "--data.train", str(records), "--output-dir", str(out),
           "--max-steps", "3", "--per-device-train-batch-size", "2", "--save-steps", "100", "--logging-steps", "1"]
    started = time.time()
    proc = subprocess.run(cmd, env=_env(), capture_output=True, text=True, timeout=220, cwd=tmp_path)
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-4000:]
    assert time.time() - started < 200
    # both processes finished and printed the folder of the final model
    assert proc.stdout.count(str(out / "final")) == 2, log[-4000:]
    # the data was built once, by the main process; the other read it
    assert log.count("building the training data") == 1, log[-4000:]
    assert (out / "data-sft" / "dataset_info.json").is_file()
    # final written once, by the main process, and complete
    assert log.count("saved the final model") == 1, log[-4000:]
    card = json.loads((out / "final" / "simpleseg_model.json").read_text())
    assert card["global_step"] == 3 and card["world_size"] == 2
    assert not [p.name for p in out.iterdir() if p.name.startswith(".final")]  # no temporary folder left behind

    from transformers import AutoModelForImageTextToText

    model = AutoModelForImageTextToText.from_pretrained(str(out / "final"))
    assert sum(p.numel() for p in model.parameters()) > 0
