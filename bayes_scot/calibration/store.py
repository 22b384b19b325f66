"""A study's results on disk: one Parquet file per finished chunk of simulations.

Each chunk is written to a temporary file and renamed into place when complete, so the
store never holds half a chunk: a study killed mid-way keeps every finished chunk, and
``resume`` runs only the chunks that are missing. ``study.json`` records what the study
is (spec, family, prior, simulations, chunk size, seed, sampler settings); resuming a
different study in the same folder is refused.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from bayes_scot.errors import SpecError

__all__ = ["ChunkStore"]

_CHUNK = re.compile(r"^chunk-(\d{6})\.parquet$")


class ChunkStore:
    """Parquet files ``chunks/chunk-NNNNNN.parquet`` and ``study.json`` under a folder.

    Parameters
    ----------
    folder : path-like
        The study's output folder (created when missing).
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder).expanduser().absolute()
        self.chunks = self.folder / "chunks"

    @property
    def manifest_path(self) -> Path:
        """The study's description, ``study.json``."""
        return self.folder / "study.json"

    def open(self, study: Mapping[str, Any], *, resume: bool) -> None:
        """Start a study, or continue one with the same description.

        Parameters
        ----------
        study : mapping
            JSON-serialisable description of the study.
        resume : bool
            Continue the finished chunks of an earlier run of the same study. Without
            it, a folder that already holds chunks is refused.

        Raises
        ------
        SpecError
            If the folder holds another study, or chunks while ``resume`` is False.
        """
        wanted = json.loads(json.dumps(dict(study)))
        if self.manifest_path.exists():
            found = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            if not resume and self.finished():
                raise SpecError("holds finished chunks of a study; pass --resume to "
                                "continue it or choose a new folder", file=str(self.folder))
            if resume and found != wanted:
                changed = sorted(k for k in set(found) | set(wanted)
                                 if found.get(k) != wanted.get(k))
                raise SpecError(f"holds a different study (differs in {changed}); "
                                "choose a new folder", file=str(self.folder))
        self.chunks.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(wanted, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, self.manifest_path)

    def finished(self) -> list[int]:
        """Return the indices of the chunks on disk, in order."""
        if not self.chunks.is_dir():
            return []
        found = (_CHUNK.match(p.name) for p in self.chunks.iterdir())
        return sorted(int(m.group(1)) for m in found if m)

    def write(self, index: int, rows: pd.DataFrame) -> Path:
        """Write one finished chunk, atomically (temporary file, then rename)."""
        path = self.chunks / f"chunk-{index:06d}.parquet"
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        rows.to_parquet(tmp, index=False)
        os.replace(tmp, path)
        return path

    def read(self) -> pd.DataFrame:
        """Return every finished chunk's rows, in chunk order."""
        frames = [pd.read_parquet(self.chunks / f"chunk-{i:06d}.parquet")
                  for i in self.finished()]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
