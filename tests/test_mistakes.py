"""docs/mistakes.md is current: generated from the lessons' wrong answers and the provoked PyTorch
errors (course_utils.grading.catalogue)."""

from course_utils.grading import catalogue
from course_utils.grading.lessons import assignments


def test_the_catalogue_of_mistakes_is_current():
    assert catalogue.PAGE.exists() and catalogue.PAGE.read_text() == catalogue.render(), \
        "docs/mistakes.md is stale. Fix:  make mistakes"


def test_the_catalogue_counts_every_lesson():
    text = catalogue.render()
    for name in assignments():
        assert f"| [{name}](../solutions/{name}/{name}.ipynb) |" in text
        assert f"## {name}" in text
    assert "## PyTorch's own errors, explained" in text
