"""Every graded kernel runs in a sandbox: a student's code sees only its own submission.

nbgrader runs a submission's code as the instructor. Without a sandbox an answer cell can read
classmates' notebooks, rewrite the hidden tests or the gradebook, reach the network, leave
processes behind or take all the memory, with numpy and torch alone (a denylist of names cannot
close that). `SandboxedKernelManager` starts each kernel in bubblewrap (`bwrap`, Debian's and
Ubuntu's package `bubblewrap`, the sandbox under Flatpak): no daemon, no image to build, no
root needed, and one process per kernel, so it costs milliseconds. Docker needs a daemon and
root-equivalent rights; nsjail is not packaged for Debian 12.

Inside the sandbox the kernel has
  * its own submission's working copy, read-only, as its current folder (/home/student/submission);
  * read-only: /usr, the Python environment, the course_utils package and the course's data;
  * two private scratch folders, /home/student (HOME) and /tmp, tmpfs of `scratch_mib` each;
  * no network (its own empty network namespace), its own process namespace, a new session, and
    none of the instructor's environment variables;
and it talks to the grader over Unix sockets in a 1 MiB tmpfs of its own, which the grader reaches
through links to /proc/PID/root. The gradebook, the source notebooks, other submissions and the
instructor's home are not in its file system at all.

Limits: every process gets RLIMIT_AS (`memory_mib`), RLIMIT_CPU, RLIMIT_FSIZE and RLIMIT_NPROC
(`prlimit`), and no core files. Run as root, Linux does not apply RLIMIT_NPROC, so the kernel is
then also put in cgroups that cap its processes and threads (pids) and the memory of all its
processes together, when the machine's cgroups can be written. When the kernel stops (shutdown,
restart, the grader killed), its process namespace ends and every process in it dies.

Used by nbgrader through nbgrader_config.py (`c.GuardedExecute.kernel_manager_class`); off only
when the instructor opts out (`LSTM_COURSE_SANDBOX=off`). When bubblewrap cannot start, grading
stops with one message that says how to fix it (`SandboxUnavailable`).
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Int, List, Unicode

RUN = "/run/kernel"            # inside: the connection file and the kernel's sockets
HOME = "/home/student"         # inside: the scratch folder (HOME, TMPDIR)
WORK = HOME + "/submission"    # inside: the submission's working copy, read-only
# the only environment variables a kernel gets from the grader (tokens and paths stay outside)
PASS_ENV = ("NBGRADER_EXECUTION", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "PYTHONHASHSEED",
            "LANG", "LC_ALL", "TZ", "LSTM_COURSE_DATA", "LSTM_COURSE_SITE", "PYTHONPATH")
# what a Python process needs from /etc (not passwd, shadow, ssh, ...)
ETC = ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d", "/etc/localtime",
       "/etc/fonts", "/etc/alternatives", "/etc/nsswitch.conf", "/etc/mime.types")
FIX = ("Fix:  install bubblewrap (sudo apt install bubblewrap) and allow user namespaces "
       "(Ubuntu 24.04: sudo sysctl kernel.apparmor_restrict_unprivileged_userns=0);\n"
       "      or, knowing that submissions then run with your rights, opt out: "
       "LSTM_COURSE_SANDBOX=off (docs: INSTRUCTORS.md, 'The grading sandbox').")


class SandboxUnavailable(RuntimeError):
    """bubblewrap cannot start here (the message says why, and how to fix it)."""


class StopGrading(KeyboardInterrupt):
    """The same, raised on nbgrader's command line (course_utils.grading.executor). A KeyboardInterrupt,
    because nbgrader goes on to the next student after any Exception, and every student would fail
    one by one: this stops the run, and the student being graded stays ungraded, to be graded again.
    In a server (formgrader's Autograde button) the RuntimeError is kept: it becomes the error the
    page shows, where a KeyboardInterrupt would stop the server's event loop."""


def bwrap() -> str:
    return shutil.which("bwrap") or "/usr/bin/bwrap"


_FIND = "import importlib.util as u; print(u.find_spec('course_utils').submodule_search_locations[0])"
_found: dict[str, str] = {}


def course_paths() -> list[str]:
    """The course_utils package a kernel imports, and the data folder it reads
    (course_utils.data.fetch.data_dir()'s). Asked of the kernel's Python itself, from a neutral
    folder: the grader may have imported another copy (nbgrader puts the course folder on its
    path), and importing course_utils here would import torch."""
    if "package" not in _found:
        done = subprocess.run([sys.executable, "-c", _FIND], cwd="/", capture_output=True, text=True)
        _found["package"] = str(Path(done.stdout.strip()).resolve()) if done.returncode == 0 else ""
    package = _found["package"]
    if not package:
        return []
    data = os.environ.get("LSTM_COURSE_DATA") or str(Path(package).parent / "data")
    return [package, data]


def python_paths() -> list[str]:
    """The interpreter, its standard library and every package folder the grader's Python sees
    (a JupyterHub image may add one through a .pth file or PYTHONPATH). A folder that holds an
    nbgrader course (nbgrader_config.py: solutions, gradebook) is never among them."""
    exe = os.path.realpath(sys.executable)
    paths = {sys.prefix, sys.base_prefix, os.path.dirname(os.path.dirname(exe))}
    extra = [p for p in sys.path if "site-packages" in p or "dist-packages" in p]
    extra += os.environ.get("PYTHONPATH", "").split(os.pathsep)
    paths |= {p for p in extra if p and os.path.isdir(p) and not os.path.exists(os.path.join(p, "nbgrader_config.py"))}
    return sorted(paths)


def system_args() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    for path in ETC:
        args += ["--ro-bind-try", path, path]
    # torch reads the CPU topology; nothing else of /sys
    args += ["--ro-bind-try", "/sys/devices/system/cpu", "/sys/devices/system/cpu"]
    return args


def sandbox_argv(*, workdir: str, connection_fd: int, read_only=(), scratch_mib: int = 1024,
                 info_fd: int | None = None) -> list[str]:
    """bwrap's arguments up to `--`: the file system, namespaces and environment of one kernel.

    workdir: the submission's working copy (host path), bound read-only at WORK.
    connection_fd: an open file holding the kernel's connection file, copied into the sandbox (the
    kernel may rewrite it: ipykernel merges its own view into it).
    """
    args = [bwrap(), "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc",
            "--unshare-uts", "--unshare-cgroup-try", "--disable-userns", "--die-with-parent",
            "--new-session", "--uid", "1000", "--gid", "1000", "--hostname", "sandbox"]
    args += system_args()
    # the scratch folders first: a course or a Python that lives under /tmp is bound on top of them
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", str(scratch_mib << 20), "--tmpfs", "/tmp",
             "--size", str(scratch_mib << 20), "--tmpfs", HOME]
    for path in [*python_paths(), *course_paths(), *read_only]:
        if not path.startswith("/usr/"):
            args += ["--ro-bind-try", path, path]
    args += ["--ro-bind", workdir, WORK, "--chdir", WORK,
             "--size", str(1 << 20), "--tmpfs", RUN,
             "--file", str(connection_fd), RUN + "/connection.json",
             "--remount-ro", "/", "--clearenv",
             "--setenv", "HOME", HOME, "--setenv", "TMPDIR", "/tmp", "--setenv", "USER", "student",
             "--setenv", "PATH", f"{os.path.dirname(sys.executable)}:/usr/bin:/bin",
             "--setenv", "PYTHONDONTWRITEBYTECODE", "1", "--setenv", "MPLCONFIGDIR", HOME + "/.matplotlib"]
    for name in PASS_ENV:
        if name in os.environ:
            args += ["--setenv", name, os.environ[name]]
    if info_fd is not None:
        args += ["--info-fd", str(info_fd)]
    return args


def limit_argv(*, memory_mib: int, cpu_seconds: int, max_processes: int, max_file_mib: int) -> list[str]:
    """prlimit's arguments: the limits every process in the sandbox inherits."""
    return ["prlimit", f"--as={memory_mib << 20}", f"--cpu={cpu_seconds}", f"--nproc={max_processes}",
            f"--fsize={max_file_mib << 20}", "--core=0", "--"]


_probed: dict[str, str] = {}


def require_bubblewrap() -> None:
    """Start Python in one sandbox (about 60 ms), once per process; SandboxUnavailable when it fails."""
    if "ok" in _probed:
        return
    with tempfile.TemporaryDirectory(prefix="lstm-sandbox-probe-") as private:
        Path(private, "connection.json").write_text("{}")
        connection = os.open(os.path.join(private, "connection.json"), os.O_RDONLY)
        argv = sandbox_argv(workdir=private, connection_fd=connection, scratch_mib=1)
        try:
            run = subprocess.run([*argv, "--", sys.executable, "-c", "pass"], pass_fds=(connection,),
                                 capture_output=True, text=True, timeout=60)
            problem = run.stderr.strip().splitlines()[-1:] if run.returncode else None
        except FileNotFoundError:
            problem = ["bwrap is not installed"]
        except subprocess.TimeoutExpired:
            problem = ["a test sandbox did not finish in 60 s"]
        finally:
            os.close(connection)
    if problem:
        raise SandboxUnavailable(
            "The grading sandbox cannot start on this machine, so nothing was graded "
            f"(bubblewrap said: {problem[0] if problem else '?'}).\n{FIX}")
    _probed["ok"] = "yes"


class Cgroups:
    """One pids and one memory cgroup for a kernel run as root (Linux ignores RLIMIT_NPROC for
    root): cgroup v2 at /sys/fs/cgroup, or v1's pids and memory hierarchies. Empty when they
    cannot be written (not root, read-only cgroups): the rlimits still apply."""

    def __init__(self, name: str, memory_mib: int, max_processes: int):
        self.dirs: list[Path] = []
        if os.geteuid() != 0:
            return
        root = Path("/sys/fs/cgroup")
        if (root / "cgroup.controllers").exists():
            wanted = {"pids.max": str(max_processes), "memory.max": str(memory_mib << 20),
                      "memory.swap.max": "0"}
            self._make(root / name, wanted)
        else:
            self._make(root / "pids" / name, {"pids.max": str(max_processes)})
            self._make(root / "memory" / name, {"memory.limit_in_bytes": str(memory_mib << 20)})
        if len(self.dirs) != (1 if (root / "cgroup.controllers").exists() else 2):
            self.remove()

    def _make(self, path: Path, limits: dict) -> None:
        try:
            path.mkdir()
            self.dirs.append(path)
            for key, value in limits.items():
                if (path / key).exists() or key != "memory.swap.max":
                    (path / key).write_text(value)
        except OSError:
            pass

    def wrap(self, argv: list[str]) -> list[str]:
        """argv run from inside the cgroups: a shell joins them, then execs argv."""
        if not self.dirs:
            return argv
        join = 'while [ "$1" != -- ]; do echo $$ > "$1" || exit 97; shift; done; shift; exec "$@"'
        return ["/bin/sh", "-c", join, "sh", *[str(d / "cgroup.procs") for d in self.dirs], "--", *argv]

    def remove(self) -> None:
        for path in self.dirs:
            for _ in range(50):
                try:
                    for pid in (path / "cgroup.procs").read_text().split():
                        os.kill(int(pid), 9)
                    path.rmdir()
                    break
                except ProcessLookupError:
                    continue
                except OSError:
                    time.sleep(0.1)
        self.dirs = []


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in bubblewrap (module docstring). Configure it in
    nbgrader_config.py, e.g. c.SandboxedKernelManager.memory_mib = 8192."""

    sandboxed = True  # what course_utils.grading.executor looks for

    memory_mib = Int(4096, help="memory limit of each kernel process, MiB").tag(config=True)
    cpu_seconds = Int(1800, help="CPU time limit of each kernel process, seconds").tag(config=True)
    max_processes = Int(256, help="processes and threads a kernel may have at once").tag(config=True)
    max_file_mib = Int(1024, help="largest file a kernel may write, MiB").tag(config=True)
    scratch_mib = Int(1024, help="size of each of the kernel's scratch folders (HOME, /tmp), MiB").tag(config=True)
    read_only = List(Unicode(), help="more host paths a kernel may read (same path inside)").tag(config=True)

    _private: str | None = None
    _cgroups: Cgroups | None = None

    async def _async_pre_start_kernel(self, **kw):
        require_bubblewrap()
        self.transport, self.ip = "ipc", RUN + "/k"   # the kernel's view; the grader's is set at launch
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        self.kernel_spec.interrupt_mode = "message"   # a signal would reach bwrap, not the kernel
        self._private = self._private or tempfile.mkdtemp(prefix="lstm-sandbox-")  # kept over restarts
        self._connection = os.open(self.connection_file, os.O_RDONLY)
        host_file = os.path.realpath(self.connection_file)
        cmd = [RUN + "/connection.json" if arg == host_file else arg for arg in cmd]
        workdir = os.path.abspath(kw.pop("cwd", None) or os.getcwd())
        self._info_r, info_w = os.pipe()
        argv = sandbox_argv(workdir=workdir, connection_fd=self._connection, read_only=self.read_only,
                            scratch_mib=self.scratch_mib, info_fd=info_w)
        limits = limit_argv(memory_mib=self.memory_mib, cpu_seconds=self.cpu_seconds,
                            max_processes=self.max_processes, max_file_mib=self.max_file_mib)
        self._cgroups = Cgroups(os.path.basename(self._private), self.memory_mib, self.max_processes)
        kw["pass_fds"] = (info_w, self._connection)
        kw["cwd"] = self._private
        self._info_w = info_w
        return self._cgroups.wrap([*argv, "--", *limits, *cmd]), kw

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            os.close(self._info_w)
            os.close(self._connection)
        child = self._read_child_pid()
        # The grader reaches the kernel's sockets inside the sandbox's own file system, through
        # links in its private folder: a restarted kernel has a new PID, and the clients already
        # connected to the links reconnect to the new kernel by themselves.
        self.ip = os.path.join(self._private, "k")
        for port in (self.shell_port, self.iopub_port, self.stdin_port, self.hb_port, self.control_port):
            link = f"{self.ip}-{port}"
            if os.path.lexists(link):
                os.remove(link)
            os.symlink(f"/proc/{child}/root{RUN}/k-{port}", link)

    def _read_child_pid(self, timeout: float = 30) -> int:
        data, deadline = b"", time.monotonic() + timeout
        with os.fdopen(self._info_r, "rb", buffering=0) as info:
            while b"}" not in data and time.monotonic() < deadline:
                ready, _, _ = select.select([info], [], [], 0.5)
                if ready:
                    chunk = info.read(4096)
                    if not chunk:
                        break
                    data += chunk
        try:
            return int(json.loads(data)["child-pid"])
        except (ValueError, KeyError):
            raise SandboxUnavailable(
                "A grading sandbox did not start (bubblewrap wrote its error above).\n" + FIX) from None

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if self._cgroups is not None:
            self._cgroups.remove()
        if self._private and not restart:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None
