"""Typed grasp results: one :class:`Grasp` per candidate, one :class:`GraspPlan` per object.

Like the tools' results (:mod:`simpleseg_agent.tools.results`), a plan always comes back: a failed
plan (nothing segmented, invalid depth, no grasp fits the gripper) says ``ok=False`` with
``error.kind`` and ``error.message``, and ``raise_for_error()`` turns it into the library exception.

Conventions (pixels as everywhere in the toolkit: pixel ``(col, row)`` covers
``[col, col+1) x [row, row+1)``, x to the right, **y down**):

* ``angle_rad`` is the direction of the jaw **closing axis** (the line through the two contacts),
  measured from the image +x axis towards +y, i.e. **clockwise as seen on screen** (y down),
  normalized to ``[-pi/2, pi/2)``. ``0`` closes left-right, ``-pi/2`` closes up-down.
* ``contacts_px`` are ordered along that direction: ``contacts_px[1] - contacts_px[0]`` points at
  ``angle_rad``.
* 3-D fields are in the camera frame (OpenCV: x right, y down, z forward, metres); the pose axes are
  x = closing axis, z = approach (the way the gripper moves), y = z × x (right-handed).

Example:
    >>> plan = GraspPlan(ok=False, query="the mug", error=GraspToolError(kind="no_grasp", message="too wide"))
    >>> plan.summary()
    "grasp('the mug') failed (no_grasp): too wide"
    >>> plan.best is None
    True
    >>> plan.raise_for_error()
    Traceback (most recent call last):
    ...
    simpleseg_agent.grasp.results.GraspError: too wide
"""

from __future__ import annotations

import math
from typing import Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from ..errors import GeometryError
from ..tools.results import TOOL_EXCEPTIONS, Latency, Segmentation, ToolError

XY = tuple[float, float]
XYZ = tuple[float, float, float]
Matrix4 = tuple[tuple[float, float, float, float], ...]
GraspMethod = Literal["min_area_rect", "principal_axis", "antipodal"]
GraspErrorKind = Literal["parse", "not_found", "model", "image", "geometry", "depth", "no_grasp"]


class GraspError(GeometryError):
    """No grasp can be planned: unusable depth, impossible gripper settings, nothing fits the gripper."""


_EXCEPTIONS = {**TOOL_EXCEPTIONS, "depth": GraspError, "no_grasp": GraspError}


class GraspToolError(ToolError):
    """Why a plan failed: the segmentation's kinds plus ``depth`` (unusable depth or intrinsics) and
    ``no_grasp`` (the shape is fine, but no candidate fits the gripper or avoids the obstacles)."""

    kind: GraspErrorKind


class Grasp(BaseModel):
    """One parallel-jaw grasp: 2-D always, 3-D fields when depth and intrinsics were given."""

    model_config = ConfigDict(frozen=True)

    center_px: XY = Field(description="midpoint of the two contacts, image pixels")
    center_xy_norm: XY = Field(description="the same, normalized by the image width/height")
    angle_rad: float = Field(description="closing-axis direction from +x towards +y (clockwise on screen, y down), [-pi/2, pi/2)")
    width_px: float = Field(description="distance between the two contacts (the opening needed), pixels")
    contacts_px: tuple[XY, XY] = Field(description="where the jaws touch; contacts[1] - contacts[0] points at angle_rad")
    score: float = Field(description="quality in [0, 1], higher is better (weighted mean of score_terms)")
    method: GraspMethod = Field(description="the candidate generator that proposed it")
    score_terms: dict[str, float] = Field(default_factory=dict, description="each scoring term in [0, 1]")
    part: int = Field(0, description="index of the shape's part (connected component) grasped")

    depth_m: Optional[float] = Field(None, description="robust depth of the object (median over its eroded mask)")
    center_xyz_m: Optional[XYZ] = Field(None, description="grasp centre in the camera frame, metres")
    width_m: Optional[float] = Field(None, description="metric opening between the contacts")
    contacts_xyz_m: Optional[tuple[XYZ, XYZ]] = None
    approach_xyz: Optional[XYZ] = Field(None, description="unit vector the gripper moves along (pose z), camera frame")
    closing_xyz: Optional[XYZ] = Field(None, description="unit closing axis (pose x), camera frame")
    pose_camera: Optional[Matrix4] = Field(None, description="4x4 gripper pose in the camera frame")
    pose_base: Optional[Matrix4] = Field(None, description="4x4 gripper pose in the robot base frame (needs T_base_camera)")

    @property
    def angle_deg(self) -> float:
        """``angle_rad`` in degrees."""
        return math.degrees(self.angle_rad)

    def pose_matrix(self, frame: Literal["camera", "base"] = "camera") -> np.ndarray:
        """The ``(4, 4)`` pose as a numpy array."""
        pose = self.pose_camera if frame == "camera" else self.pose_base
        if pose is None:
            need = "depth and intrinsics" if frame == "camera" else "depth, intrinsics and T_base_camera"
            raise GraspError(f"this grasp has no {frame}-frame pose: plan it with {need}")
        return np.array(pose, dtype=np.float64)

    def describe(self) -> str:
        """One line: where, which way, how wide (and in 3-D when lifted)."""
        text = (
            f"centre ({self.center_px[0]:.0f}, {self.center_px[1]:.0f}) px, angle {self.angle_deg:.1f} deg, "
            f"width {self.width_px:.1f} px"
        )
        if self.center_xyz_m is not None and self.width_m is not None:
            x, y, z = self.center_xyz_m
            text += f"; 3-D ({x:.3f}, {y:.3f}, {z:.3f}) m in the camera frame, width {100 * self.width_m:.1f} cm"
        return f"{text}; score {self.score:.2f}"


class DepthInfo(BaseModel):
    """How the object's depth was measured."""

    z_m: float = Field(description="median of the valid depth values used")
    n_valid: int = Field(description="valid depth pixels the median was taken over")
    n_pixels: int = Field(description="pixels of the mask they were taken from")
    eroded: bool = Field(description="False when erosion emptied the mask and the whole mask was used")


class GraspPlan(BaseModel):
    """Grasps for one object, best first, with what was segmented and where the time went."""

    model_config = ConfigDict(frozen=True)

    ok: bool
    query: str = Field("", description="what was asked for")
    image_wh: Optional[tuple[int, int]] = Field(None, description="width, height of the image in pixels")
    grasps: list[Grasp] = Field(default_factory=list, description="best first; empty when the plan failed")
    segmentation: Optional[Segmentation] = Field(None, description="the segmenter's result, when a query was segmented")
    depth: Optional[DepthInfo] = None
    max_opening_px: Optional[float] = Field(None, description="the gripper's maximum opening, in pixels at the object's depth")
    n_candidates: int = Field(0, description="candidates proposed before filtering")
    n_collisions: int = Field(0, description="candidates dropped because a jaw would hit an obstacle or the object")
    planner_ms: float = Field(0.0, description="time of the 2-D planner (candidates, collision, scoring)")
    lifting_ms: float = Field(0.0, description="time of depth estimation and 3-D lifting")
    latency: Latency = Field(default_factory=Latency, description="model time (segmentation) and our overhead")
    notes: list[str] = Field(default_factory=list, description="things worth knowing (ignored obstacles, fallbacks)")
    error: Optional[GraspToolError] = None

    @property
    def best(self) -> Optional[Grasp]:
        """The highest-scoring grasp, or ``None``."""
        return self.grasps[0] if self.grasps else None

    def raise_for_error(self) -> None:
        """Raise the library exception matching ``error.kind`` if the plan failed."""
        if self.error is not None:
            raise _EXCEPTIONS[self.error.kind](self.error.message)

    def summary(self) -> str:
        """A short text for an LLM."""
        if not self.ok or self.best is None:
            kind, message = (self.error.kind, self.error.message) if self.error else ("no_grasp", "no grasp")
            return f"grasp({self.query!r}) failed ({kind}): {message}"
        return f"grasp for {self.query!r}: {self.best.describe()} ({len(self.grasps)} candidates kept)"
