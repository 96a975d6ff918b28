"""Starting and stopping a Chromium that speaks the DevTools protocol over a pipe (``--remote-debugging-pipe``).

Shared by the capture engine (:mod:`simpleseg_agent.capture.cdp`, real pages) and the generator's Chromium
renderer (:mod:`simpleseg_agent.training.synth.gui_chromium`): the pipe's plumbing and a shutdown that
leaves no process or profile folder behind. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from typing import Any


def start_with_pipe(args: Sequence[str]) -> tuple[subprocess.Popen, Any, int]:
    """Start a browser command line that speaks DevTools over a pipe (``--remote-debugging-pipe``): commands
    go in on its fd 3, replies come out on its fd 4. Returns the process, the unbuffered writer of commands
    and the file descriptor replies are read from.

    Example (``sleep`` stands in for a browser: it reads no commands, so this only starts and stops it):
        >>> proc, w, r = start_with_pipe(["sleep", "5"])
        >>> stop_browser(proc, (w.close, lambda: os.close(r)), ""); proc.returncode is not None
        True
    """
    to_child_r, to_child_w = os.pipe()
    from_child_r, from_child_w = os.pipe()
    fds = (os.dup(to_child_r), os.dup(from_child_w))

    def child_fds() -> None:  # the DevTools pipe is fd 3 (commands in) and fd 4 (replies out)
        os.dup2(fds[0], 3, inheritable=True)
        os.dup2(fds[1], 4, inheritable=True)

    try:
        # the pipe must be fds 3 and 4 in the child, which pass_fds cannot renumber: dup2 them before exec
        proc = subprocess.Popen(list(args), preexec_fn=child_fds, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,  # noqa: PLW1509
                                stderr=subprocess.DEVNULL, close_fds=False)
    except BaseException:
        for fd in (to_child_w, from_child_r):
            os.close(fd)
        raise
    finally:
        for fd in (to_child_r, from_child_w, *fds):
            os.close(fd)
    return proc, os.fdopen(to_child_w, "wb", buffering=0), from_child_r


def stop_browser(proc: subprocess.Popen, closers: Sequence[Any], profile: str) -> None:
    """Close the pipe's ends (``closers``: callables), stop the browser (terminate, then kill after 5 s) and
    remove its temporary profile folder (``""``: none). Safe to call twice."""
    for close in closers:
        try:
            close()
        except OSError:
            pass
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if profile:
        shutil.rmtree(profile, ignore_errors=True)
