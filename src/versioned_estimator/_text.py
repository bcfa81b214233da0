"""Text read from a file, made safe to show: every character that is not
printable (:func:`printable`) escaped, in time and memory proportional to
the text.

One place for it: the readers quote names and values in their errors, and
the command line prints them. Escaping one character at a time in Python
took 9 seconds and 1.2 GB to quote 60 characters of a 15 MiB field (the
whole field was escaped, then cut; round 107). Here the text is cut before
it is escaped, and escaped by ``str.translate`` over a table filled once a
distinct character.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["cut", "escaped", "hex_form", "printable", "python_form"]

#: Characters Python calls printable that show as nothing or as blank space:
#: Unicode's default-ignorable code points (Hangul fillers, joiners,
#: variation selectors, tags; the formatting ones among them Python already
#: escapes) and the blank Braille pattern. Bare, a metadata key of them read
#: as two columns of the report and a padded value as a line of its own
#: (round 124).
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f"
    "\u200b-\u200f\u202a-\u202e\u2060-\u206f\u2800\u3164\ufe00-\ufe0f"
    "\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a"
    "\U000e0000-\U000e0fff]"
)


def printable(text: str) -> bool:
    r"""Whether ``text`` shows every character it holds: printable, as
    Python says, and none that shows as nothing or blank space.

    Examples
    --------
    >>> printable("sepal length"), printable("a\tb"), printable("x\u3164y")
    (True, False, False)
    """
    return text.isprintable() and _INVISIBLE.search(text) is None


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
        shown = ch if printable(ch) else self.form(ch)
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
    if printable(text):
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
