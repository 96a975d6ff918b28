"""A private desktop for capturing real apps: its own X server, D-Bus session bus and accessibility bus.

:class:`DesktopSession` starts ``Xvfb -displayfd`` (a free display number, no sleeps) with a private
``XAUTHORITY`` file, then a fresh ``dbus-daemon --session``; the accessibility bus
(``at-spi-bus-launcher``) and ``at-spi2-registryd`` are D-Bus-activated on the first AT-SPI call, so
nothing else is started by hand. Every program it starts, and every program those start, carries one
marker variable (``SIMPLESEG_DESKTOP_SESSION``) in its environment; :meth:`DesktopSession.stop` ends all
of them by PID (TERM, then KILL after a grace period), then the bus, then the X server, and removes the
Xauthority file. Nothing of the session is left running (the tests check it).

Themes: ``GTK_THEME=Adwaita`` / ``Adwaita:dark`` for GTK apps and wx (wx draws with GTK);
Qt apps follow it through Qt's ``gtk3`` platform theme (``QT_QPA_PLATFORMTHEME=gtk3``).

Example (needs Xvfb and dbus-daemon):
    >>> with DesktopSession((640, 480)) as s:               # doctest: +SKIP
    ...     s.env()["DISPLAY"].startswith(":")
    True
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence

from ...errors import CaptureError

THEMES = ("light", "dark")

#: Environment variable every process of a session carries; its value is the session's id.
MARKER = "SIMPLESEG_DESKTOP_SESSION"

# inherited variables that would point the apps at another desktop, or switch accessibility off
_DROP_ENV = ("DBUS_SESSION_BUS_ADDRESS", "AT_SPI_BUS_ADDRESS", "NO_AT_BRIDGE", "WAYLAND_DISPLAY",
             "QT_QPA_PLATFORM", "GTK_MODULES", "XDG_SESSION_TYPE")


def theme_env(theme: str) -> dict[str, str]:
    """The environment variables that select ``theme`` ("light" or "dark") in GTK, wx and Qt apps.

    Example:
        >>> theme_env("dark")["GTK_THEME"], theme_env("light")["QT_QPA_PLATFORMTHEME"]
        ('Adwaita:dark', 'gtk3')
    """
    if theme not in THEMES:
        raise CaptureError(f"theme must be one of {THEMES}, got {theme!r}")
    return {
        "GTK_THEME": "Adwaita:dark" if theme == "dark" else "Adwaita",
        "QT_QPA_PLATFORMTHEME": "gtk3",
        "QT_LINUX_ACCESSIBILITY_ALWAYS_ON": "1",
        "QT_ACCESSIBILITY": "1",
    }


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read().decode(errors="replace")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(entry))
    return kids


def descendants(pid: int) -> list[int]:
    """PIDs of every live process below ``pid`` (children, their children...), read from ``/proc``."""
    kids, out, todo = _children_map(), [], [pid]
    while todo:
        for k in kids.get(todo.pop(), ()):
            out.append(k)
            todo.append(k)
    return out


def alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().decode(errors="replace").rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def session_pids(session_id: str | None) -> list[int]:
    """PIDs of live processes whose environment carries ``MARKER=session_id`` (any session for ``None``).

    Only this user's processes can be read; this process itself is never listed.
    """
    prefix = f"{MARKER}=".encode()
    needle = prefix + session_id.encode() if session_id is not None else None
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        hit = needle in env if needle is not None else any(v.startswith(prefix) for v in env)
        if hit and alive(int(entry)):
            out.append(int(entry))
    return out


def end_pids(pids: Sequence[int], grace_s: float = 2.0) -> None:
    """Send TERM to each PID, wait up to ``grace_s`` for them to go, then KILL what is left."""
    pids = [p for p in dict.fromkeys(pids) if p != os.getpid()]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in pids:
            try:
                os.kill(p, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + (grace_s if sig == signal.SIGTERM else 2.0)
        while time.monotonic() < deadline:
            pids = [p for p in pids if alive(p)]
            if not pids:
                return
            time.sleep(0.02)


class DesktopSession:
    """A private Xvfb of ``resolution_wh`` with a fresh D-Bus session bus; stop it with :meth:`stop`.

    Use as a context manager. :meth:`launch` starts a program on it; :meth:`env` is the environment such a
    program gets (``DISPLAY``, ``XAUTHORITY``, ``DBUS_SESSION_BUS_ADDRESS``, the theme and the marker).
    ``dbus_config`` is a dbus-daemon configuration file for the bus (default: the system's session bus
    configuration, whose service folders hold the accessibility bus).
    """

    def __init__(self, resolution_wh: tuple[int, int] = (1280, 800), *, theme: str = "light",
                 timeout_s: float = 20.0, dbus_config: str | None = None) -> None:
        w, h = (int(v) for v in resolution_wh)
        if not (16 <= w <= 8192 and 16 <= h <= 8192):
            raise CaptureError(f"resolution_wh must be two sizes between 16 and 8192 px, got {resolution_wh!r}")
        self.resolution_wh = (w, h)
        theme_env(theme)
        self.theme = theme
        self.timeout_s = timeout_s
        self.dbus_config = dbus_config
        self.session_id = uuid.uuid4().hex
        self.xvfb = None
        self.bus: subprocess.Popen | None = None
        self.bus_address = ""
        self.procs: list[subprocess.Popen] = []

    # -- start ---------------------------------------------------------------------------------
    def start(self) -> DesktopSession:
        from ...agent.screen import DisplayError
        from ...agent.testing import XvfbServer

        for program, package in (("Xvfb", "xvfb"), ("dbus-daemon", "dbus-daemon")):
            if shutil.which(program) is None:
                raise CaptureError(f"a desktop capture needs the program '{program}' "
                                   f"(Debian: apt-get install {package})")
        try:
            self.xvfb = XvfbServer(self.resolution_wh, timeout_s=self.timeout_s).start()
        except DisplayError as e:
            raise CaptureError(f"the private X server did not start: {e}") from e
        try:
            self._start_bus()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_bus(self) -> None:
        r, w = os.pipe()
        try:
            self.bus = subprocess.Popen(
                ["dbus-daemon", f"--config-file={self.dbus_config}" if self.dbus_config else "--session", "--nofork",
                 "--nopidfile", f"--print-address={w}"],
                pass_fds=(w,), env=self.env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL)
        finally:
            os.close(w)
        line = b""
        deadline = time.monotonic() + self.timeout_s
        try:
            while not line.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not select.select([r], [], [], left)[0]:
                    raise CaptureError(f"dbus-daemon did not report its address within {self.timeout_s:.0f} s")
                chunk = os.read(r, 256)
                if not chunk:
                    raise CaptureError(f"dbus-daemon exited with status {self.bus.wait()} before it was ready")
                line += chunk
        finally:
            os.close(r)
        self.bus_address = line.decode().strip()

    # -- use -----------------------------------------------------------------------------------
    @property
    def display(self) -> str:
        """The X display name (``:N``); empty before :meth:`start`."""
        return self.xvfb.display if self.xvfb is not None else ""

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment for a program on this desktop (``base`` defaults to ``os.environ``)."""
        env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _DROP_ENV}
        if self.xvfb is not None:
            env.update(DISPLAY=self.xvfb.display, XAUTHORITY=self.xvfb.xauthority)
        if self.bus_address:
            env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        env.update(theme_env(self.theme))
        env[MARKER] = self.session_id
        return env

    def launch(self, command: Sequence[str], *, env: Mapping[str, str] | None = None) -> subprocess.Popen:
        """Start ``command`` on this desktop; it is ended by :meth:`stop`.

        Its stderr goes to a temporary file (``proc.stderr_path``) so an error can quote it; stdout is dropped.

        Raises:
            CaptureError: the program cannot be started (not found, not executable).
        """
        if not command:
            raise CaptureError("the app's command line is empty")
        full_env = self.env()
        full_env.update(env or {})
        fd, err_path = tempfile.mkstemp(prefix="simpleseg-app-stderr-")
        try:
            proc = subprocess.Popen(list(command), env=full_env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=fd)
        except OSError as e:
            os.unlink(err_path)
            raise CaptureError(f"the app does not start: cannot run {command[0]!r} ({e.strerror or e})") from e
        finally:
            os.close(fd)
        proc.stderr_path = err_path
        self.procs.append(proc)
        return proc

    # -- stop ----------------------------------------------------------------------------------
    def pids(self) -> list[int]:
        """Every live process of this session (apps, the bus, the accessibility daemons, the X server)."""
        pids = session_pids(self.session_id)
        for p in [*self.procs, self.bus]:
            if p is not None and p.poll() is None:
                pids += [p.pid, *descendants(p.pid)]
        if self.xvfb is not None and self.xvfb.proc is not None and self.xvfb.proc.poll() is None:
            pids.append(self.xvfb.proc.pid)
        return [p for p in dict.fromkeys(pids) if alive(p)]

    def stop(self) -> None:
        """End every process of the session by PID (apps first, then the bus, then X), and reap them."""
        xvfb_pid = self.xvfb.proc.pid if self.xvfb is not None and self.xvfb.proc is not None else None
        bus_pid = self.bus.pid if self.bus is not None else None
        apps = [p for p in self.pids() if p not in (xvfb_pid, bus_pid)]
        end_pids(apps)
        for p in self.procs:
            _reap(p)
        if self.bus is not None:
            end_pids([bus_pid, *descendants(bus_pid)] if self.bus.poll() is None else [])
            _reap(self.bus)
        end_pids(session_pids(self.session_id))  # anything the bus started late
        if self.xvfb is not None:
            self.xvfb.stop()
        self.procs, self.bus, self.xvfb, self.bus_address = [], None, None, ""

    def __enter__(self) -> DesktopSession:
        return self.start() if self.xvfb is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


def _reap(proc: subprocess.Popen) -> None:
    try:
        proc.wait(timeout=2.0)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=2.0)
    path = getattr(proc, "stderr_path", "")
    if path:
        try:
            os.unlink(path)
        except OSError:
            pass
