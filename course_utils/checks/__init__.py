"""Graded check functions, one module per notebook (nb01, nb02, ...).

Visible and hidden tests in the notebooks call these. They compare a learner's answer with
PyTorch's own modules or with properties, never with a copy of the solution, and each failure
names the suspect (which axis, which gate, which layer). Every failure is an AssertionError
subclass, so nbgrader marks the cell as failed and the learner reads one clear message.

Shared by all of them: common (calling the learner's code, require*, close, ATOL, and the seeded
fixtures: seeded, seeded_lstm, seeded_randn, generator, untouched; none changes the learner's random
state) and kernel (coded tensors and the window pieces of more than one lesson). The errors live in
course_utils.errors, the message pieces (width, wrapping, shapes as text) in course_utils.messages.
"""
