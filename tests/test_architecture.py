"""The package layout holds: import-linter's contracts in pyproject.toml (one-way layers, no
Lightning below training, no torch in data and crawl) and the size rules of the house style."""

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from testpaths import REPO

SRC = REPO / "src" / "seqlab"
MAX_FILE_LINES, MAX_FUNCTION_LINES = 300, 60


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[dev]')")
    done = subprocess.run([exe, "--config", str(REPO / "pyproject.toml")], cwd=REPO, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:]
    assert "0 broken" in done.stdout


def _reason(lines: list[str], lineno: int) -> bool:
    """A size exception carries its one-line reason: ``# long: ...`` on or above the line."""
    return any("# long:" in lines[i] for i in range(max(0, lineno - 2), min(len(lines), lineno + 1)))


def test_files_and_functions_stay_short_or_say_why():
    too_long = []
    for path in sorted(SRC.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > MAX_FILE_LINES and not _reason(lines, 1):
            too_long.append(f"{path.relative_to(REPO)}: {len(lines)} lines")
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES and not _reason(lines, node.lineno - 1):
                    too_long.append(f"{path.relative_to(REPO)}:{node.lineno} {node.name}(): {n} lines")
    assert not too_long, "over the size rules (split, or add '# long: <reason>'):\n" + "\n".join(too_long)
