# shellcheck shell=bash
# SPDX-License-Identifier: MIT
# Shell helpers for a private PostgreSQL 15 cluster, sourced by scripts/run, scripts/test and
# tests/integration/with-postgres.sh. PostgreSQL refuses to run as root: as root, the cluster
# runs as the unprivileged user "postgres" (created by the Debian package).

PG_BINDIR=${PG_BINDIR:-/usr/lib/postgresql/15/bin}

# Runs a command as the cluster's owner.
pg_as_owner() {
        if [ "$(id -u)" = 0 ]; then
                runuser -u postgres -- "$@"
        else
                "$@"
        fi
}

# Prints a new empty directory the cluster owner can write, under $1 if the owner can reach it
# (a checkout under /root is not reachable by "postgres"), else under /tmp.
pg_scratch_dir() {
        local base=$1 dir
        mkdir -p "$base"
        dir=$(mktemp -d "$base/pg.XXXXXX")
        [ "$(id -u)" = 0 ] && chown postgres: "$dir"
        # the socket path must stay under the kernel's 107-byte limit
        if ! pg_as_owner test -w "$dir" || [ "${#dir}" -gt 80 ]; then
                rm -rf "$dir"
                dir=$(mktemp -d /tmp/guestd-pg.XXXXXX)
                [ "$(id -u)" = 0 ] && chown postgres: "$dir"
        fi
        echo "$dir"
}

# pg_init DATADIR: creates the cluster if DATADIR holds none (superuser "postgres", trust on the socket only).
pg_init() {
        local data=$1
        [ -f "$data/PG_VERSION" ] && return 0
        pg_as_owner "$PG_BINDIR/initdb" -D "$data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 >/dev/null
}

# pg_start DATADIR SOCKETDIR LOGFILE: starts it on a unix socket only (no TCP port at all).
# PG_MAX_CONNECTIONS (default 200) and PG_FSYNC (default on) set the server's settings of those names.
pg_start() {
        local data=$1 sock=$2 log=$3
        pg_as_owner "$PG_BINDIR/pg_ctl" -D "$data" -l "$log" -w -t 60 \
                -o "-k $sock -c listen_addresses='' -c max_connections=${PG_MAX_CONNECTIONS:-200} -c fsync=${PG_FSYNC:-on}" start >/dev/null
}

pg_stop() {
        local data=$1
        pg_as_owner "$PG_BINDIR/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
}
