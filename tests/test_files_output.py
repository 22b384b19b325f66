"""Output files and folders are checked before any work: read-only targets are refused.

Permission bits do not bind the superuser, so the tests that make a folder read-only
with ``chmod`` are skipped when the tests run as root; the tests that stand in for a
read-only mount (``os.access`` and the create-and-remove probe failing with EROFS, as
they do on one) run for every user.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

import bayes_scot.files as files
from bayes_scot.cli import main
from bayes_scot.errors import EvidenceError
from bayes_scot.files import check_output_file, check_output_folder

AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
needs_permissions = pytest.mark.skipif(AS_ROOT, reason="the superuser ignores permissions")


@pytest.fixture
def read_only(tmp_path: Path):
    """A folder without write permission (restored afterwards, so it can be removed)."""
    folder = tmp_path / "locked"
    folder.mkdir()
    (folder / "notes.txt").write_text("kept\n")
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    yield folder
    folder.chmod(stat.S_IRWXU)


@needs_permissions
@pytest.mark.parametrize("name", ["report", "nested/report"])
def test_new_folder_inside_a_read_only_folder(read_only: Path, name: str) -> None:
    with pytest.raises(EvidenceError, match="is not writable"):
        check_output_folder(read_only / name)


@needs_permissions
def test_existing_read_only_folder(read_only: Path) -> None:
    with pytest.raises(EvidenceError, match="is not writable"):
        check_output_folder(read_only)


@needs_permissions
def test_file_inside_a_read_only_folder(read_only: Path) -> None:
    with pytest.raises(EvidenceError, match="is not writable"):
        check_output_file(read_only / "ipd.csv")


@needs_permissions
def test_report_into_a_read_only_folder_is_refused_before_the_fit(
    read_only: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.name for p in read_only.iterdir())
    try:
        code = main(["report", "--out", str(read_only / "r"), "--quiet"])
    except SystemExit as exit_:  # argparse refuses the option
        code = exit_.code if isinstance(exit_.code, int) else 1
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.count("\n") == 1
    assert "is not writable" in err
    assert sorted(p.name for p in read_only.iterdir()) == before


def _read_only_mount(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make ``folder`` behave as on a read-only mount: access and creation fail."""
    real_access, real_mkstemp = os.access, files.tempfile.mkstemp

    def access(path: object, mode: int, **kwargs: object) -> bool:
        if Path(os.fspath(path)) == folder and mode & os.W_OK:
            return False
        return real_access(path, mode, **kwargs)  # type: ignore[arg-type]

    def mkstemp(*args: object, dir: object = None, **kwargs: object) -> tuple[int, str]:
        if dir is not None and Path(os.fspath(dir)) == folder:  # type: ignore[arg-type]
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_mkstemp(*args, dir=dir, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files.os, "access", access)
    monkeypatch.setattr(files.tempfile, "mkstemp", mkstemp)


@pytest.mark.parametrize("target", ["new", "existing"])
def test_read_only_mount_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    target: str) -> None:
    mount = tmp_path / "mount"
    mount.mkdir()
    _read_only_mount(monkeypatch, mount)
    with pytest.raises(EvidenceError, match="is not writable") as info:
        check_output_folder(mount / "report" if target == "new" else mount)
    assert "\n" not in str(info.value)


def test_probe_catches_what_access_allows(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A folder whose permission bits allow writing but whose file system refuses it."""
    mount = tmp_path / "mount"
    mount.mkdir()
    real_mkstemp = files.tempfile.mkstemp

    def mkstemp(*args: object, dir: object = None, **kwargs: object) -> tuple[int, str]:
        if dir is not None and Path(os.fspath(dir)) == mount:  # type: ignore[arg-type]
            raise OSError(errno.EROFS, os.strerror(errno.EROFS))
        return real_mkstemp(*args, dir=dir, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files.tempfile, "mkstemp", mkstemp)
    with pytest.raises(EvidenceError, match="Read-only file system"):
        check_output_file(mount / "ipd.csv")
    assert sorted(mount.iterdir()) == []


def test_writable_targets_pass_and_leave_nothing(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    assert check_output_folder(tmp_path / "old") == (tmp_path / "old").absolute()
    assert check_output_folder(tmp_path / "a" / "b") == (tmp_path / "a" / "b").absolute()
    assert check_output_file(tmp_path / "x.csv") == (tmp_path / "x.csv").absolute()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old"]
    assert list((tmp_path / "old").iterdir()) == []
