"""Read a private desktop's accessibility tree (AT-SPI) and print it as one JSON line.

Runs as its own program under an interpreter that has GObject introspection and the AT-SPI typelib
(Debian: ``/usr/bin/python3`` with ``python3-gi gir1.2-atspi-2.0``), inside the desktop's D-Bus session.
It needs nothing from this package, so the project's own Python needs no compiled GObject bindings.

Usage: ``python3 _atspi_dump.py '{"wait_roles": ["push button"], "timeout_s": 10}'``

It first asks the session bus for the accessibility bus (which starts it), then polls the desktop every
0.05 s until some application shows an element whose role is one of ``wait_roles`` (any role when the
list is empty), then prints ``{"ok": true, "nodes": [...]}``: every node of every application, depth
first, with its role, name, screen extents, states, parent and the name of the label it is labelled by.
On failure it prints ``{"ok": false, "error": "no-bus" | "no-window" | "no-role", "detail": ...}`` and
exits with status 3.
"""

import json
import sys
import time


def _fail(error, detail):
    print(json.dumps({"ok": False, "error": error, "detail": detail}), flush=True)
    sys.exit(3)


def main(argv):
    spec = json.loads(argv[1]) if len(argv) > 1 else {}
    wait_roles = set(spec.get("wait_roles", []))
    deadline = time.monotonic() + float(spec.get("timeout_s", 10.0))
    try:
        import gi

        gi.require_version("Atspi", "2.0")
        from gi.repository import Atspi, Gio, GLib
    except (ImportError, ValueError) as e:
        _fail("no-atspi", f"GObject introspection with the Atspi typelib is missing: {e}")

    try:
        bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        address = bus.call_sync("org.a11y.Bus", "/org/a11y/bus", "org.a11y.Bus", "GetAddress", None,
                                GLib.VariantType.new("(s)"), Gio.DBusCallFlags.NONE, 5000, None).unpack()[0]
    except GLib.Error as e:
        _fail("no-bus", f"the session bus has no accessibility bus (org.a11y.Bus): {e.message}")
    if not address:
        _fail("no-bus", "the accessibility bus reported an empty address")

    showing, visible = Atspi.StateType.SHOWING, Atspi.StateType.VISIBLE
    state_names = {
        "focused": Atspi.StateType.FOCUSED, "checked": Atspi.StateType.CHECKED, "selected": Atspi.StateType.SELECTED,
        "enabled": Atspi.StateType.ENABLED, "sensitive": Atspi.StateType.SENSITIVE, "active": Atspi.StateType.ACTIVE,
        "editable": Atspi.StateType.EDITABLE, "expanded": Atspi.StateType.EXPANDED, "modal": Atspi.StateType.MODAL,
    }

    def walk(top_children, app_index, app_name, app_pid, app_toolkit):
        nodes = []
        stack = [(root, -1, 0) for root in reversed(top_children)]
        while stack:
            acc, parent, depth = stack.pop()
            try:
                states = acc.get_state_set()
                role = acc.get_role_name()
                if states.contains(showing):
                    name = acc.get_name() or ""
                    rect = acc.get_extents(Atspi.CoordType.SCREEN)
                    xywh = [rect.x, rect.y, rect.width, rect.height]
                    count = acc.get_child_count()
                else:  # nothing of a node that is not shown is kept: spare its calls
                    name, xywh, count = "", [0, 0, 0, 0], 0
            except GLib.Error:
                continue  # gone while we read it
            node = {
                "app": app_index, "app_name": app_name, "app_pid": app_pid, "parent": parent, "depth": depth,
                "role": role, "name": name, "xywh": xywh,
                "showing": states.contains(showing), "visible": states.contains(visible),
                "states": [k for k, v in state_names.items() if states.contains(v)],
            }
            node["toolkit"] = app_toolkit if depth == 0 else ""
            if not name and node["showing"]:
                try:
                    for rel in acc.get_relation_set():
                        if rel.get_relation_type() == Atspi.RelationType.LABELLED_BY and rel.get_n_targets():
                            node["labelled_by"] = rel.get_target(0).get_name() or ""
                            break
                except GLib.Error:
                    pass
            index = len(nodes)
            nodes.append(node)
            if depth < 60 and node["showing"]:
                kids = []
                for i in range(min(count, 2000)):
                    try:
                        kid = acc.get_child_at_index(i)
                    except GLib.Error:
                        kid = None
                    if kid is not None:
                        kids.append(kid)
                stack.extend((k, index, depth + 1) for k in reversed(kids))
        return nodes

    seen_app = False
    while True:
        desktop = Atspi.get_desktop(0)
        all_nodes = []
        found = False
        for a in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(a)
            if app is None:
                continue
            try:
                top_children = [app.get_child_at_index(i) for i in range(app.get_child_count())]
                app_name, app_pid = app.get_name() or "", app.get_process_id()
            except GLib.Error:
                continue
            try:
                app_toolkit = app.get_toolkit_name() or ""
            except GLib.Error:
                app_toolkit = ""
            top_children = [c for c in top_children if c is not None]
            if not top_children:
                continue
            seen_app = True
            offset = len(all_nodes)
            for n in walk(top_children, a, app_name, app_pid, app_toolkit):
                if n["parent"] >= 0:
                    n["parent"] += offset
                all_nodes.append(n)
        for n in all_nodes:
            if n["showing"] and n["xywh"][2] > 0 and n["xywh"][3] > 0 and (not wait_roles or n["role"] in wait_roles):
                found = True
                break
        if found:
            print(json.dumps({"ok": True, "nodes": all_nodes}), flush=True)
            return
        if time.monotonic() > deadline:
            if seen_app:
                roles = sorted({n["role"] for n in all_nodes if n["showing"]})
                _fail("no-role", f"an application is on the desktop but shows no element of role "
                                 f"{sorted(wait_roles)} (it shows: {roles})")
            _fail("no-window", "no application showed a window")
        time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv)
