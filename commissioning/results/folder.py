"""Folders and files the tool writes: atomic, locked, and every OS error in words.

:func:`staged_folder` writes a whole folder (a run's output, a generated dataset folder): everything goes
into a hidden sibling ``.DIR.partial-XXXXXXXX`` that is renamed to ``DIR`` at the end; on any error the
sibling is removed and an existing ``DIR`` is left as it was. An existing non-empty ``DIR`` is replaced
only with ``force`` and only if it holds the marker ``.care-commissioning`` (it is renamed aside first,
then removed). One writer per ``DIR`` at a time: an exclusive lock on ``.DIR.lock`` beside it is held for
the whole write; the holder removes partial folders left by killed runs.

:func:`write_text_file` writes one file the same way (a temporary file beside it, then a rename).
"""

from __future__ import annotations

import contextlib
import datetime
import errno
import fcntl
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from commissioning import __version__
from commissioning.errors import CareCommissioningError

MARKER_FILE = ".care-commissioning"
TOOL_NAME = "care-commissioning"


# ----------------------------------------------------------------------------------------------------
# The atomic, locked output folder
# ----------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def staged_folder(out_dir: Path, *, force: bool = False) -> Iterator[Path]:
    """Yield a temporary sibling of ``out_dir``; rename it to ``out_dir`` if the block succeeds.

    Raises :class:`CareCommissioningError` (one line, with the fix) when ``out_dir`` cannot be written,
    is being written by another run, or is not empty (without ``force``, or not written by this tool).
    """
    out_dir = Path(os.path.abspath(out_dir))  # a real name for ".", "..", "out/": siblings need one
    if out_dir.exists() and not out_dir.is_dir():
        raise CareCommissioningError(f"{out_dir} is a file. Fix: give a folder path with --out.")
    with _as_message(out_dir, "output folder"):
        out_dir.parent.mkdir(parents=True, exist_ok=True)
    with _exclusive_lock(out_dir):
        _remove_stale_siblings(out_dir)
        _check_replaceable(out_dir, force)
        stage = _new_stage(out_dir)
        try:
            yield stage
            _write_marker(stage)
            _move_into_place(stage, out_dir)
        except BaseException:  # an error, Ctrl-C or SIGTERM (raised by the runner): leave nothing
            shutil.rmtree(stage, ignore_errors=True)
            raise


def lock_path(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.lock"


@contextlib.contextmanager
def _exclusive_lock(out_dir: Path) -> Iterator[None]:
    """Hold ``flock`` on ``.DIR.lock`` (the kernel drops it when the process dies, even on SIGKILL).

    The lock file is removed on release. A process that opened the file before the removal may then
    lock the unlinked file, so after locking we check that the path still names the file we locked.
    """
    path = lock_path(out_dir)
    while True:
        with _as_message(out_dir, "output folder"):
            # Read-only is enough for flock, and lets a colleague open a file left by a killed run.
            fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o666)
        _lock_or_fail(fd, out_dir)
        if _same_file(fd, path):
            break
        os.close(fd)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)  # before unlocking: the next run then creates a fresh file
        os.close(fd)


def _lock_or_fail(fd: int, out_dir: Path) -> None:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise CareCommissioningError(
            f"{out_dir} is being written by another run right now. "
            "Fix: wait for that run to finish, or choose another --out folder."
        ) from None
    except OSError as error:  # e.g. a network disk without locks
        os.close(fd)
        raise CareCommissioningError(
            f"cannot lock the output folder {out_dir}: {describe_os_error(error, out_dir)}"
        ) from error


def _same_file(fd: int, path: Path) -> bool:
    try:
        return os.path.samestat(os.fstat(fd), os.stat(path))
    except FileNotFoundError:
        return False


def _remove_stale_siblings(out_dir: Path) -> None:
    """Remove ``.DIR.partial-*`` / ``.DIR.old-*`` left by killed runs: we hold the lock, nobody owns them.

    The suffix must be exactly what ``mkdtemp`` makes (8 characters), so the partial of another target
    (e.g. of ``DIR.partial-x``) never matches.
    """
    stale = re.compile(re.escape(f".{out_dir.name}.") + r"(partial|old)-[a-z0-9_]{8}")
    with _as_message(out_dir, "output folder"):
        for entry in out_dir.parent.iterdir():
            if stale.fullmatch(entry.name) and entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)


def check_out_folder(out_dir: str | Path, *, force: bool = False) -> None:
    """The checks of :func:`staged_folder` that need no lock, for a command to fail before long work."""
    out_dir = Path(os.path.abspath(out_dir))
    if out_dir.exists() and not out_dir.is_dir():
        raise CareCommissioningError(f"{out_dir} is a file. Fix: give a folder path with --out.")
    _check_replaceable(out_dir, force)


def _check_replaceable(out_dir: Path, force: bool) -> None:
    with _as_message(out_dir, "output folder"):
        if not out_dir.is_dir() or not any(out_dir.iterdir()):
            return
        ours = (out_dir / MARKER_FILE).is_file()
    if not ours:
        raise CareCommissioningError(
            f"{out_dir} is not empty and was not written by {TOOL_NAME} (it has no {MARKER_FILE} file), "
            "so it is never replaced, even with --force. Fix: choose a new folder, or move that one away."
        )
    if not force:
        raise CareCommissioningError(
            f"{out_dir} is not empty. Fix: choose a new folder, or add --force to replace it."
        )


def _new_stage(out_dir: Path) -> Path:
    with _as_message(out_dir, "output folder"):
        stage = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
        # mkdtemp makes the folder private (0700); the finished output is for colleagues too: honour umask.
        os.chmod(stage, 0o777 & ~_umask())
    return stage


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


def _write_marker(stage: Path) -> None:
    marker = {
        "tool": TOOL_NAME,
        "version": __version__,
        "written_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    (stage / MARKER_FILE).write_text(json.dumps(marker) + "\n", encoding="utf-8")


def _move_into_place(stage: Path, out_dir: Path) -> None:
    with _as_message(out_dir, "output folder"):
        if not out_dir.exists():
            os.replace(stage, out_dir)
            return
        aside = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        os.replace(out_dir, aside / "old")
        try:
            os.replace(stage, out_dir)
        except BaseException:
            os.replace(aside / "old", out_dir)  # the next run would remove ``aside`` as stale
            raise
    shutil.rmtree(aside, ignore_errors=True)


# ----------------------------------------------------------------------------------------------------
# Single files and OS errors in words
# ----------------------------------------------------------------------------------------------------


def write_text_file(path: str | Path, text: str, *, what: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically: a temporary file beside it, then ``os.replace``.

    Any OSError (``path`` is a folder, a parent is a file, permission denied, read-only or full disk)
    becomes a one-line :class:`CareCommissioningError` naming ``what`` and ``path`` and the fix.
    """
    path = Path(path)
    with _as_message(path, what):
        if path.is_dir():
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
            os.chmod(temp, 0o666 & ~_umask())  # mkstemp makes it private; a written file honours umask
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
    return path


_OS_ERROR_FIXES = {
    errno.EACCES: "choose a place you may write to, or ask for write permission",
    errno.EPERM: "choose a place you may write to, or ask for write permission",
    errno.EROFS: "that disk is read-only: choose a place on a writable disk",
    errno.ENOTDIR: "part of the path is a file, not a folder: choose another path",
    errno.EISDIR: "that is a folder: give a file name (e.g. one inside that folder)",
    errno.ENOSPC: "the disk is full: free some space or choose another disk",
    errno.EDQUOT: "your disk quota is used up: free some space or choose another disk",
    errno.ENOENT: "a folder on the path does not exist or cannot hold files: check the path",
    errno.EEXIST: "part of the path is a file, not a folder: choose another path",  # from mkdir
    errno.ENAMETOOLONG: "the name is too long: choose a shorter path",
    errno.ENOLCK: "that disk cannot lock files: choose a folder on a local disk",
}


def describe_os_error(error: OSError, path: Path | None = None) -> str:
    """``"<reason> (<file>). Fix: <what to do>"`` for a user, without a traceback.

    The file is left out when it is ``path`` or beside it (our lock or temporary file): the message
    already names ``path``, and a hidden helper file's name would only confuse.
    """
    reason = error.strerror or str(error) or type(error).__name__
    name = Path(os.fsdecode(error.filename)) if error.filename else None
    beside = path is not None and name is not None and (name == path or name.parent == path.parent)
    where = f" ({name})" if name is not None and not beside else ""
    fix = _OS_ERROR_FIXES.get(error.errno, "check the path, the disk and your permissions")
    return f"{reason}{where}. Fix: {fix}."


@contextlib.contextmanager
def _as_message(path: Path, what: str) -> Iterator[None]:
    """OSError inside the block -> :class:`CareCommissioningError` naming ``what`` and ``path``."""
    try:
        yield
    except OSError as error:
        message = f"cannot write the {what} {path}: {describe_os_error(error, path)}"
        raise CareCommissioningError(message) from error
