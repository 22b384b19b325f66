"""Provenance of a reported number: where it was read, and whether it was derived."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bayes_scot.errors import EvidenceError

__all__ = ["SOURCE_TAGS", "Source"]

SOURCE_TAGS: tuple[str, ...] = ("reported", "derived", "default")
"""``reported``: read in the cited publication; ``derived``: computed from reported numbers
by arithmetic that the entry's ``note`` shows; ``default``: not a published number but a
convention of this package (e.g. an MCID for which no disease-specific source is held),
which the ``note`` justifies and the user should review. Trial files accept only
``reported`` and ``derived``."""


@dataclass(frozen=True, kw_only=True)
class Source:
    """Where a number comes from.

    Parameters
    ----------
    citation : str
        The publication, e.g. ``"Sullivan KM et al. N Engl J Med 2018;378:35-47"``.
    locator : str
        Where in the publication, e.g. ``"Table 2"`` or ``"Abstract"``.
    tag : {"reported", "derived", "default"}
        ``reported`` when the number is printed in the source; ``derived`` when it was
        computed from reported numbers (the ``note`` must then give the arithmetic);
        ``default`` when it is a package convention rather than a published number (the
        ``note`` must then say why it was chosen).
    note : str, optional
        Anything a reader needs to judge the number (derivation, caveats).
    """

    citation: str
    locator: str
    tag: Literal["reported", "derived", "default"]
    note: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.citation, str) or not self.citation.strip():
            raise EvidenceError("a source needs a non-empty citation", field="source.citation")
        if not isinstance(self.locator, str) or not self.locator.strip():
            raise EvidenceError(
                "a source needs a locator such as 'Table 2' or 'Abstract'",
                field="source.locator",
            )
        if self.tag not in SOURCE_TAGS:
            raise EvidenceError(
                f"tag must be one of {', '.join(SOURCE_TAGS)}, not {self.tag!r}",
                field="source.tag",
            )
        if self.tag == "derived" and not self.note.strip():
            raise EvidenceError(
                "a derived number needs a note giving its derivation", field="source.note"
            )
        if self.tag == "default" and not self.note.strip():
            raise EvidenceError(
                "a default (unpublished) number needs a note saying why it was chosen",
                field="source.note",
            )

    def label(self) -> str:
        """Return ``"citation, locator"``, the short form shown in tables."""
        return f"{self.citation}, {self.locator}"
