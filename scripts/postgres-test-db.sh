#!/usr/bin/env bash
# Start a local PostgreSQL with the database the multi-worker tuning test uses
# (tests/training/test_tune.py: two `seqlab tune` workers sharing one Optuna study).
# Needs root (installs Debian's postgresql if missing). Idempotent. Without it that test skips.
set -euo pipefail
PG_USER=seqlab PG_PASS=seqlab PG_DB=seqlab_test
if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends postgresql >/dev/null
fi
PG_VER=$(ls /usr/lib/postgresql | sort -V | tail -1)
clusters=$(pg_lsclusters -h)  # captured first: `cmd | grep -q` can fail under pipefail
grep -q "^$PG_VER main" <<<"$clusters" || pg_createcluster "$PG_VER" main >/dev/null
grep -q "^$PG_VER main .* online" <<<"$clusters" || pg_ctlcluster "$PG_VER" main start
for _ in $(seq 30); do pg_isready -q -h localhost && break; sleep 1; done
as_pg() { (cd / && runuser -u postgres -- psql -v ON_ERROR_STOP=1 -qtAX "$@"); }
[ "$(as_pg -c "SELECT 1 FROM pg_roles WHERE rolname='$PG_USER'")" = 1 ] ||
  as_pg -c "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASS'"
[ "$(as_pg -c "SELECT 1 FROM pg_database WHERE datname='$PG_DB'")" = 1 ] ||
  as_pg -c "CREATE DATABASE $PG_DB OWNER $PG_USER"
echo "PostgreSQL ready: postgresql+psycopg2://$PG_USER:$PG_PASS@localhost:5432/$PG_DB"
