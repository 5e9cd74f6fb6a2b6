"""guestd seed: deterministic synthetic guests with a history, loaded through COPY.

Each database here is one of its own (the shared one stays clean): two seeded with the same seed must hold the
same rows, ids included; a third with another seed must not.
"""
import json
import os
import subprocess

import pytest

import gd_helpers as h
from conftest import SANITIZER_MARKERS

GUESTS = 2000
TABLES = ("guest", "stay", "consumption", "preference", "special_date", "complaint")


class Databases:
    def __init__(self, admin_url):
        self.admin_url = admin_url
        self.names = []

    def create(self, binary):
        name = f"guestd_seed_{os.getpid()}_{h.tok(8)}"
        p = subprocess.run(["createdb", f"--maintenance-db={self.admin_url}", name], capture_output=True, timeout=60)
        assert p.returncode == 0, f"createdb failed: {p.stderr.decode(errors='replace')}"
        self.names.append(name)
        url = h.with_dbname(self.admin_url, name)
        p = h.run_cli(binary, "migrate", "--database-url", url)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
        return url

    def drop_all(self):
        for name in self.names:
            subprocess.run(["dropdb", "--if-exists", "--force", f"--maintenance-db={self.admin_url}", name],
                           capture_output=True, timeout=60)


def seed(binary, url, *args):
    return h.run_cli(binary, "seed", "--database-url", url, *args, timeout=300)


def seed_ok(binary, url, *args):
    p = seed(binary, url, *args)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return json.loads(p.stdout.decode().strip().splitlines()[-1])


def digest(db, table):
    """One hash of every row of the table, in id order (every column, timestamps included)."""
    return db.scalar(f"SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, E'\\n' ORDER BY t.id)), '') "
                     f"FROM {table} t")


@pytest.fixture(scope="module")
def seeded(guestd_bin, db_url):
    dbs = Databases(db_url)
    try:
        a, b, c = dbs.create(guestd_bin), dbs.create(guestd_bin), dbs.create(guestd_bin)
        summaries = {"a": seed_ok(guestd_bin, a, "--guests", str(GUESTS), "--seed", "7"),
                     "b": seed_ok(guestd_bin, b, "--guests", str(GUESTS), "--seed", "7"),
                     "c": seed_ok(guestd_bin, c, "--guests", str(GUESTS), "--seed", "8")}
        yield {"a": h.DB(a), "b": h.DB(b), "c": h.DB(c), "urls": {"a": a, "b": b, "c": c}, "summary": summaries}
    finally:
        dbs.drop_all()


def test_summary_counts_what_is_stored(seeded):
    s, db = seeded["summary"]["a"], seeded["a"]
    assert s["guests"] == GUESTS == int(db.scalar("SELECT count(*) FROM guest"))
    assert s["stays"] == int(db.scalar("SELECT count(*) FROM stay"))
    assert s["charges"] == int(db.scalar("SELECT count(*) FROM consumption"))
    assert s["complaints"] == int(db.scalar("SELECT count(*) FROM complaint"))
    assert s["preferences"] == int(db.scalar("SELECT count(*) FROM preference"))
    assert s["special_dates"] == int(db.scalar("SELECT count(*) FROM special_date"))
    assert s["seed"] == "7"
    assert set(s["seconds"]) == {"load", "analyze", "derive", "total"}
    # the shape the help promises, loosely: a few stays each, charges per completed stay, some of the rest
    assert 2 * GUESTS < s["stays"] < 5 * GUESTS
    assert s["charges"] > s["stays"]
    assert 0.01 * s["stays"] < s["complaints"] < 0.06 * s["stays"]
    assert 0.005 * GUESTS < s["vip_codes"] < 0.04 * GUESTS
    assert 0.5 * GUESTS < s["marketing_consent"] < 0.7 * GUESTS
    statuses = dict(db.rows("SELECT status, count(*) FROM stay GROUP BY status"))
    assert set(statuses) == {"completed", "cancelled", "no_show", "reserved"}, statuses
    # a charge on completed stays only, a room charge on each of them
    assert db.scalar("SELECT count(*) FROM consumption c JOIN stay s ON s.guest_id = c.guest_id "
                     "AND s.id = c.stay_id WHERE s.status <> 'completed'") == "0"
    assert db.scalar("SELECT count(*) FROM stay s WHERE status = 'completed' AND NOT EXISTS (SELECT 1 FROM "
                     "consumption c WHERE c.guest_id = s.guest_id AND c.stay_id = s.id AND c.category = 'room')") == "0"


def test_same_seed_same_data_other_seed_other_data(seeded):
    for t in TABLES:
        assert digest(seeded["a"], t) == digest(seeded["b"], t), t
        assert digest(seeded["a"], t) != digest(seeded["c"], t), t


def test_every_guest_has_stats_and_loyalty_and_no_audit_rows(seeded):
    db = seeded["a"]
    assert db.scalar("SELECT count(*) FROM guest g WHERE NOT EXISTS (SELECT 1 FROM guest_stats s "
                     "WHERE s.guest_id = g.id)") == "0"
    assert db.scalar("SELECT count(*) FROM guest g WHERE NOT EXISTS (SELECT 1 FROM guest_loyalty l "
                     "WHERE l.guest_id = g.id)") == "0"
    # the statistics match the history they summarise
    assert db.scalar("SELECT count(*) FROM guest_stats s WHERE s.stays <> (SELECT count(*) FROM stay "
                     "WHERE guest_id = s.guest_id AND status = 'completed')") == "0"
    # a bulk seed is not an edit: no audit trail, no change feed
    assert db.scalar("SELECT count(*) FROM audit_event") == "0"
    assert db.scalar("SELECT count(*) FROM change_event") == "0"


def test_refuses_a_database_with_guests_unless_append(seeded, guestd_bin):
    url, db = seeded["urls"]["a"], seeded["a"]
    before = digest(db, "guest")
    p = seed(guestd_bin, url, "--guests", "10", "--seed", "7")
    assert p.returncode == 1 and b"already has guests" in p.stderr, p
    assert p.stdout == b""
    assert digest(db, "guest") == before


def test_append_adds_guests_with_another_seed(seeded, guestd_bin):
    url, db = seeded["urls"]["c"], seeded["c"]
    s = seed_ok(guestd_bin, url, "--guests", "50", "--seed", "9", "--append")
    assert s["guests"] == 50
    assert db.scalar("SELECT count(*) FROM guest") == str(GUESTS + 50)
    assert db.scalar("SELECT count(*) FROM guest_loyalty") == str(GUESTS + 50)
    # the same seed again collides with its own ids: refused by the database, nothing added
    p = seed(guestd_bin, url, "--guests", "50", "--seed", "9", "--append")
    assert p.returncode == 1, p
    assert db.scalar("SELECT count(*) FROM guest") == str(GUESTS + 50)


def test_a_load_larger_than_the_buffers_loses_no_row(guestd_bin, db_url):
    """25,000 guests: the charges alone (~35 MB) overrun a table's 4 MiB buffer many times, so the
    generator waits on busy sessions while it feeds the others (cmd_seed.c, sink_hand_over)."""
    dbs = Databases(db_url)
    try:
        url = dbs.create(guestd_bin)
        s = seed_ok(guestd_bin, url, "--guests", "25000", "--seed", "11")
        db = h.DB(url)
        assert s["charges"] > 100000, s
        for table, key in (("guest", "guests"), ("stay", "stays"), ("consumption", "charges"),
                           ("complaint", "complaints"), ("preference", "preferences"),
                           ("special_date", "special_dates")):
            assert int(db.scalar(f"SELECT count(*) FROM {table}")) == s[key], table
        # every child's guest was loaded (replica mode checks no foreign key)
        for table in TABLES[1:]:
            assert db.scalar(f"SELECT count(*) FROM {table} t WHERE NOT EXISTS "
                             f"(SELECT 1 FROM guest g WHERE g.id = t.guest_id)") == "0", table
        assert db.scalar("SELECT count(*) FROM guest_stats") == "25000"
    finally:
        dbs.drop_all()


def test_the_api_serves_a_seeded_guest(seeded, guestd_bin, spec, tmp_path_factory):
    url, db = seeded["urls"]["b"], seeded["b"]
    keys = {"ops": h.create_key_cli(guestd_bin, url, "ops", "seed-ops")}
    gid = db.scalar("SELECT s.guest_id FROM guest_stats s WHERE s.stays > 0 ORDER BY s.guest_id LIMIT 1")
    srv = h.ServerProcess(guestd_bin, url, tmp_path_factory.mktemp("seed"), keys=keys, spec=spec).start()
    try:
        r = srv.api("GET", f"/v1/guests/{gid}", key="ops")  # validated against openapi.yaml by the helper
        assert r.status == 200, r
        assert r.json()["id"] == gid
    finally:
        rc = srv.stop()
    log = srv.stderr_text()
    assert not [m for m in SANITIZER_MARKERS if m in log], log[-4000:]
    assert rc == 0, log[-2000:]


@pytest.mark.parametrize("args", [["--guests", "0"], ["--guests", "20000001"], ["--guests", "x"],
                                  ["--guests", "-5"], ["--seed", "-1"], ["--seed", "18446744073709551616"],
                                  ["--seed", ""], ["--bogus"], ["extra"]])
def test_usage_errors_exit_2(guestd_bin, args):
    p = h.run_cli(guestd_bin, "seed", *args, "--database-url", "host=/nonexistent")
    assert p.returncode == 2, (args, p)
    assert p.stdout == b""
    assert p.stderr.strip(), args


def test_help(guestd_bin):
    p = h.run_cli(guestd_bin, "seed", "--help")
    assert p.returncode == 0
    out = p.stdout.decode()
    for word in ("--guests", "--seed", "--append", "--database-url", "Exit codes", "Examples"):
        assert word in out
