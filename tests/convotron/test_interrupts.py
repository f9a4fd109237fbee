"""Ctrl-C and ``kill`` as exceptions, held while compiled calls unbox generators (``_interrupts``).

The bug these guard against: a ``SIGTERM`` handled while numba unboxed a generator came out
as ``AttributeError: ... 'PCG64' object has no attribute 'ctypes'`` (a sweep then recorded a
failed cell and ran to the end, exit 1), or as a segmentation fault. The signals here are
real (``os.kill`` of this process); the handlers are the command line's.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from convotron import ConvotronRule, Teacher, parse_spec, run_many
from convotron._compiled import _kernels
from convotron._interrupts import (
    Terminated,
    holding_interrupts,
    interrupt_requested,
    interrupts_as_exceptions,
)
from convotron.data.covariance import Identity
from convotron.data.laws import LAWS, NoiseModel
from convotron.glue.dask import Executor
from convotron.learning._sampling import fused_convotron, source_codes


def _kill(signum: int = signal.SIGTERM) -> None:
    os.kill(os.getpid(), signum)
    for _ in range(1000):  # a few bytecodes: the handler runs between two of them
        pass


def test_a_signal_outside_a_hold_raises_at_once() -> None:
    with interrupts_as_exceptions():
        with pytest.raises(Terminated):
            _kill()
        assert interrupt_requested() is Terminated


def test_a_signal_inside_a_hold_is_raised_when_the_hold_ends() -> None:
    reached = []
    with interrupts_as_exceptions(), pytest.raises(Terminated):
        with holding_interrupts():
            with holding_interrupts():  # nested: raised at the end of the outermost only
                _kill()
                reached.append("inner")
            reached.append("outer")
        reached.append("after")  # pragma: no cover - not reached
    assert reached == ["inner", "outer"]


def test_a_held_signal_wins_over_the_blocks_own_error() -> None:
    with interrupts_as_exceptions(), pytest.raises(Terminated) as info:
        with holding_interrupts():
            _kill()
            raise ValueError("the block's own error")
    assert isinstance(info.value.__context__, ValueError)
    with interrupts_as_exceptions(), pytest.raises(ValueError):  # nothing held: as raised
        with holding_interrupts():
            raise ValueError("alone")


def test_sigint_is_keyboard_interrupt_only_where_python_handles_it() -> None:
    # Python's own handler first, whatever this process inherited: a shell starts a background
    # job (``make test &``) with SIGINT ignored, and then the command line leaves it ignored,
    # which is the second half of this test, not the first.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        with interrupts_as_exceptions(), pytest.raises(KeyboardInterrupt) as info:
            with holding_interrupts():
                _kill(signal.SIGINT)
        assert info.type is KeyboardInterrupt  # not Terminated
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        with interrupts_as_exceptions():  # ignored at start (a background job): stays ignored
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            _kill(signal.SIGINT)
            assert interrupt_requested() is None
    finally:
        signal.signal(signal.SIGINT, previous)


def test_the_handlers_come_back_and_the_record_starts_empty() -> None:
    term, intr = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    with interrupts_as_exceptions():
        with pytest.raises(Terminated):
            _kill()
    assert signal.getsignal(signal.SIGTERM) is term
    assert signal.getsignal(signal.SIGINT) is intr
    with interrupts_as_exceptions():
        assert interrupt_requested() is None


def test_the_inline_executor_unmasks_an_interrupt_that_c_code_disguised() -> None:
    """A task whose exception follows an interrupt raises the interrupt, not a failed task."""

    def disguised(item: int) -> int:
        try:
            _kill()
        except Terminated:  # what the C code did: another exception in its place
            raise AttributeError("'PCG64' object has no attribute 'ctypes'") from None
        return item  # pragma: no cover

    def failing(item: int) -> int:
        raise ValueError(f"task {item} fails")

    with interrupts_as_exceptions():
        ex = Executor("inline")
        assert [type(out) for _, out in ex.run(failing, [1, 2], key=str)] == [ValueError] * 2
        with pytest.raises(Terminated) as info:
            list(ex.run(disguised, [1, 2], key=str))
    assert isinstance(info.value.__cause__, AttributeError)


def _kill_at(call: int, real: Callable[..., Any], calls: list[str]) -> Callable[..., Any]:
    """``real``; its ``call``-th call preceded by a SIGTERM to this process (as if it came
    while the arguments were unboxed)."""

    def wrapper(*args: Any) -> Any:
        if len(calls) + 1 == call:
            _kill()  # inside a hold: held; outside: Terminated here, before the kernel runs
        out = real(*args)
        calls.append("ran")
        return out

    return wrapper


@pytest.mark.parametrize(
    ("kernel", "runs", "stream", "call"),
    [
        ("run_lockstep", 8, "fast", 1),  # lockstep's warm-up call (compiles or loads)
        ("run_lockstep", 8, "fast", 2),  # lockstep's run
        ("run_draws_fast", 1, "fast", 1),  # a run alone: its warm-up
        ("run_draws_fast", 1, "fast", 2),  # a run alone: its updates
        ("run_draws", 1, "numpy", 2),  # a run alone on numpy's stream
    ],
)
def test_compiled_calls_with_generators_hold_the_signal(
    monkeypatch: pytest.MonkeyPatch, kernel: str, runs: int, stream: str, call: int
) -> None:
    """Each of ``run_many``'s kernel calls finishes, then ``Terminated`` is raised."""
    calls: list[str] = []
    monkeypatch.setattr(_kernels, kernel, _kill_at(call, getattr(_kernels, kernel), calls))
    scheme = parse_spec("1d:8,4,2")
    teacher = Teacher.random(scheme, 0.0, np.random.default_rng(0))
    with interrupts_as_exceptions(), pytest.raises(Terminated):
        run_many(ConvotronRule(), teacher, eta=0.1, iters=50, runs=runs, seed=1, workers=1,
                 stream=stream)  # fmt: skip
    assert calls == ["ran"] * call  # the signalled call ran to its end, nothing after it


@pytest.mark.parametrize(("kernel", "stream"), [("run_draws_fast", "fast"), ("run_draws", "numpy")])
def test_fused_convotron_holds_the_signal(
    monkeypatch: pytest.MonkeyPatch, kernel: str, stream: str
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(_kernels, kernel, _kill_at(1, getattr(_kernels, kernel), calls))
    scheme = parse_spec("1d:8,4,2")
    codes = source_codes(LAWS["gaussian"], Identity(8), NoiseModel("none"))
    with interrupts_as_exceptions(), pytest.raises(Terminated):
        fused_convotron(8, scheme.indices, 0.0, np.ones(scheme.r), codes, eta=0.1, iters=50,
                        rng=np.random.default_rng(1), stream=stream)  # fmt: skip
    assert calls == ["ran"]
