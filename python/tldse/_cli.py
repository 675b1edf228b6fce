"""Pieces shared by the command modules (cli_learn, cli_explore)."""

from __future__ import annotations

import argparse
from typing import Any


def experiment_subparsers(subparsers: Any) -> Any:
    """The subcommands of ``tldse experiment``, creating ``experiment`` on first use
    (several modules add experiments to it)."""
    existing = subparsers.choices.get("experiment")
    if existing is not None:
        for action in existing._actions:
            if isinstance(action, argparse._SubParsersAction):
                return action
    e = subparsers.add_parser(
        "experiment",
        help="reproducible experiments (transfer, search)",
        description="Reproducible experiments; see docs/surrogate.md and "
        "docs/explore.md.",
    )
    esub = e.add_subparsers(dest="experiment_command", metavar="EXPERIMENT")

    def show_help(_args: argparse.Namespace) -> int:
        e.print_help()
        return 0

    e.set_defaults(func=show_help)
    return esub


def add_mapper_args(
    p: argparse.ArgumentParser, objective_flag: str = "--objective"
) -> None:
    """``--mapper`` and the mapper's objective flag (``--objective`` by default)."""
    p.add_argument(
        objective_flag,
        choices=("latency", "energy", "edp"),
        default="edp",
        help="what the mapper minimises where the dataflow leaves a choice (edp)",
    )
    p.add_argument(
        "--mapper",
        choices=("heuristic", "exhaustive"),
        default="heuristic",
        help="mapper search mode (heuristic)",
    )
