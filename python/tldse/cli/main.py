"""The ``tldse`` command: one parser, one module per command group, and one place
that turns errors into messages.

Exit status: 0 success; 1 an unexpected error (one line; ``--debug`` shows the
traceback); 2 bad input or a failing file (one line naming the field); 130
interrupted (Ctrl-C), after saying what was saved and how to resume.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Sequence
from typing import NoReturn, TextIO

from tldse import __version__
from tldse._util.text import printable
from tldse.cli import (
    evaluators,
    experiment,
    explore,
    learn,
    simulate,
    sweep,
    workloads,
)
from tldse.cli._common import CliError, errors

MODULES = (simulate, workloads, sweep, learn, explore, evaluators, experiment)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tldse",
        description="Design space exploration of DNN accelerators.",
    )
    parser.add_argument("--version", action="version", version=f"tldse {__version__}")
    parser.add_argument(
        "--debug",
        action="store_true",
        help="show the full traceback of an unexpected error",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in MODULES:
        module.register(sub)
    return parser


def _fail(message: str) -> None:
    errors.print(f"tldse: error: {printable(message)}", style="red", markup=False)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """A warning as one line: ``tldse: warning: ...``."""
    errors.print(f"tldse: warning: {message}", style="yellow", markup=False)


def _quiet_stdout() -> None:
    """Points stdout at /dev/null so that Python's final flush of a closed
    pipe raises nothing."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _interrupted(args: argparse.Namespace) -> None:
    """One line on Ctrl-C: what was saved and how to continue
    (``args.interrupt_hint``, a text or a function that makes one, set by the
    command once it has something to say)."""
    hint = getattr(args, "interrupt_hint", None)
    try:
        text = hint() if callable(hint) else hint
    except Exception:  # the hint must never hide the interruption
        text = None
    errors.print("tldse: interrupted" + (f"; {text}" if text else ""), markup=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    raw = list(sys.argv[1:] if argv is None else argv)
    end = raw.index("--") if "--" in raw else len(raw)
    debug = "--debug" in raw[:end]  # accepted anywhere before "--"
    raw = [a for i, a in enumerate(raw) if not (i < end and a == "--debug")]
    args = parser.parse_args(raw)
    args.debug = debug
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    args.argv = raw
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return int(args.func(args))
    except KeyboardInterrupt:
        _interrupted(args)
        return 130
    except BrokenPipeError:  # stdout closed early (| head): not an error
        _quiet_stdout()
        return 0
    except ImportError as exc:
        if args.debug:
            raise
        name = exc.name or "a package"
        _fail(
            f"this command needs {name}, which is not installed (it is a "
            "dependency of tldse: reinstall tldse, or pip install it)"
        )
        return 2
    except (CliError, ValueError, OSError) as exc:
        if args.debug:
            raise
        _fail(str(exc))
        return 2
    except Exception as exc:
        if args.debug:
            raise
        _fail(
            f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the "
            "traceback)"
        )
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def run() -> NoReturn:
    """The ``tldse`` command: :func:`main` on ``sys.argv``, then exits with its
    status. After Ctrl-C (status 130) the process ends at once: CPython ends a
    process by SIGINT at exit (status -2, not 130) when the KeyboardInterrupt went
    through a C extension's evaluation of Python code, even though it was handled;
    everything tldse writes is complete and its locks released by then."""
    rc = main()
    if rc == 130:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(130)
    sys.exit(rc)
