"""Grasp an object named by a query on a synthetic RGB-D tabletop, and draw the grasp.

    python demos/grasp_tabletop.py --query "the mug" --out out/grasp_demo.png
    python demos/grasp_tabletop.py --query "the red box" --all          # plan every object, time each
    python demos/grasp_tabletop.py --query "the mug" --model ./my-simpleseg-checkpoint

The scene is rendered with NumPy/OpenCV: a table 0.8 m below a camera looking straight down
(640x480, fx = fy = 600, cx = 320, cy = 240), two boxes, two cylinders and a mug (a ring with a
handle; through its opening the inner wall and the bottom, 9 cm below the rim, are seen). Only top faces are rendered (the view is from
straight above), the depth has 0.5 mm noise, dropped pixels (0) and NaN at depth edges.

No trained model is available offline, so by default the object is segmented by
:class:`SceneGrounder`, a named stand-in backend that answers the SimpleSeg polygon text from the
scene's known object masks (outer outlines only, as the real model answers): the output says
"grounded from the scene's known geometry". Pass ``--model NAME_OR_PATH`` to segment with a real
:class:`~simpleseg_agent.tools.SimpleSeg` model instead. Everything after the segmentation (the
planner, depth lifting, the drawing) is the library's, unchanged.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path

import cv2
import numpy as np

from simpleseg_agent.backends.base import (
    Backend,
    GenerationRequest,
    GenerationResult,
    ModelPreset,
)
from simpleseg_agent.errors import SimpleSegError
from simpleseg_agent.geometry import mask_to_region
from simpleseg_agent.grammar import format_polygons
from simpleseg_agent.grasp import (
    GraspPlanner,
    GripperConfig,
    Intrinsics,
    PlannerConfig,
    draw_grasps,
)
from simpleseg_agent.overlay import draw_overlay
from simpleseg_agent.tools import SimpleSeg

WH = (640, 480)
CAMERA = Intrinsics(fx=600.0, fy=600.0, cx=320.0, cy=240.0)
TABLE_Z_M = 0.8
TABLE_NORMAL_CAMERA = (0.0, 0.0, -1.0)  # the table's upward normal, pointing at the camera
# robot base: origin on the table under the camera's axis, z up; the camera 0.8 m above, looking down
T_BASE_CAMERA = np.array([[1, 0, 0, 0.45], [0, -1, 0, 0.0], [0, 0, -1, TABLE_Z_M], [0, 0, 0, 1]], dtype=np.float64)
GROUNDED_NOTE = "grounded from the scene's known geometry; pass --model to use a real model"


@dataclass(frozen=True)
class SceneObject:
    """One object standing on the table; ``xy_m`` is its centre in the camera frame."""

    name: str
    aliases: tuple[str, ...]
    kind: str  # "box" | "cylinder" | "mug"
    xy_m: tuple[float, float]
    size_m: tuple[float, float]  # box: length, width; cylinder/mug: outer radius, wall (mug)
    height_m: float
    color: tuple[int, int, int]
    yaw_deg: float = 0.0

    @property
    def top_z_m(self) -> float:
        return TABLE_Z_M - self.height_m

    @property
    def top_center_xyz_m(self) -> tuple[float, float, float]:
        """The centre of the top face in the camera frame: the object's known position."""
        return (self.xy_m[0], self.xy_m[1], self.top_z_m)


SCENE: tuple[SceneObject, ...] = (
    SceneObject("red box", ("red box", "red block", "box"), "box", (-0.17, -0.07), (0.10, 0.05), 0.06, (200, 40, 40), 25.0),
    SceneObject("blue box", ("blue box", "blue block"), "box", (0.17, 0.11), (0.07, 0.045), 0.035, (40, 70, 200), -40.0),
    SceneObject("green can", ("green can", "soda can", "can", "green cylinder"), "cylinder", (-0.03, 0.12), (0.033, 0.0), 0.12,
                (40, 160, 60)),
    SceneObject("yellow cylinder", ("yellow cylinder", "yellow cup", "cylinder"), "cylinder", (-0.20, 0.13), (0.025, 0.0), 0.05,
                (230, 200, 40)),
    SceneObject("mug", ("coffee mug", "mug", "cup"), "mug", (0.10, -0.08), (0.04, 0.006), 0.10, (235, 235, 240)),
)


# rendering -----------------------------------------------------------------------------------------
def _project(points_xy_m: np.ndarray, z_m: float) -> np.ndarray:
    return CAMERA.project(np.column_stack([points_xy_m, np.full(len(points_xy_m), z_m)]))


def _circle(center, radius: float, n: int = 96) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([center[0] + radius * np.cos(t), center[1] + radius * np.sin(t)])


def _fill(buffers, poly_px: np.ndarray, z: float, color, obj_id: int) -> None:
    """Paint one flat face seen from above at depth ``z``."""
    rgb, depth, ids = buffers
    m = np.zeros(depth.shape, np.uint8)
    pts = np.round((poly_px - 0.5) * 16).astype(np.int32)  # toolkit pixels -> OpenCV centres, 1/16 px
    cv2.fillPoly(m, [pts], 1, cv2.LINE_8, 4)
    sel = m.astype(bool)
    depth[sel], ids[sel], rgb[sel] = z, obj_id, color


def _faces(obj: SceneObject) -> list[tuple[np.ndarray, float, tuple[int, int, int]]]:
    """Top faces (polygon in metres on a plane, its depth, colour), drawn in order."""
    c = np.array(obj.xy_m)
    if obj.kind == "box":
        a = math.radians(obj.yaw_deg)
        u, v = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
        L, W = obj.size_m
        corners = np.array([c + L / 2 * u + W / 2 * v, c - L / 2 * u + W / 2 * v, c - L / 2 * u - W / 2 * v, c + L / 2 * u - W / 2 * v])
        return [(corners, obj.top_z_m, obj.color)]
    if obj.kind == "cylinder":
        return [(_circle(c, obj.size_m[0]), obj.top_z_m, obj.color)]
    r, wall = obj.size_m  # the mug: a handle (a vertical loop: a bar from above) and a rim; _mug_inside does the rest
    handle = c + np.array([[r - 0.005, -0.006], [r + 0.03, -0.006], [r + 0.03, 0.006], [r - 0.005, 0.006]])
    return [(handle, obj.top_z_m + 0.02, obj.color), (_circle(c, r), obj.top_z_m, obj.color)]


def _mug_inside(buffers, obj: SceneObject, obj_id: int) -> None:
    """Through the mug's opening each ray meets the inner wall or, deeper, the bottom (1 cm above the table)."""
    rgb, depth, ids = buffers
    r_in = obj.size_m[0] - obj.size_m[1]
    bottom_z = TABLE_Z_M - 0.01
    m = np.zeros(depth.shape, np.uint8)
    opening = _project(_circle(np.array(obj.xy_m), r_in), obj.top_z_m)
    cv2.fillPoly(m, [np.round((opening - 0.5) * 16).astype(np.int32)], 1, cv2.LINE_8, 4)
    rows, cols = np.nonzero(m)
    a = (cols + 0.5 - 0.5 - CAMERA.cx) / CAMERA.fx  # ray (a, b, 1) through each pixel centre
    b = (rows + 0.5 - 0.5 - CAMERA.cy) / CAMERA.fy
    x0, y0 = obj.xy_m
    qa, qb, qc = a * a + b * b, -2 * (a * x0 + b * y0), x0 * x0 + y0 * y0 - r_in * r_in
    with np.errstate(invalid="ignore", divide="ignore"):
        z_wall = (-qb + np.sqrt(np.maximum(qb * qb - 4 * qa * qc, 0))) / (2 * qa)
    z_wall = np.where(qa > 1e-12, z_wall, np.inf)
    z = np.clip(np.minimum(z_wall, bottom_z), obj.top_z_m, bottom_z)
    depth[rows, cols], ids[rows, cols] = z, obj_id
    shade = np.where(z_wall < bottom_z, 0.45 + 0.3 * (bottom_z - z) / (bottom_z - obj.top_z_m), 0.35)
    rgb[rows, cols] = np.asarray(obj.color, dtype=np.float64)[None, :] * shade[:, None]


def render_scene(scene: Sequence[SceneObject] = SCENE, *, seed: int = 0):
    """``(rgb (H, W, 3) uint8, depth (H, W) float metres with invalid pixels, masks {name: (H, W) bool})``."""
    rng = np.random.default_rng(seed)
    w, h = WH
    yy, xx = np.mgrid[0:h, 0:w]
    wood = 150 + 25 * np.sin(xx / 9.0 + 3 * np.sin(yy / 40.0)) + rng.normal(0, 4, (h, w))
    rgb = np.stack([wood * 1.0, wood * 0.75, wood * 0.5], axis=2)
    depth, ids = np.full((h, w), TABLE_Z_M), np.zeros((h, w), np.int32)
    buffers = (rgb, depth, ids)
    for k, obj in sorted(enumerate(scene, start=1), key=lambda e: -e[1].top_z_m):  # far first
        for poly_m, z, color in _faces(obj):
            _fill(buffers, _project(poly_m, z), z, color, k)
        if obj.kind == "mug":
            _mug_inside(buffers, obj, k)
    shade = 1.0 - 0.25 * (depth - depth.min()) / max(float(np.ptp(depth)), 1e-6)  # nearer is brighter
    rgb = np.clip(rgb * shade[..., None] + rng.normal(0, 3, rgb.shape), 0, 255).astype(np.uint8)
    masks = {obj.name: ids == k for k, obj in enumerate(scene, start=1)}

    sensed = depth + rng.normal(0, 0.0005, depth.shape)
    sensed[rng.random((h, w)) < 0.02] = 0.0  # dropped pixels
    edges = cv2.morphologyEx(depth.astype(np.float32), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0.02
    sensed[edges & (rng.random((h, w)) < 0.5)] = np.nan  # mixed pixels at depth jumps
    return rgb, sensed, masks


# the stand-in segmenter ----------------------------------------------------------------------------
class SceneGrounder(Backend):
    """A named stand-in backend: answers SimpleSeg polygon text from the scene's known object masks.

    It reads the object's name in the prompt (the longest alias found), traces that object's mask
    into outer polygons (no holes, like the real model's answers) and answers
    ``It is at [[[x, y], ...]].``; an unknown object gets an answer without coordinates.
    """

    def __init__(self, scene: Sequence[SceneObject], masks: dict[str, np.ndarray]) -> None:
        self.scene, self.masks = tuple(scene), masks
        self.preset = ModelPreset("scene-grounder", "scene-grounder", description=GROUNDED_NOTE)

    def find(self, text: str) -> SceneObject | None:
        text = text.lower()
        best, best_len = None, 0
        for obj in self.scene:
            for alias in obj.aliases:
                if alias in text and len(alias) > best_len:
                    best, best_len = obj, len(alias)
        return best

    def generate(self, requests: Sequence[GenerationRequest]) -> list[GenerationResult]:
        out = []
        for req in requests:
            obj = self.find(req.prompt)
            if obj is None or not self.masks[obj.name].any():
                text = "I cannot find that object in the image."
            else:
                text = f"It is at {format_polygons(mask_to_region(self.masks[obj.name]).polygons)}."
            out.append(GenerationResult(text=text, n_tokens=len(text) // 4, model_s=0.0, model_input_wh=req.image.size))
        return out


# the demo ------------------------------------------------------------------------------------------
def demo_gripper() -> GripperConfig:
    """A Robotiq 2F-85-like gripper at about 0.7 m: 8.5 cm opening, 2 cm x 1 cm fingers (~15 x 8 px)."""
    return GripperConfig(max_opening_m=0.085, finger_width_px=14.0, finger_depth_px=8.0, clearance_px=6.0, friction_coef=0.5)


def _print_plan(plan, obj: SceneObject | None) -> None:
    g = plan.best
    print(f"grasp: {g.describe()}")
    x, y, z = g.center_xyz_m
    print(f"3D grasp point (camera frame): x={x:.4f} y={y:.4f} z={z:.4f} m")
    if g.pose_base is not None:
        bx, by, bz = (row[3] for row in g.pose_base[:3])
        print(f"3D grasp point (robot base frame): x={bx:.4f} y={by:.4f} z={bz:.4f} m")
    ax, ay, az = g.approach_xyz
    print(f"approach (camera frame): ({ax:.3f}, {ay:.3f}, {az:.3f}); opening needed {100 * g.width_m:.1f} cm")
    if obj is not None:
        err = math.dist(g.center_xyz_m, obj.top_center_xyz_m)
        kx, ky, kz = obj.top_center_xyz_m
        print(f"known top centre of the {obj.name}: x={kx:.4f} y={ky:.4f} z={kz:.4f} m (grasp point {100 * err:.1f} cm from it)")
    for note in plan.notes:
        print(f"note: {note}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--query", default="the mug", help="the object to grasp, e.g. 'the mug', 'the red box'")
    parser.add_argument("--out", default="out/grasp_demo.png", help="where to write the picture (.png)")
    parser.add_argument("--model", default=None, help="a SimpleSeg model (preset, folder, hub id or URL) instead of the scene grounder")
    parser.add_argument("--all", action="store_true", help="also plan every object of the scene and print the planner time per object")
    parser.add_argument("--seed", type=int, default=0, help="noise seed of the rendering")
    gripper_defaults = demo_gripper()
    group = parser.add_argument_group("gripper (generated from GripperConfig)")
    for f in fields(GripperConfig):  # the CLI comes from the config's fields and help text
        group.add_argument(f"--{f.name.replace('_', '-')}", type=float, default=getattr(gripper_defaults, f.name),
                           help=f"{f.metadata.get('help', '')} (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        gripper = replace(gripper_defaults, **{f.name: getattr(args, f.name) for f in fields(GripperConfig)})
    except SimpleSegError as exc:
        parser.error(str(exc))

    rgb, depth, masks = render_scene(SCENE, seed=args.seed)
    if args.model:
        try:
            segmenter, grounder = SimpleSeg(args.model), None
        except SimpleSegError as exc:
            print(f"cannot load the model {args.model!r}: {exc}", file=sys.stderr)
            return 2
        print(f"segmenter: SimpleSeg({args.model!r})")
    else:
        grounder = SceneGrounder(SCENE, masks)
        segmenter = SimpleSeg(grounder)
        print(f"segmenter: SceneGrounder ({GROUNDED_NOTE})")
    print(f"scene: {len(SCENE)} objects on a table at {TABLE_Z_M} m; "
          f"camera {WH[0]}x{WH[1]}, fx=fy={CAMERA.fx:g}, cx={CAMERA.cx:g}, cy={CAMERA.cy:g}")
    planner = GraspPlanner(gripper, PlannerConfig(depth_holes_m=0.03))
    kwargs = dict(depth=depth, intrinsics=CAMERA, T_base_camera=T_BASE_CAMERA, table_normal=TABLE_NORMAL_CAMERA)

    plan = planner.grasp(segmenter, rgb, args.query, **kwargs)
    picture = draw_overlay(rgb)
    if plan.segmentation is not None and plan.segmentation.ok:
        picture = draw_overlay(picture, polygons_xy_norm=[np.array(p) for p in plan.segmentation.polygons_xy_norm],
                               label=args.query, color=(255, 64, 64), alpha=0.25)
    print(f"query: {args.query!r}")
    status = 0
    if plan.ok:
        picture = draw_grasps(picture, plan.grasps, gripper=planner.gripper)
        _print_plan(plan, grounder.find(args.query) if grounder else None)
    else:
        print(f"no grasp: {plan.summary()}")
        status = 1
    print(f"planner time: {plan.planner_ms:.1f} ms (2-D candidates, collision, scoring; the first call also pays "
          f"one-time set-up); lifting {plan.lifting_ms:.1f} ms; segmentation {1000 * plan.latency.model_s:.1f} ms in the model")

    if args.all:
        print("planner time per object:")
        for obj in SCENE:
            p = planner.grasp(segmenter, rgb, f"the {obj.name}", **kwargs)
            if p.ok:
                x, y, z = p.best.center_xyz_m
                print(f"  {obj.name:16s} {p.planner_ms:6.1f} ms  width {100 * p.best.width_m:4.1f} cm  "
                      f"point ({x:+.3f}, {y:+.3f}, {z:.3f}) m  [{p.n_candidates} candidates]")
                if obj.name not in args.query:
                    picture = draw_grasps(picture, p.grasps[:1], gripper=planner.gripper, color=(0, 160, 255))
            else:
                print(f"  {obj.name:16s} {p.planner_ms:6.1f} ms  {p.summary()}")

    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    picture.save(out, format="PNG")
    print(f"picture: {out}")
    return status


if __name__ == "__main__":
    sys.exit(main())
