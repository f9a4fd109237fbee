"""Safe file output: checked before the work, written atomically, special files left alone.

Every file the package writes goes through :func:`atomic_write`: the bytes go to a temporary
file beside the target, are flushed to disk, and the temporary file is renamed over the target,
so a reader never sees a half-written file and a failure (or ``kill -9``) leaves the target as
it was. The guarantees, each tested in ``tests/test_io.py``:

- **Checked before the work.** :func:`check_output_path` and :func:`check_output_dir` refuse a
  target that cannot be written (a folder where a file is wanted, a parent that is a file or a
  device, a missing or read-only folder, a FIFO or device node as target) *before* a command
  starts computing, so bad input loses no work.
- **Special files are never replaced, symbolic links never followed.** A target that exists
  and is not a regular file (a FIFO, a character or block device, a socket) is refused; a
  target named by the user that is a symbolic link is refused before the work
  (:func:`check_output_path`), and a file written inside an output folder replaces a link
  planted there (``rename`` replaces the link itself, never what it points to). The lock file
  is opened with ``O_NOFOLLOW``, files appended to with ``O_NOFOLLOW`` too.
- **Paths checked as text first.** An empty path (``--out ""``), a path with a NUL byte, a
  name longer than the file system allows (``NAME_MAX``), a path longer than ``PATH_MAX`` or
  deeper than :data:`MAX_PATH_DEPTH` folders is refused before anything is created.
- **An output is never an input.** :func:`refuse_same_file` refuses an output path that names
  the same file as an input (``--data d.npz --save-filter d.npz``) or as another output.
- **Report folders are replaced as a whole.** :func:`replaced_dir` writes a report into a new
  folder beside the target and exchanges the two with one ``rename``, so an interrupted run
  leaves the previous report whole and never mixes two runs' files.
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
import dataclasses
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
    "append_text",
    "atomic_write",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "check_output_dir",
    "check_output_path",
    "check_path_text",
    "locked_dir",
    "make_dirs",
    "pick",
    "read_small_file",
    "refuse_same_file",
    "replaced_dir",
    "save_figure",
    "to_jsonable",
]

_LOCK_NAME = ".convotron.lock"
#: Deepest output path accepted, in folders (``a/a/.../a`` 2,000 deep is refused up front).
MAX_PATH_DEPTH = 256
#: Characters of a target's name kept in its temporary file's name (the rest is hashed away).
_TMP_NAME_CHARS = 64


def _name_max(folder: Path) -> int:
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError):
        return 255


def check_path_text(path: str | os.PathLike[str], *, what: str) -> Path:
    """Refuse a path that no file operation could use, before anything is created.

    Refused: an empty path (``--out ""`` would mean the current folder), a NUL byte, a name
    longer than ``NAME_MAX`` bytes, a path longer than ``PATH_MAX`` bytes or deeper than
    :data:`MAX_PATH_DEPTH` folders.
    """
    text = os.fspath(path)
    if text == "":
        raise ConvotronError(
            f"the {what} must be a path; got an empty string (which would mean the current "
            "folder). Name a folder or file, e.g. build/out."
        )
    if "\0" in text:
        raise ConvotronError(f"the {what} must not contain a NUL byte; got {text!r}. Remove it.")
    p = Path(text)
    absolute = os.path.abspath(text)
    parts = [q for q in Path(absolute).parts if q not in ("/", "")]
    if len(parts) > MAX_PATH_DEPTH:
        raise ConvotronError(
            f"the {what} must be at most {MAX_PATH_DEPTH} folders deep; got a path "
            f"{len(parts)} folders deep ({text[:60]!r}...). Choose a shorter path."
        )
    path_max = 4096
    if len(absolute.encode("utf-8", "surrogateescape")) >= path_max:
        raise ConvotronError(
            f"the {what} must be shorter than {path_max} bytes (PATH_MAX) as an absolute path; "
            f"got {len(absolute)} characters ({text[:60]!r}...). Choose a shorter path."
        )
    name_max = _name_max(_existing_ancestor(Path(absolute)))
    for part in parts:
        if len(part.encode("utf-8", "surrogateescape")) > name_max:
            raise ConvotronError(
                f"the {what} has a name longer than the file system allows ({name_max} bytes, "
                f"NAME_MAX); got {len(part)} characters ({part[:40]!r}...). Use a shorter name."
            )
    return p


def make_dirs(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` and its missing parents, iteratively (no recursion, whatever the depth)."""
    p = Path(os.path.abspath(path))
    missing = []
    while not os.path.lexists(p) and p.parent != p:
        missing.append(p)
        p = p.parent
    for q in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(q)
    return Path(path)


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


def _output_not_link(path: str | os.PathLike[str], what: str, fix: str) -> Path:
    """Return ``path`` checked as text; refuse it if it is a symbolic link (``fix``: what to do)."""
    p = check_path_text(path, what=what)
    if os.path.islink(p):
        raise ConvotronError(
            f"the {what} must not be a symbolic link (an output never follows a link); got "
            f"{str(p)!r} -> {os.readlink(p)!r}. {fix}"
        )
    return p


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
    p = _output_not_link(path, what, "Remove the link or choose another path.")
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
    p = _output_not_link(path, what, "Pass the folder itself or choose another path.")
    shown = str(p)
    if os.path.exists(p):
        folder = p  # the folder itself, or else the nearest existing one it will be made in
        if not p.is_dir():
            raise ConvotronError(
                f"the {what} must be a folder; got {shown!r}, which is "
                f"{_kind(os.stat(p).st_mode) if not p.is_file() else 'a file'}. "
                "Pass a folder path, e.g. build/verify."
            )
    else:
        folder = _existing_ancestor(p.absolute())
        if not folder.is_dir():
            raise ConvotronError(
                f"the {what} {shown!r} cannot be created: {str(folder)!r} is "
                f"{'a file' if folder.is_file() else _kind(os.stat(folder).st_mode)}, not a "
                "folder. Choose a path whose parents are folders."
            )
    _probe_writable(folder, what=what, shown=shown)
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

    A symbolic link is never followed: the rename replaces the link itself and what it
    points to is left alone (user-named targets that are links are refused earlier, by
    :func:`check_output_path`); a special file (FIFO, device, socket) is refused; the new
    file's mode is the old regular file's, or ``0o666 & ~umask``.
    """
    p = Path(path)
    mode = 0o666 & ~_umask()
    if os.path.lexists(p) and not os.path.islink(p):
        st = os.lstat(p)
        if not stat.S_ISREG(st.st_mode):
            raise ConvotronError(
                f"output file must be a regular file; got {str(p)!r}, which is "
                f"{_kind(st.st_mode)}. Special files are never replaced."
            )
        mode = stat.S_IMODE(st.st_mode)
    parent = p.parent if str(p.parent) else Path(".")
    short = p.name[:_TMP_NAME_CHARS]
    _clean_stale_temps(parent, short)
    fd, tmp = tempfile.mkstemp(prefix=f".{short}.{os.getpid()}.", suffix=".tmp", dir=parent)
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

    The lock file is opened with ``O_NOFOLLOW | O_NONBLOCK``: a symbolic link planted as
    ``.convotron.lock`` is refused (never followed, so its target is never truncated), and so
    is a FIFO or any file that is not a regular file.

    Raises
    ------
    ConvotronError
        If another process holds the lock, or the lock file is a link or a special file.
    """
    p = Path(folder)
    make_dirs(p)
    lock = p / _LOCK_NAME
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(lock, flags, 0o666 & ~_umask())
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(lock):
            raise ConvotronError(
                f"the {what}'s lock file {str(lock)!r} is a symbolic link; it is never "
                "followed. Remove the link (rm) or choose another folder."
            ) from None
        if exc.errno in (errno.ENXIO, errno.EISDIR, errno.ENODEV, errno.EOPNOTSUPP):
            raise ConvotronError(
                f"the {what}'s lock file {str(lock)!r} must be a regular file; it is "
                f"{_kind(os.lstat(lock).st_mode)}. Remove it or choose another folder."
            ) from None
        raise
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise ConvotronError(
            f"the {what}'s lock file {str(lock)!r} must be a regular file; it is "
            f"{_kind(st.st_mode)}. Remove it or choose another folder."
        )
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


def append_text(path: str | os.PathLike[str], text: str) -> None:
    """Append UTF-8 ``text`` to ``path`` (created if missing), never following a link.

    The file is opened with ``O_APPEND | O_NOFOLLOW``: each call costs the length of ``text``
    alone, whatever the file's size (a sweep appends one line per finished cell).
    """
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags | os.O_NONBLOCK, 0o666 & ~_umask())
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ConvotronError(
                f"output file {str(path)!r} is a symbolic link; it is never followed. "
                "Remove the link."
            ) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConvotronError(
                f"output file must be a regular file; got {str(path)!r}, which is "
                f"{_kind(os.fstat(fd).st_mode)}. Special files are never written."
            )
        data = text.encode("utf-8")
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def read_small_file(path: str | os.PathLike[str], *, limit: int, what: str, fix: str) -> bytes:
    """Read a regular input file of at most ``limit`` bytes without ever blocking.

    The file is opened ``O_NONBLOCK`` and checked with ``fstat``: a folder, FIFO, device or
    socket is refused before a byte is read, and so is a file that cannot be read without
    waiting (``/proc/kmsg``, which ``stat`` calls a regular file of size 0).
    """
    text = os.fspath(path)
    if text == "":
        raise ConvotronError(f"the {what} must be a path; got an empty string. {fix}")
    try:
        fd = os.open(text, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ConvotronError(f"the {what} {text!r} does not exist. {fix}") from None
    except OSError as exc:
        raise ConvotronError(
            f"the {what} {text!r} could not be opened ({exc.strerror or exc}). {fix}"
        ) from None
    with os.fdopen(fd, "rb", buffering=0) as fh:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ConvotronError(
                f"the {what} must be a regular file; got {text!r}, which is "
                f"{_kind(st.st_mode)}. {fix}"
            )
        if st.st_size > limit:
            raise ConvotronError(
                f"the {what} must be at most {limit} bytes; got {text!r} of {st.st_size} "
                f"bytes. {fix}"
            )
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            try:
                chunk = fh.read(min(1 << 16, limit + 1 - size))
            except OSError as exc:
                raise ConvotronError(
                    f"the {what} {text!r} could not be read ({exc.strerror or exc}). {fix}"
                ) from None
            if chunk is None:  # O_NONBLOCK and nothing to read yet: never wait
                raise ConvotronError(
                    f"the {what} {text!r} cannot be read without waiting (a kernel or "
                    f"pseudo file); it must be an ordinary file. {fix}"
                )
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    if size > limit:
        raise ConvotronError(
            f"the {what} must be at most {limit} bytes; {text!r} holds more. {fix}"
        )
    return b"".join(chunks)


def _same(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.normcase(os.path.abspath(a)) == os.path.normcase(os.path.abspath(b))


def refuse_same_file(
    outputs: dict[str, str | os.PathLike[str] | None],
    inputs: dict[str, str | os.PathLike[str] | None] | None = None,
) -> None:
    """Refuse an output that names the same file as an input or as another output.

    ``outputs`` and ``inputs`` map a flag (``--save-filter``) to its path (``None``: not
    given). Two names of one file (a hard link, ``./d.npz`` and ``d.npz``) are the same file.

    Raises
    ------
    ConvotronError
        ``--save-filter d.npz is the same file as --data d.npz ...`` before any work.
    """
    outs = [(k, os.fspath(v)) for k, v in outputs.items() if v is not None]
    ins = [(k, os.fspath(v)) for k, v in (inputs or {}).items() if v is not None]
    for i, (flag, path) in enumerate(outs):
        for other, opath in ins:
            if _same(path, opath):
                raise ConvotronError(
                    f"{flag} must not be an input of the command; got {path!r}, the same file "
                    f"as {other} {opath!r}, which it would replace. Write to another path."
                )
        for other, opath in outs[i + 1 :]:
            if _same(path, opath):
                raise ConvotronError(
                    f"{flag} and {other} must be different files; got {path!r} and {opath!r} "
                    "(one would replace the other). Give each its own path."
                )


_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2(RENAME_EXCHANGE)``); False if unsupported."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    res = fn(at_fdcwd, os.fsencode(str(a)), at_fdcwd, os.fsencode(str(b)), _RENAME_EXCHANGE)
    if res == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _clean_stale_stages(folder: Path) -> None:
    prefix = f".{folder.name[:_TMP_NAME_CHARS]}."
    try:
        entries = list(os.scandir(folder.parent))
    except OSError:
        return
    for entry in entries:
        rest = entry.name[len(prefix) :] if entry.name.startswith(prefix) else ""
        kind, _, tail = rest.partition(".")
        pid = tail.split(".", 1)[0]
        if kind in ("new", "old") and pid.isdigit() and not _pid_alive(int(pid)):
            if entry.is_dir(follow_symlinks=False):
                import shutil

                shutil.rmtree(entry.path, ignore_errors=True)


@contextlib.contextmanager
def replaced_dir(folder: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a new, empty folder beside ``folder``; on success it takes ``folder``'s place.

    The report is written into ``.NAME.new.PID.RANDOM`` next to ``folder``; when the block
    ends without error the two folders are exchanged with one ``renameat2(RENAME_EXCHANGE)``
    (two renames where the call is missing) and the previous folder is removed. An
    exception, ``SIGINT``, ``SIGTERM`` or ``kill -9`` before the exchange leaves ``folder`` as it
    was (a stage left by a killed process is removed by the next call), so a reader never
    sees two runs' files mixed. The caller checks beforehand that ``folder`` holds nothing
    but a previous report (a folder of other files must never be replaced).
    """
    import shutil

    target = Path(os.path.abspath(folder))
    _clean_stale_stages(target)
    stage = Path(
        tempfile.mkdtemp(
            prefix=f".{target.name[:_TMP_NAME_CHARS]}.new.{os.getpid()}.", dir=target.parent
        )
    )
    os.chmod(stage, 0o777 & ~_umask())
    try:
        yield stage
        if not os.path.lexists(target):
            os.rename(stage, target)
            return
        lock = target / _LOCK_NAME
        if os.path.lexists(lock) and not os.path.lexists(stage / _LOCK_NAME):
            # the next run locks the same place; the lock's content is a process id only
            fd = os.open(
                stage / _LOCK_NAME, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW, 0o666 & ~_umask()
            )
            os.close(fd)
        if _exchange(stage, target):
            shutil.rmtree(stage, ignore_errors=True)  # now the previous folder
            return
        old = Path(f"{str(stage).replace('.new.', '.old.', 1)}")
        os.rename(target, old)
        os.rename(stage, target)
        shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        if os.path.lexists(stage):
            shutil.rmtree(stage, ignore_errors=True)
        raise


def save_figure(fig: Any, path: str | os.PathLike[str], *, dpi: int = 120) -> Path:
    """Save a matplotlib figure as PNG atomically and close it."""
    import matplotlib.pyplot as plt

    try:
        return atomic_write(path, lambda fh: fig.savefig(fh, format="png", dpi=dpi))
    finally:
        plt.close(fig)


def pick(record: Any, *names: str) -> dict[str, Any]:
    """Return ``{name: record.name}`` for each of ``names``, in their order.

    With no names, every field of the dataclass ``record`` in declaration order. For the
    records whose JSON keys, or another record's fields, are their own attribute names: the
    names are listed once, not as ``"x": self.x`` or ``x=other.x`` lines.
    """
    if not names:
        names = tuple(f.name for f in dataclasses.fields(record))
    return {name: getattr(record, name) for name in names}


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
