"""The instance shell's built-in commands: files and directories, echo, hostname, whoami.

Each is ``(ctx, args) -> exit code``; the table that names them is in
:mod:`labkit.emulator.shell`.
"""

from __future__ import annotations

import posixpath

from labkit.emulator.shell.runtime import Context


def echo(ctx: Context, args: list[str]) -> int:
    """echo [-n] WORDS"""
    newline = True
    if args[:1] == ["-n"]:
        newline, args = False, args[1:]
    ctx.out.append(" ".join(args) + ("\n" if newline else ""))
    return 0


def cat(ctx: Context, args: list[str]) -> int:
    """cat FILE…"""
    code = 0
    for name in args:
        path = ctx.state.path(name)
        if path in ctx.state.dirs:
            ctx.error(f"cat: {name}: Is a directory")
            code = 1
        elif path in ctx.state.files:
            ctx.out.append(ctx.state.files[path])
        else:
            ctx.error(f"cat: {name}: No such file or directory")
            code = 1
    return code


def touch(ctx: Context, args: list[str]) -> int:
    """touch FILE…"""
    code = 0
    for name in (a for a in args if not a.startswith("-")):
        path = ctx.state.path(name)
        if posixpath.dirname(path) not in ctx.state.dirs:
            ctx.error(f"touch: cannot touch '{name}': No such file or directory")
            code = 1
        elif path not in ctx.state.dirs:
            ctx.state.files.setdefault(path, "")
    return code


def ls(ctx: Context, args: list[str]) -> int:
    """ls [-a] [PATH…] (names starting with "." only with -a or -A; other options ignored)"""
    names = [a for a in args if not a.startswith("-")] or ["."]
    hidden = any(a.startswith("-") and ("a" in a or "A" in a) for a in args)
    code = 0
    for name in names:
        path = ctx.state.path(name)
        if path in ctx.state.files:
            ctx.print(name)
        elif path in ctx.state.dirs:
            children = {
                p
                for p in ctx.state.dirs | set(ctx.state.files)
                if p != path and posixpath.dirname(p) == path
            }
            for child in sorted(children):
                if hidden or not posixpath.basename(child).startswith("."):
                    ctx.print(posixpath.basename(child))
        else:
            ctx.error(f"ls: cannot access '{name}': No such file or directory")
            code = 2
    return code


def mkdir(ctx: Context, args: list[str]) -> int:
    """mkdir [-p] DIR…"""
    for name in (a for a in args if not a.startswith("-")):
        path = ctx.state.path(name)
        while path not in ctx.state.dirs:
            ctx.state.dirs.add(path)
            path = posixpath.dirname(path)
    return 0


def pwd(ctx: Context, args: list[str]) -> int:
    """pwd"""
    ctx.print(ctx.state.cwd)
    return 0


def cd(ctx: Context, args: list[str]) -> int:
    """cd [DIR]"""
    path = ctx.state.path(args[0]) if args else "/home/ssm-user"
    if path not in ctx.state.dirs:
        ctx.error(f"bash: cd: {args[0]}: No such file or directory")
        return 1
    ctx.state.cwd = path
    return 0


def hostname(ctx: Context, args: list[str]) -> int:
    """hostname"""
    ctx.print(ctx.state.hostname)
    return 0


def whoami(ctx: Context, args: list[str]) -> int:
    """whoami (SSM's AWS-RunShellScript runs as root)"""
    ctx.print("root")
    return 0


def true_(ctx: Context, args: list[str]) -> int:
    """true"""
    return 0


def false_(ctx: Context, args: list[str]) -> int:
    """false"""
    return 1
