"""Where a pre-trained Hugging Face checkpoint comes from: a local directory, or a hub name.

``model.pretrained`` (the weights) and ``data.tokenizer_path`` (the tokenizer) both name one,
and both are read through ``from_hub`` here, so they agree on what "offline" means:

- a **directory** is read with ``local_files_only=True``: nothing is fetched, ever;
- a **hub name** (``klue/bert-base``) is looked up in the local Hugging Face cache first, so a
  checkpoint downloaded once (``huggingface-cli download NAME``) loads without a network;
- only when it is not cached, ``HF_HUB_OFFLINE`` / ``TRANSFORMERS_OFFLINE`` are unset and the
  hub's host resolves is it downloaded.

Why not leave this to ``from_pretrained``: on a machine without internet and without
``HF_HUB_OFFLINE=1`` it retries for about 45 s and then prints a paragraph; here a checkpoint
that cannot be had is one ``ConfigError`` line, at once, naming both ways to provide it.
Imports nothing heavy: the caller passes the loader (``AutoTokenizer.from_pretrained`` ...).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any, Callable
from urllib.parse import urlparse

from seqlab.errors import ConfigError

OFFLINE_VARIABLES = ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE")
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


def hub_offline() -> str | None:
    """The variable by which the user asked for no network, if any (read now, not when
    huggingface_hub was imported)."""
    return next((v for v in OFFLINE_VARIABLES
                 if os.environ.get(v, "").strip().upper() in ("1", "ON", "YES", "TRUE")), None)


def hub_reachable() -> bool:
    """Whether the hub's host name resolves (``HF_ENDPOINT``, default huggingface.co): on a
    machine without a network it does not, at once. Behind a proxy the client may not resolve
    names itself, so a configured proxy counts as reachable."""
    if any(os.environ.get(v) for v in PROXY_VARIABLES):
        return True
    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or "huggingface.co"
    try:
        socket.getaddrinfo(host, 443)
        return True
    except OSError:
        return False


def not_found(key: str, name: str, why: str) -> ConfigError:
    return ConfigError(
        f"{key}: {name!r} {why}; give a local directory holding the checkpoint (config.json, weights, "
        f"tokenizer files), or the hub name with internet and HF_HUB_OFFLINE unset, or download it first "
        f"with `huggingface-cli download {name}` (then it loads offline)")


def _first_line(exc: Exception) -> str:
    text = str(exc).strip()
    return (text.splitlines()[0] if text else type(exc).__name__)[:300]


def from_hub(loader: Callable[..., Any], name_or_path: str, key: str, **kwargs: Any) -> Any:
    """``loader(source, local_files_only=..., **kwargs)``, offline first (see the module text).
    ``key`` names the config key in errors (``model.pretrained``, ``data.tokenizer_path``)."""
    path = Path(str(name_or_path)).expanduser()
    if (path / "encoder.pt").is_file() and not (path / "config.json").is_file():
        raise ConfigError(f"{key}: {path} is a `seqlab pretrain` run, not a Hugging Face checkpoint: fine-tune it "
                          "with model.name: text_bert_pretrained (or text_bert_lora), or write it as one with "
                          "seqlab.models.hf_encoder.save_as_hf")
    if path.is_dir():
        try:
            return loader(str(path), local_files_only=True, **kwargs)
        except (OSError, ValueError, KeyError) as exc:
            raise ConfigError(f"{key}: {path} is not a usable Hugging Face checkpoint directory "
                              f"({_first_line(exc)})") from None
    if str(name_or_path).startswith(("/", "./", "../", "~")) or path.suffix in (".json", ".pt", ".bin"):
        raise ConfigError(f"{key}: directory {name_or_path} not found (a local checkpoint is a directory "
                          "written by save_pretrained or `huggingface-cli download NAME --local-dir DIR`)")
    try:
        return loader(str(name_or_path), local_files_only=True, **kwargs)  # the cache: no network
    except OSError:
        pass  # not cached
    except (ValueError, KeyError) as exc:  # cached, but transformers cannot build it
        raise ConfigError(f"{key}: {name_or_path!r} cannot be loaded ({_first_line(exc)})") from None
    if hub_offline():
        raise not_found(key, str(name_or_path), "is not a local directory and not in the Hugging Face cache, "
                                                f"and {hub_offline()} is set") from None
    if not hub_reachable():
        raise not_found(key, str(name_or_path), "is not a local directory and not in the Hugging Face cache, "
                                                "and the hub cannot be reached (no network)") from None
    try:
        return loader(str(name_or_path), **kwargs)
    except (OSError, ValueError, KeyError) as exc:
        raise not_found(key, str(name_or_path), f"could not be loaded ({_first_line(exc)})") from None
