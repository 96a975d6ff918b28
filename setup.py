"""Build the optional C kernel of the polygon IoU; everything else is declared in pyproject.toml.

The extension is optional: where no C compiler is available the install still succeeds and
``simpleseg_agent.geometry.raster`` falls back to its NumPy implementation (same results, slower).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "simpleseg_agent.geometry._rasterc",
            sources=["simpleseg_agent/geometry/_rasterc.c"],
            extra_compile_args=["-O3"],
            optional=True,
        )
    ]
)
