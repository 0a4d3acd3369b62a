"""Graded check functions, one module per notebook (nb01, nb02, ...).

Visible and hidden tests in the notebooks call these. They compare a learner's answer with
PyTorch's own modules or with properties, never with a copy of the solution, and each failure
names the suspect (which axis, which gate, which layer). Every failure is an AssertionError
subclass, so nbgrader marks the cell as failed and the learner reads one clear message.
"""
