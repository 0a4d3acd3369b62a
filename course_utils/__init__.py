"""course_utils: the helper package every notebook of the course imports as `cu`.

    import course_utils as cu
    cu.check_shape(out, "batch seq hidden", batch=4, seq=7, hidden=5, name="out")
    cu.show_shapes(out=(out, "batch seq hidden"), h_n=(h_n, "layers batch hidden"))

Modules, one job each: errors (every error class a learner meets), messages (how a message
reads), shapes (named-axis checks that diagnose), lstm (the shapes an nn.LSTM/GRU/RNN returns),
data (offline real data), train (seed, device, training loop, metrics), plots (pictures of
tensors, packing, gates, training), heldout (the test split closed until the graded model is
trained), checks (graded checks, one module per notebook), explain (PyTorch's errors in the
course's words), display (cu.display.install(), which every setup cell calls: a failed check
shows its message, not internal frames). grading is the instructor's side, never imported here.
Importing the package changes nothing: no handler, no random number drawn. API: docs/API.md.
"""

from . import checks, data, display, heldout, lstm, plots, shapes, train
from .lstm import ShapeTable, expected_shapes, last_layer, split_h_n
from .shapes import AXES, PaddingError, ShapeError, check_shape, describe, show_shapes
from .train import (
    History,
    accuracy,
    epochs_for_grading,
    evaluate,
    fit,
    pick_device,
    report_metrics,
    set_seed,
)

__all__ = [
    "AXES", "PaddingError", "ShapeError", "check_shape", "checks", "data", "describe", "display", "heldout",
    "pick_device", "set_seed", "shapes", "show_shapes",
    "History", "ShapeTable", "accuracy", "epochs_for_grading", "evaluate", "expected_shapes", "fit",
    "last_layer", "lstm", "plots", "report_metrics", "split_h_n", "train",
]
