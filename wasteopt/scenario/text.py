"""The character rule of scenario text: what a cell or TOML string may contain.

Every text a scenario carries ends up in CSV, XLSX (XML 1.0), HTML and PDF outputs. XML 1.0
forbids the C0 control characters other than tab, line feed and carriage return, the
surrogates and U+FFFE/U+FFFF; the other control characters (U+007F, U+0080-U+009F) are allowed
there but are invisible and almost always the trace of a broken export or encoding. All of
these are refused in every cell and TOML string, and so is the carriage return: pandas writes
it into CSV cells unquoted, which splits the row. Tab and line feed are allowed in free text (a
quoted CSV cell may span lines, as a spreadsheet writes a cell with a line break); ids refuse
them through the id rule.
"""

from __future__ import annotations

import re

__all__ = ["BAD_CHARS", "TEXT_EXPECTED", "bad_char_message", "visible"]

#: Characters refused anywhere in scenario text.
BAD_CHARS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
#: What a refused text should have been, for messages.
TEXT_EXPECTED = "printable text (no control characters)"
# For display: the refused characters plus tab and line breaks, which would split a message.
_SHOWN_ESCAPED = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def bad_char_message(text: str) -> str | None:
    """Why ``text`` is refused (the first bad character and its position), or None."""
    m = BAD_CHARS.search(text)
    if m is None:
        return None
    code = ord(m.group())
    what = "the control character" if code <= 0x9F else "the non-character"
    return f"contains {what} U+{code:04X} at character {m.start() + 1}"


def visible(text: str) -> str:
    """``text`` with control characters, tabs and line breaks shown as escapes (``\\x00``)."""
    if not _SHOWN_ESCAPED.search(text):
        return text
    return _SHOWN_ESCAPED.sub(lambda m: ascii(m.group())[1:-1], text)
