"""Pieces every command module shares: the consoles, the user-error type, and the
flags that mean the same in every command (workload, energy table, mapper)."""

from __future__ import annotations

import argparse
import functools
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from tldse._util.io import output_lock
from tldse.workloads import names as zoo_names

#: stdout (tables, results). Wide enough for tables when stdout is not a terminal.
console = Console(width=None if sys.stdout.isatty() else 160)
#: stderr (progress notes, errors).
errors = Console(stderr=True, highlight=False, soft_wrap=True)


class CliError(Exception):
    """A user error: printed as one line, exit status 2."""


def csv_list(text: str | None) -> list[str]:
    """``"a, b,,c"`` -> ``["a", "b", "c"]``."""
    return [p.strip() for p in (text or "").split(",") if p.strip()]


def int_list(text: str, what: str) -> tuple[int, ...]:
    """``"1,2,3"`` -> ``(1, 2, 3)``; a message naming ``what`` otherwise."""
    try:
        vals = tuple(int(p) for p in csv_list(text))
    except ValueError:
        raise ValueError(
            f"{what}: expected comma-separated integers, got {text!r}"
        ) from None
    if not vals:
        raise ValueError(f"{what}: expected at least one integer")
    return vals


WORKLOAD_HELP = (
    "zoo name ({names}), NAME:KEY=VALUE for options (bert_base:seq_len=256), or a "
    "topology file"
)


def add_workload_arg(
    p: argparse.ArgumentParser, default: str, *, several: bool = False
) -> None:
    """``--workload`` (and ``--batch``): one meaning everywhere (see
    :mod:`tldse.workloads.resolve`)."""
    text = WORKLOAD_HELP.format(names=", ".join(zoo_names()))
    if several:
        p.add_argument(
            "--workload",
            action="append",
            help=f"{text}; repeat (or comma-separate) for several, NAME*WEIGHT "
            f"to weight one, quoted in a shell (default {default})",
        )
    else:
        p.add_argument("--workload", default=default, help=f"{text} ({default})")
    p.add_argument("--batch", type=int, default=1, help="batch size (1)")


def add_energy_arg(
    p: argparse.ArgumentParser, default: str | None = "horowitz45"
) -> None:
    """``--energy-table``."""
    p.add_argument(
        "--energy-table",
        default=default,
        help="horowitz45 (default), eyeriss, or a key = value file",
    )


def add_mapper_args(p: argparse.ArgumentParser) -> None:
    """``--mapper`` and ``--mapper-objective`` (``--objective`` is its deprecated
    spelling): the rs mapper's search mode and what it minimises."""
    p.add_argument(
        "--mapper-objective",
        "--objective",
        dest="mapper_objective",
        choices=("latency", "energy", "edp"),
        default="edp",
        help="what the rs mapper minimises where the dataflow leaves a choice (edp)",
    )
    p.add_argument(
        "--mapper",
        choices=("heuristic", "exhaustive"),
        default="heuristic",
        help="rs mapper search mode (heuristic)",
    )


def default_out(command: str, workloads: list[str], space: str) -> Path:
    """The default output folder of a command: ``COMMAND-WORKLOADS-SPACE`` in the
    working directory, from the workloads' and space's names (never their paths),
    with anything but letters, digits, ``_.-`` replaced by ``_``."""
    tag = re.sub(r"[^A-Za-z0-9_.+-]+", "_", f"{'+'.join(workloads)}-{space}")
    return Path(f"{command}-{tag.strip('.')}")


def add_threads_arg(p: argparse.ArgumentParser, what: str = "simulator") -> None:
    p.add_argument(
        "--threads", type=int, default=None, help=f"{what} threads (all cores)"
    )


def show_help(parser: argparse.ArgumentParser) -> Any:
    """A command handler that prints ``parser``'s help (for command groups)."""

    def run(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    return run


Handler = Callable[[argparse.Namespace], int]


def locks_out(what: str) -> Callable[[Handler], Handler]:
    """A command handler that holds the lock of its ``--out`` folder while it runs
    (:func:`tldse._util.io.output_lock`): a second command writing the same folder
    stops at once with a message instead of mixing its files in."""

    def wrap(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def run(args: argparse.Namespace) -> int:
            out = getattr(args, "out", None)
            if out is None:
                return handler(args)
            with output_lock(Path(out), what):
                return handler(args)

        return run

    return wrap
