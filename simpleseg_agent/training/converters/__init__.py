"""Converters: public annotation formats -> :class:`~simpleseg_agent.training.records.Record`.

=====================  ======================================================  ==========================
format                 function                                                module (schema documented)
=====================  ======================================================  ==========================
COCO / LVIS JSON       :func:`convert_coco`                                    :mod:`.coco`
RefCOCO / + / g        :func:`convert_refcoco`                                 :mod:`.refcoco`
folder of mask PNGs    :func:`convert_mask_folder`                             :mod:`.masks`
GUI elements (DOM/AX)  :func:`convert_gui_elements`                            :mod:`.gui`
=====================  ======================================================  ==========================

Every converter validates its files at once (:class:`DataError` with the file, line and what was
expected) and returns a :class:`Conversion`: a lazy iterator of records whose ``stats``
(:class:`ConversionStats`) count what was written, filtered and skipped, by reason. Regions are
normalized, clipped to the image, in the canonical vertex order (outer rings clockwise on screen,
y pointing down, starting at the top-most vertex). Image sizes are read from the files (as seen,
EXIF orientation applied) and checked against the sizes the annotations declare.

Example::

    from simpleseg_agent.training.converters import convert_coco
    from simpleseg_agent.training.records import write_records

    conv = convert_coco("instances_val2017.json", "val2017", relative_to="data")
    write_records(conv, "data/records.jsonl")
    print(conv.stats.summary())
"""

from ._common import (
    IMAGE_EXTENSIONS,
    Conversion,
    ConversionStats,
    DataError,
    GeometryOptions,
    read_image_info,
)
from .coco import convert_coco
from .gui import convert_gui_elements, element_expressions, role_word
from .masks import convert_mask_folder, parse_mask_name
from .refcoco import convert_refcoco, load_refs

__all__ = [
    "IMAGE_EXTENSIONS",
    "Conversion",
    "ConversionStats",
    "DataError",
    "GeometryOptions",
    "convert_coco",
    "convert_gui_elements",
    "convert_mask_folder",
    "convert_refcoco",
    "element_expressions",
    "load_refs",
    "parse_mask_name",
    "read_image_info",
    "role_word",
]
