"""Each simulated instance's filesystem: a real directory, so the real AWS CLI can use it.

Design: an instance's ``/`` is a directory under the emulator's state folder,
``$LABKIT_HOME/instances/<emulator pid>/<instance id>/``, made with ``/tmp``,
``/home/ec2-user`` and the other usual folders. The shell's built-in commands see it
through :class:`DiskFiles` and :class:`DiskDirs`, which behave like the in-memory
``files`` dict and ``dirs`` set the shell used before, so ``touch``, ``ls``, ``cat`` and
``echo … > file`` need no change; the AWS CLI (see :mod:`labkit.emulator.shell.awscli`) reads and
writes the same files.

Confinement: every instance path is normalised against ``/`` before it is joined to the
root (``..`` cannot climb above it), and :meth:`InstanceFS.host_path` refuses a path
whose real location (symlinks followed) is outside the root.

Folders of emulators that are no longer running are removed when a new one makes its
first instance folder.
"""

from __future__ import annotations

import os
import posixpath
import shutil
from collections.abc import Iterable, Iterator, MutableMapping, MutableSet
from pathlib import Path

from labkit.emulator.shell.runtime import COMMANDS, Context, ShellState
from labkit.errors import LabkitError

HOME = "/home/ec2-user"  # Amazon Linux's default user; `~` on every instance
LAYOUT = ("tmp", "home/ec2-user", "home/ssm-user", "root", "etc", "var", "usr/bin")
_cleaned: set[Path] = set()


class EscapeError(LabkitError):
    """A path that would leave an instance's filesystem."""


def instances_root() -> Path:
    """The folder of this emulator process's instance filesystems."""
    from labkit.emulator.control import labkit_home

    base = labkit_home() / "instances"
    if base not in _cleaned:
        _cleaned.add(base)
        _remove_stale(base)
    return base / str(os.getpid())


def _remove_stale(base: Path) -> None:
    """Remove the instance folders of emulator processes that have exited."""
    if not base.is_dir():
        return
    for child in base.iterdir():
        if child.name.isdigit() and int(child.name) != os.getpid():
            try:
                os.kill(int(child.name), 0)
            except ProcessLookupError:
                shutil.rmtree(child, ignore_errors=True)
            except PermissionError:
                pass


class InstanceFS:
    """One instance's filesystem, rooted at a host folder."""

    def __init__(self, root: Path) -> None:
        for sub in LAYOUT:
            (root / sub).mkdir(parents=True, exist_ok=True, mode=0o700)
        self.root = root.resolve()

    def host_path(self, path: str, cwd: str = "/") -> Path:
        """The host location of an instance path (absolute, or relative to ``cwd``).

        Raises :class:`EscapeError` if the location, symlinks followed, is outside the root.
        """
        if path == "~" or path.startswith("~/"):
            path = HOME + path[1:]
        inside = posixpath.normpath(posixpath.join("/", cwd, path))
        while inside.startswith("//"):
            inside = inside[1:]
        candidate = self.root / inside.lstrip("/")
        real = Path(os.path.realpath(candidate))
        if real != self.root and self.root not in real.parents:
            raise EscapeError(f"{path}: outside this instance's filesystem")
        return candidate

    def instance_path(self, host: str | Path) -> str:
        """The instance path of a host location under the root."""
        rel = os.path.relpath(os.path.realpath(host), self.root)
        return "/" if rel == "." else "/" + rel.replace(os.sep, "/")

    def remove(self) -> None:
        """Delete the whole filesystem."""
        shutil.rmtree(self.root, ignore_errors=True)


class DiskFiles(MutableMapping[str, str]):
    """The instance's regular files as ``{instance path: text}``, read from and written to disk."""

    def __init__(self, fs: InstanceFS) -> None:
        self.fs = fs

    def _host(self, key: str) -> Path:
        try:
            return self.fs.host_path(key)
        except EscapeError:
            raise KeyError(key) from None

    def __getitem__(self, key: str) -> str:
        host = self._host(key)
        if not host.is_file():
            raise KeyError(key)
        return host.read_bytes().decode("utf-8", "replace")

    def __setitem__(self, key: str, value: str) -> None:
        try:
            host = self.fs.host_path(key)
        except EscapeError as err:
            raise PermissionError(str(err)) from None
        host.write_text(value)

    def __delitem__(self, key: str) -> None:
        host = self._host(key)
        if not host.is_file():
            raise KeyError(key)
        host.unlink()

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._exists(key)

    def _exists(self, key: str) -> bool:
        try:
            return self.fs.host_path(key).is_file()
        except EscapeError:
            return False

    def __iter__(self) -> Iterator[str]:
        for folder, _, names in os.walk(self.fs.root):
            for name in names:
                yield self.fs.instance_path(Path(folder) / name)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class DiskDirs(MutableSet[str]):
    """The instance's folders as a set of instance paths, backed by disk."""

    def __init__(self, fs: InstanceFS) -> None:
        self.fs = fs

    @classmethod
    def _from_iterable(cls, it: Iterable[str]) -> set[str]:  # type: ignore[override]
        return set(it)

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        try:
            return self.fs.host_path(key).is_dir()
        except EscapeError:
            return False

    def __iter__(self) -> Iterator[str]:
        yield "/"
        for folder, names, _ in os.walk(self.fs.root):
            for name in names:
                yield self.fs.instance_path(Path(folder) / name)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def add(self, value: str) -> None:
        """Make the folder (its parent must exist, as ``mkdir -p`` calls it level by level)."""
        self.fs.host_path(value).mkdir(exist_ok=True)

    def discard(self, value: str) -> None:
        """Remove an empty folder."""
        try:
            self.fs.host_path(value).rmdir()
        except (OSError, EscapeError):
            pass


class InstanceState(ShellState):
    """A :class:`ShellState` whose files and folders live in an :class:`InstanceFS`."""

    def __init__(self, hostname: str, fs: InstanceFS) -> None:
        super().__init__(hostname, files=DiskFiles(fs), dirs=DiskDirs(fs))
        self.fs = fs

    def path(self, name: str) -> str:
        """An absolute, normalised instance path; ``~`` is ec2-user's home."""
        if name == "~" or name.startswith("~/"):
            name = HOME + name[1:]
        return super().path(name)


def new_state(hostname: str, region: str, instance_id: str) -> InstanceState:
    """A fresh shell state whose files live on disk, one folder per instance."""
    return InstanceState(hostname, InstanceFS(instances_root() / region / instance_id))


def remove_all() -> None:
    """Remove every instance filesystem of this emulator process."""
    shutil.rmtree(instances_root(), ignore_errors=True)


# -- commands that need a real filesystem -----------------------------------------------------


def rm(ctx: Context, args: list[str]) -> int:
    """rm [-f] [-r] FILE…"""
    flags = "".join(a[1:] for a in args if a.startswith("-") and len(a) > 1)
    names = [a for a in args if not a.startswith("-") or a == "-"]
    if not names:
        ctx.error("rm: missing operand")
        return 1
    code = 0
    for name in names:
        path = ctx.state.path(name)
        if path in ctx.state.files:
            del ctx.state.files[path]
        elif path in ctx.state.dirs:
            if "r" not in flags.lower() or path == "/":
                ctx.error(f"rm: cannot remove '{name}': Is a directory")
                code = 1
                continue
            state = ctx.state
            if isinstance(state, InstanceState):
                shutil.rmtree(state.fs.host_path(path), ignore_errors=True)
        elif "f" not in flags:
            ctx.error(f"rm: cannot remove '{name}': No such file or directory")
            code = 1
    return code


def sudo(ctx: Context, args: list[str]) -> int:
    """sudo COMMAND… (ec2-user may sudo without a password on Amazon Linux)"""
    while args and args[0].startswith("-"):
        if args[0] in ("-u", "-g") and len(args) > 1:
            args = args[2:]
        else:
            args = args[1:]
    if not args:
        ctx.error("usage: sudo command")
        return 1
    fn = COMMANDS.get(args[0])
    if fn is None:
        ctx.error(f"sudo: {args[0]}: command not found")
        return 1
    return fn(ctx, args[1:])
