"""The one YAML reader for configs and run files: plain data only, bounded.

A YAML alias bomb (a few kB that expand to gigabytes) hung seqlab for minutes; aliases and
anchors are refused, nesting is capped, and a config file over 1 MB is not a config. Every
failure is one ``ConfigError`` naming the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from seqlab.errors import ConfigError

MAX_CONFIG_BYTES = 1 << 20  # a config is a few kB; a bigger file is not one


class _Refused(yaml.YAMLError):
    def __init__(self, mark, why: str):
        self.line, self.why = mark.line + 1, why


class StrictLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses anchors and aliases (``&a`` / ``*a``) as it meets them,
    before anything is built: nine nested aliases expand a 1 kB file into 10^9 strings (the
    "billion laughs"), which hung seqlab at 2.5 GB. No seqlab config needs them, nor more than
    ``MAX_DEPTH`` levels of nesting (5,000 nested ``[`` took PyYAML's scanner seconds)."""

    MAX_DEPTH = 32
    depth = 0

    def fetch_flow_collection_start(self, token_class):
        """Stop at the scanner already: its look-ahead over deeply nested ``[`` is quadratic."""
        if self.flow_level >= self.MAX_DEPTH:
            raise _Refused(self.get_mark(), f"nested more than {self.MAX_DEPTH} levels deep; not a seqlab config")
        super().fetch_flow_collection_start(token_class)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(event.start_mark, "YAML anchors and aliases (&name, *name) are not allowed in seqlab "
                                             "configs; write the values out")
        if self.depth >= self.MAX_DEPTH:
            raise _Refused(event.start_mark, f"nested more than {self.MAX_DEPTH} levels deep; not a seqlab config")
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


def parse_yaml(text: str, where: str) -> Any:
    """YAML text -> plain data with ``StrictLoader``; every failure is one ``ConfigError``."""
    loader = StrictLoader(text)
    try:
        return loader.get_single_data()
    except _Refused as exc:
        raise ConfigError(f"{where}: line {exc.line}: {exc.why}") from None
    except yaml.MarkedYAMLError as exc:
        at = f" at line {exc.problem_mark.line + 1}" if exc.problem_mark else ""
        raise ConfigError(f"{where}: not valid YAML{at} ({exc.problem or exc.context})") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML ({str(exc).splitlines()[0]})") from None
    except (ValueError, OverflowError) as exc:  # an integer of 5,000 digits, month 13 in a date
        why = str(exc).split(";")[0].splitlines()[0][:120]
        raise ConfigError(f"{where}: a YAML value cannot be converted ({why})") from None
    finally:
        loader.dispose()


def read_yaml(path: Path) -> Any:
    """A config file's YAML: at most ``MAX_CONFIG_BYTES``, UTF-8, no aliases."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES >> 20} MB, too big to be a seqlab config")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                          "save the config as UTF-8") from None
    return parse_yaml(text, str(path))
