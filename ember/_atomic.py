"""One way to write a file so a crash never leaves it half-written (checkpoints, safetensors,
downloads): a temporary file beside the target, fsynced, renamed over it, the folder synced."""

from __future__ import annotations

import contextlib
import os
import tempfile


@contextlib.contextmanager
def atomic_write(path):
    """A binary file whose contents replace ``path`` only once the ``with`` block completes.

    The temporary file lives in the target's folder (so ``os.replace`` is an atomic rename),
    gets the mode a plain ``open(path, 'wb')`` would give (the umask, or the replaced file's
    mode), and is removed if anything fails. Through a symlink, the file it points to is
    replaced, as writing to it would.
    """
    path = os.fspath(path)
    path = os.path.realpath(path) if os.path.islink(path) else os.path.abspath(path)
    folder, base = os.path.split(path)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{base}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_folder(folder)


def _file_mode(path: str) -> int:
    """The mode a plain ``open(path, 'wb')`` would give (or the replaced file's mode)."""
    try:
        return os.stat(path).st_mode & 0o7777
    except OSError:
        pass
    try:  # Linux says the umask without changing it (os.umask would, for every thread)
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _sync_folder(folder: str) -> None:
    """Make the rename durable; not every platform lets a folder be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
