"""`guestd migrate`: concurrent runs on a fresh database are safe and a re-run is a no-op."""

import os
import subprocess

import pytest

import gd_helpers as h


@pytest.fixture
def fresh_db(db_url):
    name = f"guestd_migtest_{os.getpid()}_{h.tok(8)}"
    p = subprocess.run(["createdb", f"--maintenance-db={db_url}", name], capture_output=True, timeout=60)
    assert p.returncode == 0, f"createdb failed: {p.stderr.decode(errors='replace')}"
    url = h.with_dbname(db_url, name)
    yield url, h.DB(url)
    subprocess.run(["dropdb", "--if-exists", "--force", f"--maintenance-db={db_url}", name],
                   capture_output=True, timeout=60)


def migrate_cmd(guestd_bin, url):
    return [guestd_bin, "migrate", "--database-url", url]


def test_concurrent_migrate_then_noop(guestd_bin, fresh_db, db):
    url, fdb = fresh_db
    assert fdb.scalar("SELECT current_database()") != db.scalar("SELECT current_database()")
    assert not fdb.table_exists("schema_migrations")
    env = dict(os.environ)
    env.pop("GUESTD_DATABASE_URL", None)
    procs = [subprocess.Popen(migrate_cmd(guestd_bin, url), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, env=env) for _ in range(2)]
    outs = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            raise AssertionError("guestd migrate hung")
        outs.append((p.returncode, err.decode(errors="replace")))
    for rc, err in outs:
        assert rc == 0, f"concurrent migrate exited {rc}: {err[-2000:]}"

    dupes = fdb.rows("SELECT version, count(*) FROM schema_migrations GROUP BY version HAVING count(*) <> 1")
    assert dupes == [], f"versions applied more than once: {dupes}"
    versions = sorted(r[0] for r in fdb.rows("SELECT version::text FROM schema_migrations"))
    assert versions, "schema_migrations is empty after migrate"
    # same versions as the suite's database (migrated by the same binary)
    assert versions == sorted(r[0] for r in db.rows("SELECT version::text FROM schema_migrations"))
    for table in ("guest", "api_key"):
        assert fdb.table_exists(table), f"table {table} missing after migrate"

    snapshot = fdb.rows("SELECT row_to_json(m)::text FROM schema_migrations m ORDER BY 1")
    schema = fdb.rows("SELECT table_name, column_name, data_type FROM information_schema.columns "
                      "WHERE table_schema = 'public' ORDER BY 1, 2")
    p = h.run_cli(guestd_bin, "migrate", "--database-url", url)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert fdb.rows("SELECT row_to_json(m)::text FROM schema_migrations m ORDER BY 1") == snapshot, \
        "a third migrate run changed schema_migrations"
    assert fdb.rows("SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public' ORDER BY 1, 2") == schema, "a third migrate run changed the schema"


def test_migrate_bad_database_url_fails_cleanly(guestd_bin):
    p = h.run_cli(guestd_bin, "migrate", "--database-url",
                  "host=127.0.0.1 port=1 dbname=nope connect_timeout=2", timeout=30)
    assert p.returncode != 0
    assert b"AddressSanitizer" not in p.stderr and b"runtime error:" not in p.stderr
