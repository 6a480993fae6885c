"""Fetch MIT-BIH records into the data root and verify every file against SHA256SUMS.txt.

``fetch_mitdb(source=DIR)`` copies a local copy (e.g. ``../shared/data/mitdb``) file by file
(atomically) and verifies each; without ``source`` it downloads from PhysioNet with
``wfdb.dl_database`` (needs internet) and verifies against PhysioNet's own manifest.
Files already present with the right hash are not copied again.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from seqlab.atomic import atomic_open
from seqlab.errors import DataError
from seqlab.paths import data_root

MANIFEST = "SHA256SUMS.txt"
EXTRA_FILES = ("RECORDS", "ANNOTATORS")


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(path: Path) -> dict[str, str]:
    """``{file name: sha256}`` from a ``sha256sum`` style manifest."""
    if not path.is_file():
        raise DataError(f"checksum manifest {path} does not exist")
    out = {}
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64:
            raise DataError(f"{path}:{n}: not a 'sha256 filename' line: {line!r}")
        out[parts[1].lstrip("*")] = parts[0].lower()
    return out


def verify_dir(directory: Path, manifest: dict[str, str] | None = None) -> list[str]:
    """Check every manifest file in ``directory``; raise DataError naming the bad ones."""
    directory = Path(directory)
    manifest = manifest if manifest is not None else read_manifest(directory / MANIFEST)
    missing = [f for f in manifest if not (directory / f).is_file()]
    corrupt = [f for f in manifest if f not in missing and sha256_file(directory / f) != manifest[f]]
    if missing or corrupt:
        parts = []
        if missing:
            parts.append(f"missing: {' '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}")
        if corrupt:
            parts.append(f"checksum mismatch: {' '.join(corrupt[:10])}{' ...' if len(corrupt) > 10 else ''}")
        raise DataError(f"{directory}: {'; '.join(parts)} (fetch again)")
    return sorted(manifest)


def fetch_mitdb(source: str | Path | None = None, dest: str | Path | None = None) -> Path:
    """Put verified MIT-BIH records in ``dest`` (default ``data_root()/mitdb``); return it."""
    dest = Path(dest) if dest else data_root() / "mitdb"
    dest.mkdir(parents=True, exist_ok=True)
    if source is None:
        return _download(dest)
    source = Path(source).expanduser()
    if not source.is_dir():
        raise DataError(f"--source {source} is not a directory")
    manifest = read_manifest(source / MANIFEST)
    bad_source = [f for f in manifest if not (source / f).is_file()]
    if bad_source:
        raise DataError(f"{source} lacks {' '.join(bad_source[:10])} listed in {MANIFEST}")
    for name in [*manifest, MANIFEST, *EXTRA_FILES]:
        src_file, dst_file = source / name, dest / name
        if not src_file.is_file():
            continue
        if name in manifest and dst_file.is_file() and sha256_file(dst_file) == manifest[name]:
            continue
        if name in manifest and sha256_file(src_file) != manifest[name]:
            raise DataError(f"{src_file}: checksum mismatch against {source / MANIFEST}")
        with open(src_file, "rb") as fin, atomic_open(dst_file, "wb") as fout:
            shutil.copyfileobj(fin, fout)
    verify_dir(dest, manifest)
    return dest


def _download(dest: Path) -> Path:  # pragma: no cover - needs internet
    import wfdb
    from wfdb.io import download

    try:
        download.dl_files("mitdb", str(dest), [MANIFEST, *EXTRA_FILES])
        wfdb.dl_database("mitdb", str(dest))
    except Exception as exc:
        raise DataError(f"download from PhysioNet failed ({exc}); copy a local one with "
                        "--source DIR") from None
    verify_dir(dest)
    return dest
