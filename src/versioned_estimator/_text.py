"""Text read from a file, made safe to show: every character that is not
printable escaped, in time and memory proportional to the text.

One place for it: the readers quote names and values in their errors, and
the command line prints them. Escaping one character at a time in Python
took 9 seconds and 1.2 GB to quote 60 characters of a 15 MiB field (the
whole field was escaped, then cut; round 107). Here the text is cut before
it is escaped, and escaped by ``str.translate`` over a table filled once a
distinct character.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["cut", "escaped", "hex_form", "python_form"]


def hex_form(ch: str) -> str:
    r"""``\xNN``, the code point in hex (two digits at least).

    Examples
    --------
    >>> print(hex_form("\x1b"), hex_form("\u2028"))
    \x1b \x2028
    """
    return f"\\x{ord(ch):02x}"


def python_form(ch: str) -> str:
    r"""The escape Python's ``ascii`` writes.

    Examples
    --------
    >>> print(python_form("\n"), python_form("\x00"), python_form("\u2028"))
    \n \x00 \u2028
    """
    return ascii(ch)[1:-1]


class _Table(dict[int, str]):
    """``str.translate``'s table: each character met shown as itself when
    printable, else by ``form``; filled as characters are met (at most
    once each), so the text is walked in C."""

    def __init__(self, form: Callable[[str], str], keep: str) -> None:
        super().__init__({ord(ch): ch for ch in keep})
        self.form = form

    def __missing__(self, code: int) -> str:
        ch = chr(code)
        shown = ch if ch.isprintable() else self.form(ch)
        self[code] = shown
        return shown


#: What escapes may add to a text printed whole: 16 MiB of control
#: characters in a 2.5 KB bz2 file printed 64 MB (round 110).
MAX_ESCAPE_GROWTH = 1 << 16
_CHUNK = 1 << 16


def escaped(text: str, form: Callable[[str], str] = hex_form, keep: str = "") -> str:
    r"""``text`` with every character that is not printable (but those in
    ``keep``) written by ``form``, at most :data:`MAX_ESCAPE_GROWTH`
    characters longer than ``text`` (the rest cut, and said so).

    Examples
    --------
    >>> print(escaped("signed\x1b[2K yes"))
    signed\x1b[2K yes
    >>> print(escaped("a\nb\tc", python_form, keep="\n"))
    a
    b\tc
    >>> escaped("\x00" * 10**6).endswith("... (1,000,000 characters, cut)")
    True
    """
    if text.isprintable():
        return text
    table = _Table(form, keep)
    if len(text) <= _CHUNK:
        return text.translate(table)
    most = len(text) + MAX_ESCAPE_GROWTH
    out: list[str] = []
    size = 0
    for start in range(0, len(text), _CHUNK):
        piece = text[start : start + _CHUNK].translate(table)
        if size + len(piece) > most:
            out += [piece[: most - size], f"... ({len(text):,} characters, cut)"]
            break
        out.append(piece)
        size += len(piece)
    return "".join(out)


def cut(text: str, width: int = 60, form: Callable[[str], str] = hex_form) -> str:
    r"""``text`` escaped, at most ``width`` characters (``...`` ending one
    that was cut); only the part shown is escaped.

    Examples
    --------
    >>> print(cut("\x00" * 10**7, 12))
    \x00\x00\...
    >>> cut("short")
    'short'
    """
    head = escaped(text[: width + 1], form)
    return head if len(head) <= width else head[: width - 3] + "..."
