"""nbgrader's Execute step, hardened against a kernel that will not stop.

nbgrader stops a cell that runs past its time limit by interrupting the kernel. A submission
whose loop catches KeyboardInterrupt ignores that: the kernel stays busy, nbclient gives up
waiting for its output and nbgrader fails the whole submission, so the student gets no grade at
all (seen with nbgrader 0.9.6). `GuardedExecute` waits a few seconds after the interrupt; when the
kernel is still busy then, it restarts it, and the remaining cells run in a fresh kernel (where the
answers defined before are gone, so the cells that need them score 0). Every student gets a
grade, and the log says which cell it was. An ordinary endless loop stops at the interrupt and
the rest of the notebook is graded as before.

Used in nbgrader_config.py in place of nbgrader.preprocessors.Execute (its config, e.g.
`c.Execute.timeout`, applies unchanged).
"""

from __future__ import annotations

import threading

from jupyter_core.utils import ensure_async
from nbgrader.preprocessors import Execute
from traitlets import Bool


class GuardedExecute(Execute):
    def preprocess(self, nb, resources=None, km=None):
        # A grading sandbox that cannot start stops the whole command-line run with one message
        # (course_utils.grading.sandbox.StopGrading), before the first student's kernel.
        # (nbconvert applies the configured kernel_manager_class only inside preprocess: read the config)
        configured = self.config.get(type(self).__name__, {}).get("kernel_manager_class", "")
        if "grading.sandbox" in str(configured) or getattr(configured, "sandboxed", False):
            from course_utils.grading.sandbox import (
                SandboxUnavailable,
                StopGrading,
                require_bubblewrap,
            )

            try:
                require_bubblewrap()
            except SandboxUnavailable as problem:
                if threading.current_thread() is threading.main_thread():
                    raise StopGrading(str(problem)) from None
                raise
        return super().preprocess(nb, resources, km)

    # A busy kernel must not fail the whole submission: it is restarted instead (module docstring).
    # nbclient then waits iopub_timeout seconds (4) for the interrupted cell to finish: the grace.
    raise_on_iopub_timeout = Bool(False).tag(config=True)

    async def _async_poll_for_reply(self, msg_id, cell, timeout, task_poll_output_msg, task_poll_kernel_alive):
        reply = await super()._async_poll_for_reply(msg_id, cell, timeout, task_poll_output_msg,
                                                    task_poll_kernel_alive)
        timed_out = reply.get("content", {}).get("ename") == self.error_on_timeout.get("ename")
        if timed_out and task_poll_output_msg.cancelled():  # interrupted, and still busy
            where = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id")
            self.log.error("The kernel ignored the interrupt (a loop that catches KeyboardInterrupt?) "
                           "in cell %s: restarting it; the cells after it run in a fresh kernel.", where)
            await ensure_async(self.km.restart_kernel(now=True))
            await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))
        return reply
