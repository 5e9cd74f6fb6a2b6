#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the HTTP integration tests: a throwaway PostgreSQL cluster, a migrated database, pytest.
# usage: with-postgres.sh GUESTD_BINARY SOURCE_ROOT [PYTEST_ARGS...]
# With GD_SHELL=FILE, runs that bash script against the cluster instead of pytest (for experiments).
set -euo pipefail
guestd=$(realpath "$1")
root=$(realpath "$2")
shift 2
# shellcheck source=scripts/lib/pg.sh
. "$root/scripts/lib/pg.sh"

dir=$(pg_scratch_dir "$root/var/test")
cleanup() {
        pg_stop "$dir/data"
        rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 143' INT TERM

pg_init "$dir/data"
PG_FSYNC=off pg_start "$dir/data" "$dir" "$dir/postgres.log"

export PGHOST=$dir PGUSER=postgres PGDATABASE=guestd_test
pg_as_owner "$PG_BINDIR/createdb" -h "$dir" -U postgres guestd_test
export GUESTD_BIN=$guestd
export GUESTD_TEST_DATABASE_URL="host=$dir user=postgres dbname=guestd_test"
export GUESTD_OPENAPI=$root/openapi/openapi.yaml
# for the outage tests, which stop and start this cluster
export GUESTD_TEST_PGDATA=$dir/data GUESTD_TEST_PGLOG=$dir/postgres.log
export PATH="$PG_BINDIR:$PATH"
"$guestd" migrate --database-url "$GUESTD_TEST_DATABASE_URL"

cd "$root"
if [ -n "${GD_SHELL:-}" ]; then bash "$GD_SHELL"; exit; fi
/usr/bin/python3 -m pytest -p no:cacheprovider -q -rfE tests/integration "$@"
