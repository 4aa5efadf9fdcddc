"""Exceptions of the annotations package."""

from __future__ import annotations

import re
from pathlib import Path

_MAX_NAME = 80
_LONG_QUOTED = re.compile(r"'([^']{%d,})'" % (_MAX_NAME + 1))


def _short(text: str) -> str:
    """Clip an entry or key name for a message (hostile files can carry huge keys)."""
    return text if len(text) <= _MAX_NAME else text[: _MAX_NAME - 1] + "…"


class KnowledgeError(ValueError):
    """The clinical knowledge data is invalid.

    The message names the file, the entry and the key at fault, e.g.
    ``conditions.toml: entry 'conditions.slipping_rib_syndrome': key
    'highlight[0].structure': unknown structure id 'cartilage_Q8'``.

    Parameters
    ----------
    message : str
        What is wrong.
    file : str or pathlib.Path or None, default: None
        The data file.
    entry : str or None, default: None
        The entry, written ``<section>.<id>`` (``conditions.arthritis``).
    key : str or None, default: None
        The key inside the entry (``levels.default``, ``highlight[2].role``).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        entry: str | None = None,
        key: str | None = None,
    ) -> None:
        message = _LONG_QUOTED.sub(lambda m: f"'{_short(m.group(1))}'", message)
        self.detail = message
        self.file = str(file) if file is not None else None
        self.entry = entry
        self.key = key
        parts = []
        if self.file:
            parts.append(self.file)
        if entry:
            parts.append(f"entry '{_short(entry)}'")
        if key:
            parts.append(f"key '{_short(key)}'")
        super().__init__(": ".join(parts + [message]))
