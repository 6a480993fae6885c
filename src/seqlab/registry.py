"""Name -> factory registries, so a config names a model or dataset instead of an import path.

Each entry is registered where it is defined (timm's ``@register_model``); lookup is by exact
name and an unknown name is an error that lists the close matches.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any, Callable

from seqlab.errors import ConfigError


def suggest(name: str, choices: list[str]) -> str:
    """' (did you mean X?)' text for error messages, or '' when nothing is close."""
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.5)
    return f" (did you mean {', '.join(repr(c) for c in close)}?)" if close else ""


@dataclass(frozen=True)
class Entry:
    name: str
    fn: Callable[..., Any]
    description: str
    meta: dict[str, Any] = field(default_factory=dict)


class Registry:
    """A named collection of factories, filled by a decorator at import time."""

    def __init__(self, kind: str):
        self.kind = kind
        self._entries: dict[str, Entry] = {}

    def register(self, fn: Callable | None = None, *, name: str | None = None, **meta: Any):
        """Decorator: ``@REG.register`` or ``@REG.register(name=..., config=...)``.

        The description shown by ``seqlab list`` is the first line of the docstring.
        """

        def add(f: Callable) -> Callable:
            key = name or f.__name__
            if key in self._entries:
                raise RuntimeError(f"{self.kind} {key!r} registered twice")
            doc = (f.__doc__ or "").strip().splitlines()
            self._entries[key] = Entry(key, f, doc[0] if doc else "", dict(meta))
            return f

        return add(fn) if fn is not None else add

    def get(self, name: str) -> Entry:
        try:
            return self._entries[name]
        except KeyError:
            names = sorted(self._entries)
            raise ConfigError(
                f"unknown {self.kind} {name!r}{suggest(name, names)}; "
                f"valid: {', '.join(names)}"
            ) from None

    def __contains__(self, name: str) -> bool:
        return name in self._entries

    def entries(self) -> list[Entry]:
        return [self._entries[k] for k in sorted(self._entries)]

    def names(self) -> list[str]:
        return sorted(self._entries)
