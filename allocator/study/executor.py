"""Running many independent solves: locally in processes, or on any executor (Dask).

:func:`run_tasks` is the one place that fans work out. It takes a function
and a list of plain tasks (picklable data, such as a scenario dumped to a
dict and solver settings), submits each to a
:class:`concurrent.futures.Executor` and yields each result as soon as it
finishes. The executor decides where the work runs:

- none given: a local :class:`~concurrent.futures.ProcessPoolExecutor`
  started with ``spawn`` (no state inherited from the caller), or the
  caller's own process when one process is asked for;
- a Dask cluster: ``distributed.Client(address).get_executor()`` (the
  function must then be importable on the workers, i.e. genhus installed).

The function must be a module-level function (so that it pickles) that
takes one task and returns plain data; it should catch its own expected
failures and return them as data. A task that raises anyway, or whose
worker dies, comes back as a :class:`Finished` with ``error`` set: one bad
task never stops the others.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["Finished", "dask_executor", "local_processes", "run_tasks"]

T = TypeVar("T")
R = TypeVar("R")


@dataclass(frozen=True)
class Finished(Generic[R]):
    """A finished task: its index in the task list and its value, or why it failed.

    Attributes
    ----------
    index : int
        Position of the task in the list given to :func:`run_tasks`.
    value : R or None
        What the function returned; ``None`` if it raised.
    error : str or None
        The exception (type and message) if the function raised or its
        worker was lost; ``None`` on success.
    """

    index: int
    value: R | None
    error: str | None = None


def local_processes(workers_per_task: int, tasks: int, cores: int | None = None) -> int:
    """How many local processes to run so that processes × workers ≤ cores.

    Parameters
    ----------
    workers_per_task
        Threads each task uses (CP-SAT workers per variant).
    tasks
        Number of tasks (never more processes than tasks).
    cores
        Cores to use; default :func:`os.cpu_count`.

    Returns
    -------
    int
        At least 1.
    """
    available = cores or os.cpu_count() or 1
    return max(1, min(tasks, available // max(1, workers_per_task)))


def run_tasks(
    function: Callable[[T], R],
    tasks: Sequence[T],
    executor: Executor | None = None,
    *,
    processes: int = 1,
    on_submit: Callable[[int], None] | None = None,
) -> Iterator[Finished[R]]:
    """Run ``function`` on every task and yield the results as they finish.

    Parameters
    ----------
    function
        A module-level function of one task returning plain data. With a
        fixed seed and one solver worker per task, the results do not
        depend on where or in which order the tasks run.
    tasks
        Plain, picklable task data.
    executor
        Where to run: any :class:`concurrent.futures.Executor` (for Dask,
        ``distributed.Client(address).get_executor()``). It is used, not
        shut down. ``None``: local processes (see ``processes``).
    processes
        Without an executor: the number of local processes (``spawn``);
        1 runs the tasks one after the other in this process.
        :func:`local_processes` gives a number that respects the cores.
    on_submit
        Called with a task's index when it has been handed to the executor.

    Yields
    ------
    Finished
        One per task, in the order they finish (in task order when run in
        this process).
    """
    if executor is None and processes <= 1:
        for index, task in enumerate(tasks):
            if on_submit is not None:
                on_submit(index)
            yield _call(function, index, task)
        return
    if executor is None:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=processes, mp_context=context) as pool:
            yield from _fan_out(function, tasks, pool, on_submit)
        return
    yield from _fan_out(function, tasks, executor, on_submit)


def _call(function: Callable[[T], R], index: int, task: T) -> Finished[R]:
    try:
        return Finished(index, function(task))
    except Exception as exc:  # a task's failure is its result, not the caller's
        return Finished(index, None, f"{type(exc).__name__}: {exc}")


def _fan_out(
    function: Callable[[T], R],
    tasks: Sequence[T],
    executor: Executor,
    on_submit: Callable[[int], None] | None,
) -> Iterator[Finished[R]]:
    futures: dict[Future[R], int] = {}
    for index, task in enumerate(tasks):
        futures[executor.submit(function, task)] = index
        if on_submit is not None:
            on_submit(index)
    for future in as_completed(futures):
        index = futures[future]
        try:
            yield Finished(index, future.result())
        except Exception as exc:  # raised in the task, or its worker was lost
            yield Finished(index, None, f"{type(exc).__name__}: {exc}")


@contextmanager
def dask_executor(address: str) -> Iterator[Executor]:
    """An executor on the Dask distributed scheduler at ``address``, closed on exit.

    Parameters
    ----------
    address
        The scheduler, e.g. ``tcp://10.0.0.5:8786`` (``dask scheduler`` and
        ``dask worker`` started there, genhus installed on every worker).

    Yields
    ------
    concurrent.futures.Executor
        ``distributed.Client(address).get_executor()``.
    """
    from distributed import Client  # imported only when a cluster is used

    # distributed's Client has no type annotations
    client = Client(address)  # type: ignore[no-untyped-call]
    try:
        yield client.get_executor()  # type: ignore[no-untyped-call]
    finally:
        client.close()  # type: ignore[no-untyped-call]
