"""Text that is safe to print: error messages quote what a user typed or what a
file held, and neither is guaranteed to be valid UTF-8."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator


def printable(text: str) -> str:
    """``text`` with everything that is not printable, valid Unicode replaced by
    an escape: bytes smuggled in by ``surrogateescape`` (command-line arguments
    and file names that are not UTF-8) and lone surrogates become ``\\xNN`` /
    ``\\uNNNN``, control characters ``\\xNN``; tabs stay. The result always
    encodes as UTF-8, so a message never puts invalid UTF-8 on a terminal."""
    out: list[str] = []
    for ch in text:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that surrogateescape kept
            out.append(f"\\x{code - 0xDC00:02X}")
        elif 0xD800 <= code <= 0xDFFF:
            out.append(f"\\u{code:04X}")
        elif ch == "\t" or ch.isprintable():
            out.append(ch)
        else:
            out.append(f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}")
    return "".join(out)


@contextlib.contextmanager
def utf8_errors(path: object) -> Iterator[None]:
    """Around a call into the C++ readers of the file ``path``: text from the file
    that is not UTF-8 reaches Python as a ``UnicodeDecodeError`` (of an error
    message quoting it, or of a layer name); it becomes a ValueError naming the
    file, those bytes escaped."""
    try:
        yield
    except UnicodeDecodeError as exc:
        if not isinstance(exc.object, (bytes, bytearray)):
            raise
        text = printable(bytes(exc.object).decode("utf-8", "surrogateescape"))
        if str(path) not in text:
            text = f"{path}: text that is not UTF-8: '{text}'"
        raise ValueError(text) from None
