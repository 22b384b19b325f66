"""Checks of the files a user names: bounded reads of inputs, and output targets.

Every file the package reads on a user's behalf (trial files, specifications, curve and
risk-table CSVs) goes through :func:`read_input`, and every file or folder it writes is
checked first by :func:`check_output_file` or :func:`check_output_folder`, before any
model is built. Problems raise :class:`~bayes_scot.errors.EvidenceError` naming the path,
in one line:

* an input must be a regular file (a folder, a FIFO, a device such as ``/dev/zero`` or
  ``/dev/urandom``, or a socket is refused without reading from it) of at most
  :data:`MAX_INPUT_BYTES`;
* an output file must be a regular file or a new path, never a folder, device or FIFO;
* an output folder must be a folder or a new path; and the folder that receives either
  (or the nearest existing folder above a new one) must be writable, which is tested by
  creating and removing a file there, so a read-only mount or a path under a regular file
  (``notes.txt/report``) is found before the work, not after it.

TOML text is parsed by :func:`parse_toml`, which bounds the nesting of tables and arrays:
Python's TOML parser recurses once per level, and a file nested thousands deep would
otherwise exhaust the stack (or, where a library has raised the recursion limit, crash
the interpreter).

Like :mod:`bayes_scot.errors`, this module is importable from every layer.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from bayes_scot.errors import EvidenceError

__all__ = [
    "MAX_INPUT_BYTES",
    "check_output_file",
    "check_output_folder",
    "parse_toml",
    "read_input",
]

MAX_INPUT_BYTES: int = 16 * 1024 * 1024
"""Largest input file read (16 MiB). The largest shipped trial file is about 40 kB and a
digitised curve a few kB; a larger file is almost surely the wrong one."""


#: Open without blocking (a FIFO with no writer) and without becoming a controlling tty.
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)


def _kind(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "a file"
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"  # a door or an event port (Solaris)


def _reason(err: OSError) -> str:
    return err.strerror or type(err).__name__


def read_input(path: str | os.PathLike[str], *, what: str = "file",
               limit: int = MAX_INPUT_BYTES) -> bytes:
    """Read a regular file of at most ``limit`` bytes.

    The file is opened without blocking and checked with ``fstat`` before anything is
    read, so a FIFO or a device never hangs the caller or fills its memory.

    Parameters
    ----------
    path : str or path-like
        The file.
    what : str, default "file"
        What the file is, for messages ("trial file", "curve file").
    limit : int, default :data:`MAX_INPUT_BYTES`
        Largest size accepted, in bytes.

    Returns
    -------
    bytes

    Raises
    ------
    EvidenceError
        If the path does not exist, is not a regular file, cannot be read, or is larger
        than ``limit``; naming the path.
    """
    file = os.fspath(path)
    try:
        fd = os.open(file, _READ_FLAGS)
    except FileNotFoundError:
        raise EvidenceError(f"{what} not found", file=file) from None
    except (OSError, ValueError) as err:
        reason = _reason(err) if isinstance(err, OSError) else str(err)
        if isinstance(err, OSError) and err.errno == errno.EISDIR:
            raise EvidenceError(f"is a folder, not a {what}", file=file) from None
        raise EvidenceError(f"cannot open the {what} ({reason})", file=file) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise EvidenceError(f"is {_kind(info.st_mode)}, not a {what}", file=file)
        if info.st_size > limit:
            raise EvidenceError(
                f"is {info.st_size:,} bytes; a {what} may have at most {limit:,}", file=file
            )
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    except OSError as err:
        raise EvidenceError(f"cannot read the {what} ({_reason(err)})", file=file) from None
    finally:
        os.close(fd)
    if len(data) > limit:  # the file grew while it was read
        raise EvidenceError(f"is larger than {limit:,} bytes, the limit for a {what}", file=file)
    return data


def _probe_writable(folder: Path, target: str, what: str, *, probe: bool = True) -> None:
    """Check that files can be created in ``folder``: permissions, then a real probe.

    ``os.access`` reads the permission bits (and a read-only mount) without touching the
    folder; it says yes to the superuser, and to some network and overlay file systems
    that refuse the write itself, so with ``probe`` a file is then created and removed
    there too (which changes the folder's modification time).
    """
    if not os.access(folder, os.W_OK | os.X_OK):
        raise EvidenceError(
            f"cannot write the {what}: {str(folder)!r} is not writable (permission denied)",
            file=target,
        )
    if not probe:
        return
    try:
        fd, name = tempfile.mkstemp(prefix=".bayes-scot-probe-", dir=folder)
    except OSError as err:
        raise EvidenceError(
            f"cannot write the {what}: {str(folder)!r} is not writable ({_reason(err)})",
            file=target,
        ) from None
    os.close(fd)
    os.unlink(name)


def _nearest_existing(path: Path, target: str, what: str) -> Path:
    """Return the nearest existing ancestor of ``path``; it must be a writable folder."""
    ancestor = path.parent
    while True:
        try:
            info = ancestor.stat()
        except FileNotFoundError:
            ancestor = ancestor.parent
            continue
        except OSError as err:
            raise EvidenceError(f"cannot use the {what} path ({_reason(err)})",
                                file=target) from None
        if not stat.S_ISDIR(info.st_mode):
            raise EvidenceError(
                f"cannot create the {what}: {str(ancestor)!r} is {_kind(info.st_mode)}, "
                "not a folder",
                file=target,
            )
        return ancestor


def _existing_mode(path: Path, target: str, what: str) -> int | None:
    try:
        return path.lstat().st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return None  # a parent is a file: reported by _nearest_existing
    except (OSError, ValueError) as err:
        reason = _reason(err) if isinstance(err, OSError) else str(err)
        raise EvidenceError(f"cannot use the {what} path ({reason})", file=target) from None


def check_output_file(path: str | os.PathLike[str], *, what: str = "output file") -> Path:
    """Check that ``path`` can receive a file written atomically (temporary file, rename).

    Parameters
    ----------
    path : str or path-like
        A regular file (replaced) or a new path (its missing parent folders are created
        when written).
    what : str, default "output file"
        What the file is, for messages.

    Returns
    -------
    pathlib.Path
        The absolute path.

    Raises
    ------
    EvidenceError
        If ``path`` is a folder, device, FIFO or socket, lies under a regular file, or its
        folder is not writable.
    """
    target = os.fspath(path)
    out = Path(target).expanduser().absolute()
    mode = _existing_mode(out, target, what)
    if mode is not None and stat.S_ISLNK(mode):
        try:
            mode = out.stat().st_mode
        except OSError:
            mode = None  # a dangling link: the rename replaces the link itself
    if mode is not None and not stat.S_ISREG(mode):
        raise EvidenceError(
            f"is {_kind(mode)}; the {what} must be a regular file or a new path", file=target
        )
    _probe_writable(_nearest_existing(out, target, what), target, what)
    return out


def check_output_folder(path: str | os.PathLike[str], *, what: str = "output folder") -> Path:
    """Check that ``path`` can receive a folder written atomically (built beside, renamed).

    Parameters
    ----------
    path : str or path-like
        An existing folder or a new path (created with its missing parents).
    what : str, default "output folder"
        What the folder is, for messages.

    Returns
    -------
    pathlib.Path
        The folder's absolute path (not created yet).

    Raises
    ------
    EvidenceError
        If ``path`` exists and is not a folder, lies under a regular file, or the folder
        that receives it (or the existing folder itself) is not writable.
    """
    target = os.fspath(path)
    out = Path(target).expanduser().absolute()
    if out.parent == out:
        raise EvidenceError(f"the {what} cannot be the root folder", file=target)
    mode = _existing_mode(out, target, what)
    if mode is not None and stat.S_ISLNK(mode):
        raise EvidenceError(f"is a symbolic link; give the {what} itself", file=target)
    if mode is not None and not stat.S_ISDIR(mode):
        raise EvidenceError(f"exists and is {_kind(mode)}, not a folder", file=target)
    _probe_writable(_nearest_existing(out, target, what), target, what)
    if mode is not None:  # its contents are replaced or added to; left as it is until then
        _probe_writable(out, target, what, probe=False)
    return out


#: Stack frames the TOML parser may use beyond the caller's: about 100 levels of nested
#: tables or arrays (files in the documented formats nest at most 4).
_TOML_FRAMES = 400


def _stack_depth() -> int:
    frame, depth = sys._getframe(), 0
    while frame is not None:
        frame, depth = frame.f_back, depth + 1  # type: ignore[assignment]
    return depth


def parse_toml(text: str) -> dict[str, Any]:
    """Parse TOML text, refusing nesting deeper than about 100 levels.

    Parameters
    ----------
    text : str

    Returns
    -------
    dict

    Raises
    ------
    EvidenceError
        ``"invalid TOML: ..."`` for a syntax error (with its line and column) or for
        tables or arrays nested too deeply; the caller adds the file.
    """
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(_stack_depth() + _TOML_FRAMES)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise EvidenceError(f"invalid TOML: {err}") from None
    except RecursionError:
        raise EvidenceError(
            "invalid TOML: tables or arrays nested too deeply (more than about 100 levels)"
        ) from None
    finally:
        sys.setrecursionlimit(limit)
