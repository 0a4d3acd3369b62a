"""An nbconvert preprocessor that keeps hidden tests out of nbgrader's feedback.

nbgrader's feedback HTML shows the autograded notebook, hidden tests included (nbgrader #917).
``ClearHiddenTests`` removes them from the cell source, but a failing cell's traceback still
quotes the hidden line. This preprocessor cuts the traceback of every grade cell to its last
line, ``ErrorName: message`` (wrapped at word boundaries, as in the notebook), which is also what
a learner needs to read.
Used in nbgrader_config.py (``GenerateFeedback.preprocessors``).
"""

from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from ..display import wrap


class ShortenGradeCellTracebacks(Preprocessor):
    enabled = Bool(True).tag(config=True)  # nbconvert preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [wrap(f"{out['ename']}: {out['evalue']}")]
        return cell, resources
