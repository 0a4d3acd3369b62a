"""course_utils: the helper package every notebook of the course imports as `cu`.

    import course_utils as cu
    cu.check_shape(out, "batch seq hidden", batch=4, seq=7, hidden=5, name="out")
    cu.show_shapes(out=(out, "batch seq hidden"), h_n=(h_n, "layers batch hidden"))

Modules, one job each: shapes (named-axis checks that diagnose), data (offline real data),
train (seed, device, training), checks (graded checks, one module per notebook).
"""

from . import checks, data, shapes
from .shapes import AXES, PaddingError, ShapeError, check_shape, describe, show_shapes
from .train import pick_device, set_seed

__all__ = [
    "AXES", "PaddingError", "ShapeError", "check_shape", "checks", "data", "describe",
    "pick_device", "set_seed", "shapes", "show_shapes",
]
