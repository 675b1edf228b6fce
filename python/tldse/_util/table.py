"""Tables that fit: the one way tldse shows a table, in the ``tldse`` commands and
in the reprs of result objects.

A table is a list of :class:`Column` (a data key, a short header with its unit, a
cell formatter and a priority) over rows (mappings from keys to raw values).
:func:`fit` keeps the columns that fit a width, most important first, and says
which it left out. Numbers are never wrapped or cut: a number column is at least
as wide as its widest cell; only text columns (names, descriptions) fold. The
same columns give the rows as raw records (CSV, JSON) and as HTML.

Columns are data, so a result with more fields (a richer per-layer schema) is
shown by adding columns; a key without a column is shown with its name as the
header and :func:`number` as the format (:func:`select`).
"""

from __future__ import annotations

import html
import io
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

#: Spaces between two columns.
GAP = 2
#: The narrowest a folded text column gets when the table is short of room.
TEXT_MIN = 12

Row = Mapping[str, Any]


def _finite(v: Any) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def number(v: Any) -> str:
    """A metric in few characters without losing its magnitude: ``12,345``,
    ``123.4``, ``1.234``, ``0.01234``, ``1.2e-07``; ``-`` for None or NaN;
    text as is."""
    if v is None or isinstance(v, str):
        return "-" if v is None else v
    if isinstance(v, bool):
        return str(v).lower()
    f = _finite(v)
    if f is None:
        return "-" if _is_nan(v) else str(v)
    if float(f).is_integer() and abs(f) < 1e15:
        return f"{f:,.0f}"
    a = abs(f)
    if a >= 1000:
        return f"{f:,.0f}"
    if a >= 1e-4:
        digits = max(0, 3 - math.floor(math.log10(a)))
        return f"{f:.{digits}f}"
    return f"{f:.2g}"


def _is_nan(v: Any) -> bool:
    try:
        return math.isnan(float(v))
    except (TypeError, ValueError):
        return v is None


def integer(v: Any) -> str:
    """A count: ``1,234,567`` (``-`` for None or NaN)."""
    f = _finite(v)
    return "-" if f is None else f"{f:,.0f}"


def scaled(factor: float, digits: int | None = None) -> Callable[[Any], str]:
    """A formatter of ``v * factor`` (``digits`` decimals, else :func:`number`):
    ``scaled(1e-6)`` shows pJ as uJ."""

    def fmt(v: Any) -> str:
        f = _finite(v)
        if f is None:
            return "-" if _is_nan(v) else str(v)
        return number(f * factor) if digits is None else f"{f * factor:,.{digits}f}"

    return fmt


def fixed(digits: int) -> Callable[[Any], str]:
    """``digits`` decimals (utilisation: ``0.87``)."""
    return scaled(1.0, digits)


@dataclass(frozen=True)
class Column:
    """One column: ``key`` in the rows, a short ``header`` with its unit, the cell
    ``fmt``, a ``priority`` (0: always shown; higher numbers are left out first
    when the width is short) and ``text`` (left-aligned, may fold)."""

    key: str
    header: str = ""
    fmt: Callable[[Any], str] = number
    priority: int = 1
    text: bool = False

    @property
    def label(self) -> str:
        return self.header or self.key

    def cell(self, row: Row) -> str:
        return self.fmt(row.get(self.key))


def select(
    columns: Sequence[Column], names: str | None, keys: Iterable[str] = ()
) -> list[Column]:
    """The columns named in ``names`` (a comma list of keys, in that order; ``all``:
    every column and then every other key of ``keys``), or ``columns`` when
    ``names`` is empty. A key of ``keys`` with no column gets a plain one.
    ValueError names an unknown column and lists the known ones."""
    if not names or not names.strip():
        return list(columns)
    by_key = {c.key: c for c in columns}
    extra = [k for k in keys if k not in by_key]
    wanted = [n.strip() for n in names.split(",") if n.strip()]
    if wanted == ["all"]:
        return [*columns, *(Column(k) for k in extra)]
    known = [*by_key, *extra]
    out = []
    for name in wanted:
        if name in by_key:
            out.append(by_key[name])
        elif name in extra:
            out.append(Column(name))
        else:
            raise ValueError(
                f"--columns: no column {name!r}; available: {', '.join(known)}, all"
            )
    return out


def _widths(columns: Sequence[Column], cells: Sequence[Sequence[str]]) -> list[int]:
    widths = []
    for j, c in enumerate(columns):
        w = max([len(c.label), *(len(r[j]) for r in cells)])
        if c.text:
            w = min(w, max(TEXT_MIN, len(c.label)))
        widths.append(w)
    return widths


def fit(
    columns: Sequence[Column], rows: Sequence[Row], width: int | None
) -> tuple[list[Column], list[Column]]:
    """(shown, left out): the columns, in their order, that fit in ``width``
    characters, taken by priority (then order); priority 0 is always shown.
    ``width=None`` shows every column."""
    if width is None:
        return list(columns), []
    cells = [[c.cell(r) for c in columns] for r in rows]
    widths = _widths(columns, cells)
    order = sorted(range(len(columns)), key=lambda j: (columns[j].priority, j))
    keep: set[int] = set()
    used = 0
    for j in order:
        need = widths[j] + (GAP if keep else 0)
        if columns[j].priority == 0 or used + need <= width:
            keep.add(j)
            used += need
    shown = [c for j, c in enumerate(columns) if j in keep]
    hidden = [c for j, c in enumerate(columns) if j not in keep]
    return shown, hidden


def needed_width(columns: Sequence[Column], rows: Sequence[Row]) -> int:
    """The width the columns take with text columns at their narrowest."""
    cells = [[c.cell(r) for c in columns] for r in rows]
    widths = _widths(columns, cells)
    return sum(widths) + GAP * max(0, len(widths) - 1)


def rich_table(
    columns: Sequence[Column], rows: Sequence[Row], *, title: str | None = None
) -> Any:
    """A ``rich.table.Table`` of the rows (no box lines but the header rule;
    numbers ``no_wrap`` at their full width, text columns ``overflow="fold"``)."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    cells = [[c.cell(r) for c in columns] for r in rows]
    widths = _widths(columns, cells)
    t = Table(
        title=title,
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        collapse_padding=True,
        header_style="bold",
    )
    for c, w in zip(columns, widths, strict=True):
        if c.text:
            t.add_column(c.label, justify="left", overflow="fold", min_width=w)
        else:
            t.add_column(c.label, justify="right", no_wrap=True, min_width=w)
    for r in cells:
        t.add_row(*(Text(s) for s in r))
    return t


def render(
    columns: Sequence[Column],
    rows: Sequence[Row],
    *,
    width: int = 80,
    title: str | None = None,
) -> str:
    """The table as plain text in at most ``width`` columns (the columns that
    fit; a last line names those left out)."""
    from rich.console import Console

    shown, hidden = fit(columns, rows, width)
    buf = io.StringIO()
    con = Console(
        file=buf,
        width=max(width, needed_width(shown, rows)),
        color_system=None,
        highlight=False,
        emoji=False,
        markup=False,
    )
    con.print(rich_table(shown, rows, title=title))
    if hidden:
        con.print(f"({len(hidden)} more columns: {', '.join(c.key for c in hidden)})")
    return "\n".join(line.rstrip() for line in buf.getvalue().splitlines())


def to_html(
    columns: Sequence[Column], rows: Sequence[Row], *, title: str | None = None
) -> str:
    """The table as an HTML ``<table>`` (every column; for notebooks)."""
    esc = html.escape
    head = "".join(f"<th>{esc(c.label)}</th>" for c in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:{"left" if c.text else "right"}">'
            f"{esc(c.cell(r))}</td>"
            for c in columns
        )
        + "</tr>"
        for r in rows
    )
    cap = f"<caption>{esc(title)}</caption>" if title else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def plain(v: Any) -> Any:
    """A raw value as plain JSON data: numpy scalars to Python, NaN / inf to
    None."""
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            v = v.item()
        except (TypeError, ValueError):
            return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def records(keys: Sequence[str], rows: Sequence[Row]) -> list[dict[str, Any]]:
    """The rows' raw values of ``keys`` as plain records (JSON-ready)."""
    return [{k: plain(r.get(k)) for k in keys} for r in rows]


def wrap(text: str, width: int = 80) -> str:
    """Each line of ``text`` wrapped at ``width`` (words are never split)."""
    import textwrap

    return "\n".join(
        textwrap.fill(line, width, break_long_words=False, break_on_hyphens=False)
        or line
        for line in text.splitlines()
    )


def plural(n: int, word: str, words: str | None = None) -> str:
    """``1 design``, ``2 designs``, ``12,345 designs`` (``words``: an irregular
    plural)."""
    return f"{n:,} {word if n == 1 else words or word + 's'}"


def spread(n: int, k: int) -> list[int]:
    """``k`` row numbers spread evenly over ``0..n-1`` (all when ``n <= k``),
    first and last included."""
    if n <= k:
        return list(range(n))
    if k <= 1:
        return [0][:k]
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})
