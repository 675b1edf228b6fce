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
