"""Exceptions raised for bad input.

Every problem with user-supplied evidence, trial files, analysis specifications or
digitised curves is reported as an :class:`EvidenceError` that names where the problem
is (file, entry, field), so that the command-line interface can print one line and exit.
"""

from __future__ import annotations

import re

__all__ = ["EvidenceError", "SpecError", "one_line"]

#: Characters that would break a one-line message or act on a terminal: C0 and C1 control
#: characters (newline, carriage return, escape, ...), Unicode line and paragraph
#: separators, and bidirectional-text overrides.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _shown(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: object) -> str:
    r"""Return ``str(text)`` with every control character shown as an escape.

    Newlines, carriage returns, terminal escape sequences (ANSI ``\x1b[...``) and other
    control or line-separating characters in a file name, an entry id or a value are
    written as ``\n``, ``\r``, ``\x1b``, ``\u2028``: a message stays one line and
    nothing in it acts on the terminal. Applying it twice changes nothing more.

    Parameters
    ----------
    text : object
        Anything; converted with ``str``.

    Returns
    -------
    str

    Examples
    --------
    >>> one_line("id\nvalid")
    'id\\nvalid'
    """
    return _UNSAFE.sub(_shown, str(text))


class EvidenceError(ValueError):
    """Bad input evidence: a value, entry or file that cannot be used as it is.

    Parameters
    ----------
    message : str
        What is wrong, in the reader's words ("events (40) exceed n (36)").
    file : str, optional
        The file the evidence came from, when there is one.
    entry : str, optional
        The entry inside the file (its ``id``, or its table and position).
    field : str, optional
        The field of the entry that is wrong.

    Notes
    -----
    ``str(error)`` gives one line of the form
    ``"<file>: entry '<entry>': field '<field>': <message>"``, leaving out the parts that
    are unknown, with control characters shown escaped (:func:`one_line`). The parts are
    also kept as attributes so that a caller that knows more
    (a loader that knows the file) can add it with :meth:`located`.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        entry: str | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = file
        self.entry = entry
        self.field = field
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.entry:
            parts.append(f"entry '{self.entry}'")
        if self.field:
            parts.append(f"field '{self.field}'")
        parts.append(self.message)
        return one_line(": ".join(parts))

    def located(
        self,
        *,
        file: str | None = None,
        entry: str | None = None,
        field: str | None = None,
    ) -> EvidenceError:
        """Return a copy with missing location parts filled in.

        Parts already known are kept: the innermost code knows best which field failed.

        Parameters
        ----------
        file, entry, field : str, optional
            Location parts to fill in where this error has none.

        Returns
        -------
        EvidenceError
            A new error of the same class.
        """
        return type(self)(
            self.message,
            file=self.file or file,
            entry=self.entry or entry,
            field=self.field or field,
        )


class SpecError(EvidenceError):
    """A bad analysis specification (``models/*.toml``): names the file and the key."""
