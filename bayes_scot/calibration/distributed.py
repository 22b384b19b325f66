"""Run a study's chunks in this process or on Dask distributed, storing each as it ends.

By default a :class:`dask.distributed.LocalCluster` of worker processes on this machine;
with a scheduler address, any Dask cluster. One task is one chunk of simulations (one
BlackJAX batch); each worker builds and compiles the model once, on its first chunk, and
reuses it for every later one (:func:`bayes_scot.calibration.study.context`). Finished
chunks are written to the study's Parquet store as they arrive, so an interrupted study
loses only the chunks in flight; ``resume`` runs only the missing ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd

from bayes_scot.calibration.store import ChunkStore
from bayes_scot.calibration.study import StudyPlan, eta, run_chunk
from bayes_scot.errors import SpecError

__all__ = ["run_study"]


def run_study(
    plan: StudyPlan,
    store: ChunkStore,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    progress: Callable[[str], None] | None = None,
) -> None:
    """Run every chunk of ``plan`` not yet in ``store``.

    Parameters
    ----------
    plan : StudyPlan
    store : ChunkStore
    workers : int, optional
        ``0`` runs the chunks one after another in this process; a positive number
        starts a LocalCluster of that many single-threaded worker processes; default 1
        worker, or the cluster's workers when ``scheduler`` is given.
    scheduler : str, optional
        Address of a running Dask scheduler (``tcp://host:8786``); connected to before
        anything is written to ``store``.
    resume : bool, default False
        Continue a study whose folder holds finished chunks.
    progress : callable, optional
        Receives one line per finished chunk, with an ETA.

    Raises
    ------
    SpecError
        When no scheduler answers at ``scheduler`` (the store is left as it was).
    """
    done = set(store.finished())
    todo = [index for index, _, _ in plan.chunks if index not in done]
    # An unreachable scheduler is refused before the store is written.
    client = _connect(scheduler) if todo and scheduler is not None else None
    cluster = None
    try:
        store.open(plan.describe(), resume=resume)
        total = len(plan.chunks)
        say = progress or (lambda line: None)
        say(f"bayes-scot: {len(done)} of {total} chunks already finished; {len(todo)} to run")
        started = time.perf_counter()
        finished = 0

        def record(index: int, rows: pd.DataFrame) -> None:
            nonlocal finished
            store.write(index, rows)
            finished += 1
            say(f"bayes-scot: chunk {index} stored; "
                + eta(finished, len(todo), time.perf_counter() - started))

        if not todo:
            return
        if workers == 0 and client is None:
            for index in todo:
                record(index, run_chunk(plan, index))
            return
        from dask.distributed import Client, LocalCluster, as_completed

        if client is None:
            cluster = LocalCluster(n_workers=workers or 1, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        futures = {client.submit(run_chunk, plan, index, pure=False): index
                   for index in todo}
        for future in as_completed(futures):
            record(futures[future], future.result())
    finally:
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()


def _connect(scheduler: str) -> Any:
    """Return a client of the Dask scheduler at ``scheduler``.

    Raises
    ------
    SpecError
        Naming ``scheduler``, when no scheduler answers there (one line, instead of
        Dask's connection error).
    """
    from dask.distributed import Client

    try:
        return Client(scheduler)
    except (OSError, ValueError) as err:
        raise SpecError(f"could not connect to a Dask scheduler at {scheduler!r}: {err}",
                        field="scheduler") from None
