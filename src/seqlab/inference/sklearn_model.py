"""A scikit-learn run's estimator: saved, loaded and asked for probabilities without Lightning.

Why skops and not pickle: unpickling runs whatever code the file names, so a ``model.pkl``
planted in a run directory ran its payload on `seqlab predict`. ``checkpoints/model.skops``
(``skops.io``) names every type it holds; before anything is built, each type it does not
trust by default must be on seqlab's list (``trusted_type``) or the file is refused with the
type's name. A model file is only opened for a run whose config names a classical model, and
an old ``model.pkl`` is refused, never unpickled.
"""

from __future__ import annotations

import importlib
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from seqlab.errors import SeqlabError

MODEL_FILE = "model.skops"
LEGACY_FILE = "model.pkl"  # written by seqlab before skops: never loaded
# seqlab's own modules whose estimators and picklable helpers a saved model may hold
OWN_MODULES = ("seqlab.models.sklearn_text", "seqlab.models.sklearn_vectorisers", "seqlab.models.dechazal",
               "seqlab.data.text.analysers")
OWN_FUNCTIONS = ("seqlab.models.sklearn_text.split_space",)
MAX_EXPANSION = 200  # a zip member may not expand more than this (a zip bomb would)


def is_classical(cfg) -> bool:
    """Whether a run's config (``config.load_run``) names a scikit-learn model (registry
    ``kind="sklearn"``). The text baselines register without torch; any other name needs
    the whole registry, which a neural run imports to rebuild its network anyway."""
    import seqlab.models.sklearn_factories  # noqa: F401
    from seqlab.models.registry import MODELS

    if cfg.model.name not in MODELS:
        import seqlab.models.catalog  # noqa: F401
    return MODELS.get(cfg.model.name).meta.get("kind") == "sklearn"


def save(estimator: Any, path: Path) -> None:
    """Deflated: the best NSMC model takes 8.5 MB instead of 20.8 (its vocabularies, UTF-8 bytes
    since ``sklearn_vectorisers``, and idf arrays compress well)."""
    from seqlab import atomic

    atomic.write_bytes(path, skops_io().dumps(estimator, compression=zipfile.ZIP_DEFLATED, compresslevel=6))


class _RefuseTorch:
    """A ``sys.meta_path`` finder that makes ``import torch`` fail (see ``skops_io``)."""

    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError(f"No module named {name!r} (not imported with skops.io)", name=name)


def skops_io():
    """``skops.io``, imported without torch. Importing it lists scikit-learn's estimators
    (``sklearn.utils.all_estimators``), which walks sklearn's packages and so imports
    ``sklearn.externals.array_api_compat.torch``, i.e. torch when it is installed: about half
    of the ~7.5 CPU-seconds ``import skops.io`` took, on the path of `seqlab predict` for a
    model that holds no tensor. The walk skips a package that fails to import, and skops'
    list of trusted types comes out the same, so torch is refused for that one import (unless
    it is already loaded; another thread importing torch at that moment would fail)."""
    if "skops.io" in sys.modules or "torch" in sys.modules:
        import skops.io

        return skops.io
    refuse = _RefuseTorch()
    sys.meta_path.insert(0, refuse)
    try:
        import skops.io
    finally:
        sys.meta_path.remove(refuse)
    return skops.io


def load_from_run(run_dir: Path) -> Any:
    """A classical run's estimator (its ``model.pkl`` from before skops is refused)."""
    ckpts = Path(run_dir) / "checkpoints"
    if not (ckpts / MODEL_FILE).exists() and (ckpts / LEGACY_FILE).exists():
        return load(ckpts / LEGACY_FILE)
    return load(ckpts / MODEL_FILE)


def load(path: Path) -> Any:
    """The estimator in ``path``, built only from types ``trusted_type`` accepts."""
    path = Path(path)
    if path.name == LEGACY_FILE or path.suffix == ".pkl":
        raise SeqlabError(f"{path} is a pickle file, which seqlab no longer loads (loading it could run "
                          f"any code); retrain the run with `seqlab train` to get checkpoints/{MODEL_FILE}")
    if not path.is_file():
        raise SeqlabError(f"{path} not found: the run has no trained scikit-learn model; retrain it")
    _check_zip(path)
    skops = skops_io()
    try:
        names = skops.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - any failure to read the schema means a broken file
        raise SeqlabError(f"{path} is not a readable skops model file ({type(exc).__name__}); "
                          "retrain the run") from None
    refused = [name for name in names if not trusted_type(name)]
    if refused:
        raise SeqlabError(f"{path} holds type {refused[0]!r}, which seqlab does not load from a model file "
                          f"(only scikit-learn, numpy, scipy and seqlab estimators); refused")
    try:
        return skops.load(path, trusted=names)
    except Exception as exc:  # noqa: BLE001
        raise SeqlabError(f"{path}: the model cannot be rebuilt ({type(exc).__name__}: "
                          f"{str(exc).splitlines()[0][:160] if str(exc) else ''}); retrain the run") from None


def _check_zip(path: Path) -> None:
    """A skops file is a zip archive: refuse anything else, and members that would expand
    far beyond their stored size, before skops reads them."""
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SeqlabError(f"{path} is not a skops model file (not a zip archive: {exc}); retrain the run") from None
    for info in infos:
        if info.file_size > (1 << 26) and info.file_size > MAX_EXPANSION * max(info.compress_size, 1):
            raise SeqlabError(f"{path}: member {info.filename!r} would expand to {info.file_size:,} bytes from "
                              f"{info.compress_size:,}; refused")


def trusted_type(name: str) -> bool:
    """Whether a type a model file names may be built. Nothing is imported for the decision
    but seqlab's own modules: a scikit-learn / numpy / scipy name must already be loaded.

    Accepted: scikit-learn estimators and ``Bunch``, numpy scalar and dtype classes, scipy
    sparse matrices, seqlab's estimators (``OWN_MODULES``) and ``OWN_FUNCTIONS``. Not every
    type of those libraries: skops builds some objects by calling the named type with
    arguments from the file, and ``numpy.memmap`` or ``scipy.io.FortranFile`` would create files."""
    module, _, attr = name.rpartition(".")
    root = module.split(".")[0]
    if root == "seqlab":
        if module not in OWN_MODULES:
            return False
        if name in OWN_FUNCTIONS:
            return True
        obj = getattr(importlib.import_module(module), attr, None)
    elif root in ("sklearn", "numpy", "scipy"):
        obj = getattr(sys.modules.get(module), attr, None)
    else:
        return False
    return isinstance(obj, type) and getattr(obj, "__module__", "").split(".")[0] in ("seqlab", root) \
        and _safe_class(obj)


def _safe_class(cls: type) -> bool:
    from scipy import sparse
    from sklearn.base import BaseEstimator
    from sklearn.utils import Bunch

    if issubclass(cls, np.memmap):
        return False
    return issubclass(cls, (BaseEstimator, np.generic, np.dtype)) or cls is Bunch or \
        issubclass(cls, (sparse.spmatrix, sparse.sparray))


def is_estimator(model: Any) -> bool:
    return hasattr(model, "predict_proba") and not hasattr(model, "parameters")


N_CLASSES_ATTR = "seqlab_n_classes_"  # set by training.sklearn_fit: the run's class count


def predict_proba(estimator: Any, x: Any) -> np.ndarray:
    """(N, K) float32 over the run's K classes. A class absent from the training rows (e.g. F in
    a cross-validation fold without record 208) has no column in scikit-learn's output; it gets
    probability 0 here, so columns stay aligned with the run's class names."""
    probs = np.asarray(estimator.predict_proba(x), dtype=np.float32)
    k = getattr(estimator, N_CLASSES_ATTR, None)
    if k is None or probs.shape[1] == k:
        return probs
    out = np.zeros((probs.shape[0], k), dtype=np.float32)
    out[:, np.asarray(estimator.classes_, dtype=np.int64)] = probs
    return out
