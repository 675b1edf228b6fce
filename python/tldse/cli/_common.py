"""Pieces every command module shares: the consoles, the user-error type, and the
flags that mean the same in every command (workload, energy table, mapper)."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from rich.console import Console

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


def parse_value(text: str) -> Any:
    """``KEY=VALUE`` values: booleans (true/false, on/off, yes/no), integers,
    floats, else text; the receiver checks the type and names the field."""
    value = text.strip()
    if value.lower() in ("true", "false", "yes", "no", "on", "off"):
        return value.lower() in ("true", "yes", "on")
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            pass
    return value


def parse_pairs(items: list[str] | None, flag: str) -> dict[str, Any]:
    """Repeated ``KEY=VALUE`` flags as a dict of :func:`parse_value` values."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"{flag} expects KEY=VALUE, got {item!r}")
        out[key.strip()] = parse_value(value)
    return out


def add_evaluator_args(p: argparse.ArgumentParser, *, required: bool) -> None:
    """``--evaluator`` and how it runs: settings, its Python, memory, jobs, Dask,
    timeout (the same flags in ``compare`` and ``explore``)."""
    p.add_argument(
        "--evaluator",
        required=required,
        help="scalesim, zigzag or command:PATH (a program speaking the JSON "
        "protocol of docs/evaluators.md)"
        + ("" if required else "; default: tldse's analytical model"),
    )
    p.add_argument(
        "--setting",
        action="append",
        metavar="KEY=VALUE",
        help="an evaluator setting, e.g. interface_bandwidth=CALC (repeatable)",
    )
    p.add_argument(
        "--evaluator-python",
        help="the Python with the tool installed (else TLDSE_SCALESIM_PYTHON / "
        "TLDSE_ZIGZAG_PYTHON, else this Python)",
    )
    p.add_argument("--memory-limit", type=float, help="MB per tool process")
    p.add_argument("--jobs", type=int, default=1, help="tool processes at a time (1)")
    p.add_argument("--scheduler", help="Dask scheduler address instead of --jobs")
    p.add_argument("--timeout", type=float, help="seconds per layer evaluation")


def evaluator_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The evaluator's settings from :func:`add_evaluator_args`' flags."""
    settings = parse_pairs(args.setting, "--setting")
    if args.evaluator_python:
        settings["python"] = args.evaluator_python
    if args.memory_limit is not None:
        settings["memory_limit_mb"] = args.memory_limit
    if args.jobs < 1:
        raise ValueError(f"--jobs must be >= 1, got {args.jobs}")
    if args.timeout is not None and not args.timeout > 0:
        raise ValueError(
            f"--timeout: timeout_s must be > 0 seconds, got {args.timeout}"
        )
    return settings


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
