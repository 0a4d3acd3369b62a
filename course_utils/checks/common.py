"""Pieces shared by the graded checks of every notebook."""

from __future__ import annotations

import contextlib
import functools

import torch

from ..errors import CheckFailed, NotDoneYet
from ..messages import fmt, not_written_yet, quote_error

__all__ = [  # CheckFailed, NotDoneYet, not_written_yet and quote_error are imported from here too
    "ATOL", "ATOL_EXACT", "CheckFailed", "also_other_sizes", "NotDoneYet", "calling", "close", "keep", "max_difference", "not_written_yet",
    "on_gpu", "passed", "quote_error", "require", "require_close", "require_tensor", "require_unchanged",
    "generator", "seeded", "seeded_lstm", "seeded_randn", "untouched",
]


@contextlib.contextmanager
def calling(fn_name: str):
    """Run a learner's function; turn its NotImplementedError into a message that says what to do.

    Any other error from inside the learner's code is left alone: its traceback points at their line.
    """
    __tracebackhide__ = True
    try:
        yield
    except NotImplementedError:
        raise NotDoneYet(not_written_yet(fn_name)) from None


def also_other_sizes(other: dict):
    """A visible call (no keywords) also tries `other`: sizes that are not the notebook's globals."""

    def wrap(check):
        @functools.wraps(check)
        def visible(fn, **kwargs):
            __tracebackhide__ = True
            check(fn, **kwargs)
            if not kwargs:
                check(fn, **other)
        return visible
    return wrap


def passed(what: str) -> None:
    """One line that tells the learner the visible check passed (hidden tests run when graded)."""
    print(f"PASSED {what}")


def require(condition: bool, message: str) -> None:
    __tracebackhide__ = True
    if not condition:
        raise CheckFailed(message)


def require_tensor(value, name: str) -> torch.Tensor:
    __tracebackhide__ = True
    from ..shapes import _type_problem

    problem = _type_problem(value, name)
    if problem is not None:
        raise problem
    return value


# --- fixtures: seeded modules and inputs that leave the learner's random state alone ---------------


def untouched():
    """A block after which torch's global random state is as it was before, whatever it drew: for a
    learner's code that draws (an nn.Embedding they build, their dropout) while a check runs it."""
    return torch.random.fork_rng(devices=[])


@contextlib.contextmanager
def seeded(seed: int):
    """Inside the block torch's global generator starts from `seed`; after it, the learner's state is
    back as it was. For fixtures drawn from the global generator (nn.Linear, nn.LSTM, torch.randn
    without a generator) and for dropout that must draw the same masks for two modules in a row.
    """
    with untouched():
        torch.manual_seed(seed)
        yield


def generator(seed: int) -> torch.Generator:
    """A private generator fixed by `seed`, for torch.randint, torch.randperm, torch.rand, ..."""
    return torch.Generator().manual_seed(seed)


def seeded_lstm(input_size: int, hidden_size: int, *, seed: int = 0, **kwargs) -> torch.nn.LSTM:
    """An nn.LSTM with weights fixed by `seed`; the learner's random state is left untouched.

    kwargs go to nn.LSTM (num_layers, batch_first, bidirectional, dropout, proj_size); the
    warning about dropout with one layer is silenced, since checks build such fixtures on purpose.
    """
    import warnings

    with torch.random.fork_rng(devices=[]), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        torch.manual_seed(seed)
        return torch.nn.LSTM(input_size, hidden_size, **kwargs)


def seeded_randn(*shape: int, seed: int = 1, dtype=torch.float32) -> torch.Tensor:
    """torch.randn(*shape) from a private generator: the same numbers for every learner and run."""
    return torch.randn(*shape, generator=generator(seed), dtype=dtype)


# --- comparisons ------------------------------------------------------------------------------------

ATOL = 1e-5        # the learner computes it their own way: float sums in another order
ATOL_EXACT = 1e-6  # the check copied the weights itself (nb05): the numbers agree to float rounding


def close(got, want: torch.Tensor, atol: float = ATOL, rtol: float = 1e-5) -> bool:
    """True when `got` is a tensor of want's shape whose values match want's (on want's device)."""
    return (isinstance(got, torch.Tensor) and tuple(got.shape) == tuple(want.shape)
            and torch.allclose(got.detach().to(want.device, want.dtype), want.detach(), rtol=rtol, atol=atol))


def max_difference(got: torch.Tensor, want: torch.Tensor) -> str:
    """The largest absolute difference, for a message: '0.31 at [2, 0, 4]'."""
    diff = (got.detach().to(want.device, want.dtype) - want.detach()).abs()
    where = [int(i) for i in torch.nonzero(diff == diff.max())[0]] if diff.numel() else []
    return f"{diff.max().item():.3g} at {where}"


def require_close(got, want: torch.Tensor, name: str, *, explain=(), fix: str = "",
                  atol: float = ATOL) -> None:
    """Fail unless `got` matches `want`; the message is the first known mistake that explains it.

    explain: (tensor, message) pairs, the values `got` would have under each known mistake, in
    order; the first one `got` equals supplies the message. With none, say how far off and where.
    Shapes are the caller's business (check_shape first): this compares values.
    """
    __tracebackhide__ = True
    if close(got, want, atol):
        return
    for value, message in explain:
        if close(got, value, atol):
            raise CheckFailed(message)
    fix_line = f"\n  Fix:  {fix}" if fix else ""
    raise CheckFailed(
        f"{name} has the right shape {tuple(want.shape)} but other values: off by up to "
        f"{max_difference(got, want)}.{fix_line}"
    )


# --- a stand-in for lengths that live on a GPU ------------------------------------------------------

CUDA_LENGTHS_ERROR = ("'lengths' argument should be a 1D CPU int64 tensor, but got 1D cuda:0 Long "
                      "tensor")


def _asks_for_cpu(args, kwargs) -> bool:
    for a in list(args[1:]) + list(kwargs.values()):
        if (isinstance(a, str) and a.startswith("cpu")) or (isinstance(a, torch.device) and a.type == "cpu"):
            return True
    return False


class LengthsOnGPU(torch.Tensor):
    """Lengths that behave as if they lived on a GPU, on a machine without one.

    Every operation works as on a CUDA tensor and keeps it "on the GPU", except `.cpu()`,
    `.to("cpu")` (or any call that names the CPU device) and `.tolist()`; when it reaches
    pack_padded_sequence unmoved, PyTorch's error for CUDA lengths is raised, word for word.
    """

    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        if name == "_pack_padded_sequence":
            raise RuntimeError(CUDA_LENGTHS_ERROR)
        if name == "numpy":
            raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to "
                            "copy the tensor to host memory first.")
        to_cpu = name == "cpu" or (name in ("to", "as_tensor", "tensor") and _asks_for_cpu(args, kwargs))
        with torch._C.DisableTorchFunctionSubclass():
            result = func(*args, **kwargs)
            if to_cpu and isinstance(result, torch.Tensor):
                return result.as_subclass(torch.Tensor)
        if isinstance(result, (str, int, float, bool, list)) or result is None:
            return result
        return torch._tensor._convert(result, cls)


def on_gpu(lengths: torch.Tensor) -> torch.Tensor:
    """The lengths the check hands over: real CUDA ones where there is a GPU, else the stand-in."""
    if torch.cuda.is_available():
        return lengths.to("cuda")
    return lengths.clone().as_subclass(LengthsOnGPU)


# --- inputs come back unchanged ------------------------------------------------------------------------


def keep(**tensors) -> dict:
    """Copies of the tensors a check hands to the learner, taken before the call (see require_unchanged)."""
    return {name: t.detach().clone().as_subclass(torch.Tensor) for name, t in tensors.items()}


def require_unchanged(call: str, kept: dict, **given) -> None:
    """Fail when the learner's call changed a tensor it was given: its shape or its numbers.

    An answer that transposes, fills or subtracts in place (transpose_, masked_fill_, lengths -= 1,
    x[...] = ...) can return the right result and still break the caller, who reads that tensor
    again (a training loop reuses its mask, its lengths, its batch). `kept` comes from keep().
    """
    __tracebackhide__ = True
    for name, now in given.items():
        now = now.detach().as_subclass(torch.Tensor)
        if now.device != kept[name].device:   # a stand-in for GPU lengths compares on the CPU
            now = now.cpu()
        message = _in_place_message(call, name, now, kept[name])
        if message:
            raise CheckFailed(message)


def _in_place_message(call: str, name: str, now: torch.Tensor, before: torch.Tensor) -> str | None:
    if tuple(now.shape) == tuple(before.shape) and torch.equal(now, before):
        return None
    head = f"{call} changed {name} in place:\n"
    why = (f"  The caller still needs {name} as it was (a training loop reads it again).\n"
           "  Methods ending in _ (transpose_, masked_fill_, sub_), -= and x[...] = write into it.\n")
    was = f"  {name} was {fmt(before.shape)}, now {fmt(now.shape)}"
    if tuple(now.shape) != tuple(before.shape):
        if before.dim() >= 2 and now.dim() == before.dim() and torch.equal(now, before.transpose(0, 1)):
            return (head + was + ": transpose_ (or t_) swapped its axes.\n" + why
                    + f"  Fix:  x = {name}.transpose(0, 1)    a new view; {name} keeps its layout")
        return (head + was + ".\n" + why
                + f"  Fix:  x = {name}.clone()    then reshape x; or the method without the trailing _")
    if now.is_floating_point() and bool(torch.isinf(now).any()) and not bool(torch.isinf(before).any()):
        return (head + "  -inf was written into it (masked_fill_, or an assignment).\n" + why
                + f"  Fix:  filled = {name}.masked_fill(~m, float('-inf'))    a new tensor")
    if now.dtype != torch.bool and not now.dtype.is_complex and torch.equal(now, before - 1):
        return (head + "  every value is 1 lower (-= 1, or sub_).\n" + why
                + f"  Fix:  last = {name} - 1    a new tensor; {name} stays as it was")
    changed = int((now != before).sum())
    if not bool(now[now != before].any()):
        return (head + f"  {changed} of its {now.numel()} values were set to 0 (zero_, fill_, or x[...] = 0).\n"
                + why + f"  Fix:  x = {name}.clone()    then change x; {name} stays as it was")
    return (head + f"  {changed} of its {now.numel()} values changed.\n" + why
            + f"  Fix:  x = {name}.clone()    then change x; or use operations that return a new tensor")
