"""Config plumbing shared by every typed config (runs, tuning, ablation, pre-training, crawls):
dotted keys on plain nested dicts, a factory's default by its signature, and pydantic errors
turned into the one line a user reads.

>>> raw = {"optim": {"lr": 0.1}}
>>> set_key(raw, "model.width", 8); get_key(raw, "model.width"), get_key(raw, "model.depth", 3)
(8, 3)
"""

from __future__ import annotations

import copy
import inspect
from typing import Any, Callable

from pydantic import BaseModel, ValidationError

from seqlab.errors import ConfigError
from seqlab.registry import suggest


def get_key(raw: dict[str, Any], key: str, default: Any = None) -> Any:
    """``raw["a"]["b"]`` for ``"a.b"``, or ``default`` where any part is absent."""
    node: Any = raw
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return default
        node = node[part]
    return node


def set_key(raw: dict[str, Any], key: str, value: Any) -> None:
    """Set ``"a.b.c"`` in place, creating missing sections; a part that is a value, not a
    section, is a config error."""
    node = raw
    parts = key.split(".")
    for part in parts[:-1]:
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        if not isinstance(child, dict):
            raise ConfigError(f"'{key}': {part!r} is not a section")
        node = child
    node[parts[-1]] = value


def with_key(raw: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``raw`` with ``key`` set (the original is left alone)."""
    out = copy.deepcopy(raw)
    set_key(out, key, value)
    return out


def factory_default(fn: Callable[..., Any], arg: str, fallback: Any = None) -> Any:
    """The default of ``fn``'s keyword ``arg``, or ``fallback`` when it has none."""
    param = inspect.signature(fn).parameters.get(arg)
    return fallback if param is None or param.default is inspect.Parameter.empty else param.default


def first_error(exc: ValidationError, model: type[BaseModel], prefix: str = "",
                hidden: tuple[str, ...] = ()) -> str:
    """The one line for a pydantic error: the key with its full dotted path, and for an
    unknown key the nearest valid one and the valid keys at that level (``hidden`` keys are
    never offered). A misspelt key shows up as both "missing X" and "unknown Y": the unknown
    key is the one that tells the user what to fix, so it is reported first."""
    err = sorted(exc.errors(), key=lambda e: e["type"] != "extra_forbidden")[0]
    loc = [str(p) for p in err["loc"]]
    key = ".".join([prefix] * bool(prefix) + loc) or "<top>"
    if err["type"] == "extra_forbidden":
        at = _model_at(model, err["loc"][:-1])
        valid = [k for k in (at.model_fields if at else []) if k not in hidden]
        return f"unknown key '{key}'{suggest(loc[-1], valid)}; valid: {', '.join(valid)}"
    if err["type"] == "missing":
        return f"missing required key '{key}'"
    msg = err["msg"].removeprefix("Value error, ")
    return f"'{key}': {msg[:1].lower()}{msg[1:]}, got {err.get('input')!r}"


def _model_at(model: type[BaseModel] | None, loc) -> type[BaseModel] | None:
    """Walk the schema along an error location to the model that rejected the key."""
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:  # a dict key such as a field name: stay on the value's model
            continue
        model = _inner_model(field.annotation)
    return model


def _inner_model(annotation) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _inner_model(arg)
        if found is not None:
            return found
    return None
