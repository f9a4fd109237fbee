"""Safe file output: checked before the work, written atomically, special files left alone.

Every file the package writes goes through :func:`atomic_write`: the bytes go to a temporary
file beside the target, are flushed to disk, and the temporary file is renamed over the target,
so a reader never sees a half-written file and a failure (or ``kill -9``) leaves the target as
it was. The guarantees, each tested in ``tests/test_io.py``:

- **Checked before the work.** :func:`check_output_path` and :func:`check_output_dir` refuse a
  target that cannot be written (a folder where a file is wanted, a parent that is a file or a
  device, a missing or read-only folder, a FIFO or device node as target) *before* a command
  starts computing, so bad input loses no work.
- **Special files are never replaced.** A target that exists and is not a regular file (a FIFO,
  a character or block device, a socket) is refused; a symbolic link is followed and its target
  is replaced, the link itself stays.
- **Modes follow the umask** (``0o666 & ~umask`` for a new file, the old mode for a replaced
  file), as :func:`open` would give, not ``mkstemp``'s ``0o600``.
- **No litter.** Temporary files are named ``.NAME.PID.RANDOM.tmp``; a later write to the same
  folder removes those whose process is gone (left by ``kill -9``).
- **One writer per folder.** :func:`locked_dir` takes an exclusive, non-blocking ``flock`` on
  ``FOLDER/.convotron.lock`` for the whole run, so two runs writing into one folder cannot
  interleave their files: the second is refused with the first one's process id.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import stat
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from ._errors import ConvotronError

__all__ = [
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_output_dir",
    "check_output_path",
    "locked_dir",
    "save_figure",
    "to_jsonable",
]

_LOCK_NAME = ".convotron.lock"


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _probe_writable(folder: Path, *, what: str, shown: str) -> None:
    """Create and remove a file in ``folder``: the only reliable writability test (root, RO fs)."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".convotron-probe.", dir=folder)
    except OSError as exc:
        raise ConvotronError(
            f"the {what} cannot be written: folder {str(folder)!r} (for {shown!r}) is not "
            f"writable ({exc.strerror}). Choose a folder you can write to."
        ) from None
    os.close(fd)
    os.unlink(tmp)


def _existing_ancestor(p: Path) -> Path:
    q = p
    while not os.path.lexists(q):
        if q.parent == q:
            break
        q = q.parent
    return q


def check_output_path(path: str | os.PathLike[str], *, what: str = "output file") -> Path:
    """Validate an output file path *before* any work is done, so bad input loses nothing.

    Parameters
    ----------
    path : path-like
        The file to be written (replaced if it exists).
    what : str
        How messages name it (e.g. ``"plot file"``; the command line passes its flag).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    ConvotronError
        If the path names a folder or a special file (FIFO, device, socket), if its folder is
        missing, is not a folder, or is not writable.
    """
    p = Path(path)
    shown = str(p)
    if os.path.exists(p):
        mode = os.stat(p).st_mode
        if stat.S_ISDIR(mode):
            raise ConvotronError(
                f"the {what} must be a file path, not a folder; got {shown!r}. "
                f"Name a file inside it, e.g. {str(p / 'out.png')!r}."
            )
        if not stat.S_ISREG(mode):
            raise ConvotronError(
                f"the {what} must be a regular file; got {shown!r}, which is {_kind(mode)}. "
                "Special files are never replaced: choose a regular file path."
            )
    parent = p.parent if str(p.parent) else Path(".")
    if not os.path.lexists(parent):
        raise ConvotronError(
            f"the folder of the {what} must exist; got {shown!r} whose folder "
            f"{str(parent)!r} does not exist. Create it first or choose another path."
        )
    if not parent.is_dir():
        mode = os.stat(parent).st_mode
        raise ConvotronError(
            f"the {what} must be inside a folder; got {shown!r}, but {str(parent)!r} is "
            f"{_kind(mode) if not stat.S_ISREG(mode) else 'a regular file'}, not a folder. "
            "Choose a path inside a folder."
        )
    _probe_writable(parent, what=what, shown=shown)
    return p


def check_output_dir(path: str | os.PathLike[str], *, what: str = "output folder") -> Path:
    """Validate an output folder *before* any work.

    The folder, or the nearest existing folder it will be made in, must be writable.

    Raises
    ------
    ConvotronError
        If the path exists and is not a folder, if the nearest existing ancestor is not a
        folder (``afile/sub``), or if that folder is not writable.
    """
    p = Path(path)
    shown = str(p)
    if os.path.exists(p):
        if not p.is_dir():
            raise ConvotronError(
                f"the {what} must be a folder; got {shown!r}, which is "
                f"{_kind(os.stat(p).st_mode) if not p.is_file() else 'a file'}. "
                "Pass a folder path, e.g. build/verify."
            )
        _probe_writable(p, what=what, shown=shown)
        return p
    anc = _existing_ancestor(p.absolute())
    if not anc.is_dir():
        raise ConvotronError(
            f"the {what} {shown!r} cannot be created: {str(anc)!r} is "
            f"{'a file' if anc.is_file() else _kind(os.stat(anc).st_mode)}, not a folder. "
            "Choose a path whose parents are folders."
        )
    _probe_writable(anc, what=what, shown=shown)
    return p


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _clean_stale_temps(parent: Path, name: str) -> None:
    """Remove ``.NAME.PID.*.tmp`` files of processes that no longer exist (``kill -9``)."""
    prefix = f".{name}."
    try:
        entries = list(os.scandir(parent))
    except OSError:
        return
    for entry in entries:
        if not (entry.name.startswith(prefix) and entry.name.endswith(".tmp")):
            continue
        pid_part = entry.name[len(prefix) :].split(".", 1)[0]
        if pid_part.isdigit() and int(pid_part) != os.getpid() and not _pid_alive(int(pid_part)):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)


def atomic_write(path: str | os.PathLike[str], writer: Callable[[BinaryIO], None]) -> Path:
    """Call ``writer(fh)`` on a temporary file beside ``path``, then rename it into place.

    A symbolic link is followed (its target is replaced, the link stays); a special file
    (FIFO, device, socket) is refused; the new file's mode is the old file's, or
    ``0o666 & ~umask``.
    """
    p = Path(path)
    if os.path.islink(p):
        p = Path(os.path.realpath(p))
    mode = 0o666 & ~_umask()
    if os.path.exists(p):
        st = os.stat(p)
        if not stat.S_ISREG(st.st_mode):
            raise ConvotronError(
                f"output file must be a regular file; got {str(p)!r}, which is "
                f"{_kind(st.st_mode)}. Special files are never replaced."
            )
        mode = stat.S_IMODE(st.st_mode)
    parent = p.parent if str(p.parent) else Path(".")
    _clean_stale_temps(parent, p.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.{os.getpid()}.", suffix=".tmp", dir=parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            writer(fh)
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    return p


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically."""

    def _write(fh: BinaryIO) -> None:
        fh.write(data)

    return atomic_write(path, _write)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write ``obj`` as indented JSON (NaN and infinities refused) atomically."""
    return atomic_write_text(path, json.dumps(obj, indent=2, allow_nan=False) + "\n")


@contextlib.contextmanager
def locked_dir(folder: str | os.PathLike[str], *, what: str = "output folder") -> Iterator[Path]:
    """Create ``folder`` if needed and hold an exclusive lock on it while the block runs.

    The lock is an ``flock`` on ``FOLDER/.convotron.lock`` (released by the kernel when the
    process ends, even on ``kill -9``), so two runs writing into one folder cannot mix their
    files; the second is refused at once with the first one's process id.

    Raises
    ------
    ConvotronError
        If another process holds the lock.
    """
    p = Path(folder)
    p.mkdir(parents=True, exist_ok=True)
    fd = os.open(p / _LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            raise ConvotronError(
                f"the {what} {str(p)!r} is in use by another convotron process (pid {holder}). "
                "Wait for it to finish or choose another folder."
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
        yield p
    finally:
        os.close(fd)


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    try:
        return atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=dpi))
    finally:
        plt.close(fig)


def to_jsonable(obj: Any) -> Any:
    """Convert numpy scalars/arrays, tuples and non-finite floats to plain JSON values."""
    import math

    import numpy as np

    if isinstance(obj, dict):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, float | np.floating):
        f = float(obj)
        return f if math.isfinite(f) else None
    return obj
