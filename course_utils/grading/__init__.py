"""Grading a class: what runs on the instructor's side, never in a learner's notebook.

    sandbox   every graded kernel in a bubblewrap sandbox: no network, no files but its own
              submission, limits on memory, CPU time, processes and file size
    parallel  `python -m course_utils grade ASSIGNMENT --jobs N`: a class graded by N workers,
              resumable after a crash, every grade in the one gradebook

Nothing here is imported by `import course_utils`.
"""
