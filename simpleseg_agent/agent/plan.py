"""From a segmentation of a screenshot to a checked action target, or a refusal that says why.

The target is the click point of the shape (deep inside it, not its centroid: see
:func:`~simpleseg_agent.geometry.click_target`), carried through the coordinate chain. Refused:

* an answer the tools could not use (unparseable, no coordinates, degenerate, a model error);
* coordinates outside the screenshot, clamped by the parser (usually an answer in another
  coordinate space than the preset says, e.g. 0-1000 read as pixels), unless ``allow_clamped``;
* with ``min_agreement`` above 0, an answer whose consensus agreement (``Decoding(samples=K)``) is lower,
  or that was not decoded by consensus at all;
* a shape covering more than ``max_area_fraction`` of the monitor, or smaller than ``min_area_px``;
* a target closer than ``min_clearance_px`` to the shape's border (too thin to hit);
* a target outside the chosen monitor, or an action pixel that is not inside the shape.

Example (a named fake backend answers; the second answer covers the whole screen):
    >>> from PIL import Image
    >>> from simpleseg_agent.testing.fakes import FakeAnswerBackend
    >>> from simpleseg_agent.tools import SimpleSeg
    >>> from simpleseg_agent.agent.frames import Monitor, ScreenFrame
    >>> seg = SimpleSeg(FakeAnswerBackend(["[[[0.4, 0.4], [0.6, 0.4], [0.6, 0.5], [0.4, 0.5]]]", "[[[0, 0], [1, 0], [1, 1], [0, 1]]]"]))
    >>> frame = ScreenFrame(Monitor(2, 1280, 0, 1280, 800), (1280, 800))
    >>> shot = Image.new("RGB", (1280, 800))
    >>> plan_target(seg.segment(shot, "the button"), frame, AgentConfig()).xy_action
    (1920, 360)
    >>> plan_target(seg.segment(shot, "the screen"), frame, AgentConfig())
    Traceback (most recent call last):
    ...
    simpleseg_agent.errors.ActionError: the shape covers 100% of the monitor (max_area_fraction is 90%): not a plausible target
"""

from __future__ import annotations

from ..errors import ActionError
from ..geometry import point_in_region
from ..grammar import CoordSpace
from ..grammar.spaces import from_norm
from ..tools.results import Segmentation
from .config import AgentConfig
from .frames import ScreenFrame
from .records import TargetRecord


def plan_target(seg: Segmentation, frame: ScreenFrame, config: AgentConfig, *, space: CoordSpace | str = CoordSpace.NORM) -> TargetRecord:
    """The checked target of ``seg`` (a segmentation of the screenshot of ``frame``); raises ActionError."""
    if not seg.ok:
        err = seg.error
        raise ActionError(f"the model's answer could not be used ({err.kind if err else 'unknown'}): {err.message if err else 'no result'}")
    if tuple(seg.image_wh or ()) != tuple(frame.screenshot_wh):
        raise ActionError(f"the segmentation is of a {seg.image_wh} image but the screenshot is {frame.screenshot_wh}")
    if seg.clamped and not config.allow_clamped:
        raise ActionError(
            f"the answer has coordinates outside the screenshot (clamped to its border): the model may answer in another "
            f"coordinate space than {CoordSpace(space).value!r}; refusing to act (allow_clamped accepts such answers)"
        )
    if config.min_agreement > 0:
        if seg.agreement is None:
            raise ActionError(
                f"min_agreement is {config.min_agreement:g} but the answer was not decoded by consensus: "
                "ask with SimpleSeg(model, decoding=Decoding(samples=K)) (--samples K)")
        if seg.agreement < config.min_agreement:
            raise ActionError(
                f"the model's {seg.samples + 1} answers agreed only {seg.agreement:.2f} (min_agreement is "
                f"{config.min_agreement:g}): not sure enough to act")
    monitor = frame.monitor
    fraction = float(seg.area_norm or 0.0)
    if fraction > config.max_area_fraction:
        raise ActionError(
            f"the shape covers {fraction:.0%} of the monitor (max_area_fraction is {config.max_area_fraction:.0%}): not a plausible target"
        )
    area_px = fraction * monitor.width * monitor.height
    if area_px < config.min_area_px:
        raise ActionError(f"the shape is only {area_px:.1f} square pixels (min_area_px is {config.min_area_px:g}): not a plausible target")
    if seg.click is None:
        raise ActionError("the segmentation has no click point")
    clearance = seg.click.clearance_px / max(frame.scale_xy)  # screenshot pixels -> logical pixels, conservatively
    if clearance < config.min_clearance_px:
        raise ActionError(
            f"the target is only {clearance:.1f} px from the shape's border (min_clearance_px is {config.min_clearance_px:g}): "
            "the shape is too thin to hit safely"
        )
    chain = frame.to_desktop(seg.click.xy_norm)
    centre = frame.to_norm((chain.xy_action[0] + 0.5, chain.xy_action[1] + 0.5))
    if not point_in_region(centre, seg.region()):
        raise ActionError(f"the pixel {chain.xy_action} is not inside the answered shape; refusing to act")
    space = CoordSpace(space)
    model_wh = seg.model_input_wh or seg.image_wh
    xy_model = from_norm(chain.xy_norm, space, resolution_wh=model_wh if space is CoordSpace.PIXELS else None)
    return TargetRecord(
        query=seg.query,
        polygons_xy_norm=[list(p) for p in seg.polygons_xy_norm],
        xyxy_screenshot_px=seg.xyxy_px,
        area_fraction=fraction,
        clearance_px=float(clearance),
        agreement=seg.agreement,
        xy_norm=chain.xy_norm,
        xy_model=(float(xy_model[0]), float(xy_model[1])),
        xy_screenshot_px=chain.xy_screenshot_px,
        xy_monitor=chain.xy_monitor,
        xy_global=chain.xy_global,
        xy_action=chain.xy_action,
        stage=seg.stage,
        words_matched=seg.words_matched,
        candidates=seg.candidates,
    )


__all__ = ["plan_target"]
