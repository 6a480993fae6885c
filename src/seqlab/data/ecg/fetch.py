"""Fetch MIT-BIH records into the data root and verify every file against SHA256SUMS.txt.

``fetch_mitdb(source=DIR)`` copies a local copy (e.g. ``../shared/data/mitdb``) file by file
(atomically) and verifies each; without ``source`` it downloads from PhysioNet with
``wfdb.dl_database`` (needs internet) and verifies against PhysioNet's own manifest.
Files already present with the right hash are not copied again.

The manifest is input too: a line naming ``../file`` or ``/abs/path`` would make the copy
write outside ``dest``, so every name must be a plain relative path that stays inside the
destination (and the source) once resolved; anything else is refused before a byte is copied.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path, PurePosixPath, PureWindowsPath

from seqlab.atomic import atomic_open
from seqlab.errors import DataError
from seqlab.paths import data_root

MANIFEST = "SHA256SUMS.txt"
EXTRA_FILES = ("RECORDS", "ANNOTATORS")
MAX_MANIFEST_BYTES = 16 << 20  # a few thousand lines at most; refuse anything far larger


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
    if path.stat().st_size > MAX_MANIFEST_BYTES:
        raise DataError(f"checksum manifest {path} is {path.stat().st_size:,} bytes, not a "
                        "SHA256SUMS list; fetch the data set's real manifest")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"checksum manifest {path} is not UTF-8 text (bad byte at offset "
                        f"{exc.start}); fetch the data set's real manifest") from None
    out = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if len(parts) != 2 or len(parts[0]) != 64 or parts[0].strip("0123456789abcdefABCDEF"):
            raise DataError(f"{path}:{n}: not a 'sha256  filename' line: {line[:200]!r}; "
                            "fetch the data set's real manifest")
        name = parts[1].lstrip("*")
        if not _plain_relative(name):
            raise DataError(f"{path}:{n}: file name {name!r} leaves the data folder; a manifest "
                            "lists relative names inside it (refused, nothing written)")
        out[name] = parts[0].lower()
    return out


def _plain_relative(name: str) -> bool:
    """True for ``a/b.dat``; false for absolute, drive-letter, ``..`` or empty paths."""
    posix, windows = PurePosixPath(name), PureWindowsPath(name)
    return bool(name) and not posix.is_absolute() and not windows.drive and not windows.root \
        and ".." not in posix.parts and ".." not in windows.parts and "\0" not in name


def _inside(root: Path, names, manifest_path: Path) -> None:
    """Refuse names that resolve outside ``root`` (symbolic links included)."""
    base = root.resolve()
    for name in names:
        if not (root / name).resolve().is_relative_to(base):
            raise DataError(f"{manifest_path}: {name!r} resolves outside {root} (a symbolic "
                            "link?); remove the link or choose another --dest (nothing written)")


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
    dest = Path(dest).expanduser() if dest else data_root() / "mitdb"
    if dest.exists() and not dest.is_dir():
        raise DataError(f"--dest {dest} is a file, not a directory; choose a directory")
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"--dest {dest}: cannot create the directory ({exc.strerror}); "
                        "choose a directory you can write") from None
    if source is None:
        return _download(dest)
    source = Path(source).expanduser()
    if not source.is_dir():
        raise DataError(f"--source {source} is not a directory")
    manifest = read_manifest(source / MANIFEST)
    _inside(source, manifest, source / MANIFEST)
    _inside(dest, manifest, source / MANIFEST)
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
        try:
            with open(src_file, "rb") as fin, atomic_open(dst_file, "wb") as fout:
                shutil.copyfileobj(fin, fout)
        except OSError as exc:
            raise DataError(f"cannot copy {src_file} to {dst_file} ({exc.strerror}); check "
                            "the free space and permissions of --dest") from None
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
