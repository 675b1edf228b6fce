"""Pieces every command module shares: the consoles, the user-error type, the
flags that mean the same in every command (workload, energy table, mapper,
threads) and the one way a command prints a table (``--format``,
``--columns``)."""

from __future__ import annotations

import argparse
import csv
import functools
import json
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console

from tldse._util.io import output_lock
from tldse._util.table import Column, fit, needed_width, records, rich_table, select
from tldse.workloads import names as zoo_names

if TYPE_CHECKING:
    import pandas as pd

#: stdout (tables, results): the terminal's width, or $COLUMNS, or 80 columns
#: when stdout is not a terminal. Tables fit that width; message lines are
#: word-wrapped on a terminal and kept whole in a pipe or a log.
console = Console(highlight=False, soft_wrap=not sys.stdout.isatty())
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
    """``--threads`` of the C++ simulator (default: every core)."""
    p.add_argument(
        "--threads", type=int, default=None, help=f"{what} threads (all cores)"
    )


#: ``--threads`` of the commands that train or predict with torch.
TORCH_THREADS_HELP = (
    "torch CPU threads (default 1: the fastest for these small models on a "
    "busy or idle machine, see docs/surrogate.md; 0 = torch's default, every "
    "core)"
)


def add_torch_threads_arg(p: argparse.ArgumentParser) -> None:
    """``--threads`` of torch (default 1, measured: docs/surrogate.md)."""
    p.add_argument("--threads", type=int, default=1, help=TORCH_THREADS_HELP)


def torch_threads(args: argparse.Namespace) -> int | None:
    """``--threads`` checked: None (torch's default) for 0."""
    n = args.threads
    if n is not None and n < 0:
        raise CliError(f"--threads must be >= 0 (0 = every core), got {n}")
    return n or None


# ---------------------------------------------------------------- tables

FORMATS = ("table", "csv", "json")


def add_quiet_arg(p: argparse.ArgumentParser) -> None:
    """``--quiet`` (alias ``--no-progress``): no progress bar or lines, on every long
    command; read as ``args.quiet``."""
    p.add_argument(
        "--quiet",
        "--no-progress",
        dest="quiet",
        action="store_true",
        help="no progress bar or progress lines (--no-progress is the same)",
    )


def add_format_args(p: argparse.ArgumentParser, rows: str = "the rows") -> None:
    """``--format table|csv|json`` and ``--columns``."""
    p.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help=f"table (default: the columns that fit the terminal, 80 characters "
        f"when stdout is not one), or csv / json: {rows} with every column and "
        "raw values on stdout (messages go to stderr)",
    )
    p.add_argument(
        "--columns",
        metavar="A,B,...",
        help="the columns to print, in order, by their --format csv names; 'all' "
        "for every one (default: table: the most important that fit; csv/json: "
        "all)",
    )


def add_front_args(p: argparse.ArgumentParser, top: int) -> None:
    """``--top`` (rows of the printed front), ``--format`` and ``--columns`` of
    the commands that print a Pareto front."""
    p.add_argument(
        "--top",
        type=int,
        default=top,
        help=f"front rows in the printed table, spread evenly over it ({top})",
    )
    add_format_args(p, "the whole front")


def say(args: argparse.Namespace) -> Console:
    """Where a command's messages go: stdout with a table, stderr when stdout
    carries CSV or JSON."""
    return console if getattr(args, "format", "table") == "table" else errors


def print_rows(
    args: argparse.Namespace,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
    *,
    title: str | None = None,
    head: str | None = None,
    data: Sequence[Mapping[str, Any]] | None = None,
    keys: Sequence[str] | None = None,
) -> None:
    """Prints ``rows`` as ``args.format`` asks: a table of the ``columns`` that fit
    the width (or ``--columns``), after the line ``head``, with a line naming the
    columns left out; or ``data`` (default ``rows``) as CSV / JSON with every key
    (``keys``: their order, and the header when there is no row; or
    ``--columns``) and raw values."""
    fmt = getattr(args, "format", "table")
    names = getattr(args, "columns", None)
    data = rows if data is None else data
    keys = list(keys or dict.fromkeys(k for r in data for k in r))
    keys = keys or [c.key for c in columns]  # no rows: the header alone
    if fmt == "table":
        chosen = select(columns, names, keys)
        shown, hidden = (chosen, []) if names else fit(chosen, rows, console.width)
        width = max(console.width, needed_width(shown, rows))
        if head:
            console.print(head, style="bold", markup=False)
        table = rich_table(shown, rows, title=title)
        console.print(table, width=width, soft_wrap=False)
        if hidden:
            console.print(
                f"(not shown: {', '.join(c.key for c in hidden)}; see --columns, "
                "--format csv)",
                style="dim",
                markup=False,
            )
        return
    if names:
        keys = [c.key for c in select(columns, names, keys)]
    out = records(keys, data)
    if fmt == "json":
        sys.stdout.write(json.dumps(out, indent=1) + "\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=keys, lineterminator="\n")
    writer.writeheader()
    for r in out:
        writer.writerow({k: "" if v is None else v for k, v in r.items()})


def show_help(parser: argparse.ArgumentParser) -> Any:
    """A command handler that prints ``parser``'s help (for command groups)."""

    def run(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 0

    return run


def print_front(
    args: argparse.Namespace,
    front: pd.DataFrame,
    params: Sequence[str],
    objectives: Sequence[str],
    top: int,
) -> None:
    """A Pareto front (sweep, explore): ``top`` designs spread evenly over it in
    a table, or the whole front as CSV / JSON."""
    from tldse.search.results import design_columns, front_rows

    picked, title = front_rows(front, objectives, top)
    cols = design_columns(params, objectives, ties="ties" in front)
    print_rows(
        args,
        cols,
        picked,
        title=title,
        data=front.to_dict("records"),
        keys=list(front.columns),
    )


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
