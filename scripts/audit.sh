#!/usr/bin/env bash
# Check the installed dependencies for known vulnerabilities (issue 20) with pip-audit, which
# asks PyPI's JSON API for each pinned version's advisories. Prints every finding and exits 1
# when there is one. When the service cannot be reached, or answers for none of the installed
# versions (a mirror that serves only project pages does that), it prints "not checked" and
# exits 0: there is no offline advisory database here, and no answer is not a clean result.
# Usage: bash scripts/audit.sh   (PYTHON=path/to/python to audit another environment)
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-.venv/bin/python}
if ! "$PY" -m pip_audit --version >/dev/null 2>&1; then
  echo "audit: not checked: pip-audit is not installed in $PY (pip install -e '.[dev]')"
  exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$PY" -m pip_audit --local --skip-editable --progress-spinner off --timeout 20 \
  --format json --output "$tmp/audit.json" >"$tmp/stdout" 2>"$tmp/stderr"
"$PY" - "$tmp" <<'PYEOF'
import json, sys
from pathlib import Path

tmp = Path(sys.argv[1])
try:
    deps = json.loads((tmp / "audit.json").read_text())["dependencies"]
except (OSError, ValueError, KeyError):
    why = ((tmp / "stderr").read_text().strip().splitlines() or ["no output"])[-1][:200]
    print(f"audit: not checked: pip-audit could not query its vulnerability service ({why})")
    sys.exit(0)
checked = [d for d in deps if "skip_reason" not in d]
skipped = [d for d in deps if "skip_reason" in d]
found = [(d, v) for d in checked for v in d.get("vulns", [])]
for d, v in found:
    fix = ", ".join(v.get("fix_versions") or []) or "no fixed version"
    aliases = f" ({', '.join(v['aliases'])})" if v.get("aliases") else ""
    print(f"audit: VULNERABLE {d['name']} {d['version']}: {v['id']}{aliases}; fixed in {fix}")
if not checked:
    example = skipped[0]["skip_reason"] if skipped else "no packages found"
    print(f"audit: not checked: the vulnerability service answered for none of the {len(deps)} installed "
          f"packages (e.g. {example})")
    sys.exit(0)
if skipped:
    print(f"audit: not checked ({len(skipped)}): " + ", ".join(d["name"] for d in skipped))
print(f"audit: {len(checked)} of {len(deps)} installed packages checked against PyPI's advisories: "
      f"{len(found)} known vulnerabilit{'y' if len(found) == 1 else 'ies'}")
sys.exit(1 if found else 0)
PYEOF
