"""The stale-record purge (DESIGN §7; openapi/openapi.yaml, "Purge"): `guestd purge` and /v1/purge-runs against
a database of their own, so that the counts of a run are exactly those of the guests a test made.

Guests are made old by moving every instant of their dossier into the past directly in the database (their
creation, stays, charges, complaints); the history triggers then refresh their statistics, and guests without
history are refreshed by hand (a creation date never changes through the API, so nothing triggers on it)."""

import datetime
import json
import os
import signal
import subprocess
import time
import urllib.parse

import pytest

import gd_dossier as d
import gd_helpers as h
from conftest import SANITIZER_MARKERS

LOCK_KEY = "x'6775657374647067'::bigint"  # the bytes "guestdpg", as in src/db/statements.c
OLD = 1500  # days: well past the default 1095
COUNTS = ("candidates", "soft_purged", "expired", "hard_deleted")
REASONS = ("legal_hold", "vip", "open_stay", "open_complaint")


class Env:
    def __init__(self, binary, url, db, srv, keys):
        self.binary, self.url, self.db, self.srv, self.keys = binary, url, db, srv, keys
        self.api = srv.api


@pytest.fixture(scope="module")
def env(guestd_bin, db_url, spec, tmp_path_factory):
    name = f"guestd_purge_{os.getpid()}_{h.tok(8)}"
    p = subprocess.run(["createdb", f"--maintenance-db={db_url}", name], capture_output=True, timeout=60)
    assert p.returncode == 0, f"createdb failed: {p.stderr.decode(errors='replace')}"
    url = h.with_dbname(db_url, name)
    try:
        p = h.run_cli(guestd_bin, "migrate", "--database-url", url)
        assert p.returncode == 0, p.stderr.decode(errors="replace")
        keys = {role: h.create_key_cli(guestd_bin, url, role, f"purge-{role}") for role in h.ROLES}
        srv = h.ServerProcess(guestd_bin, url, tmp_path_factory.mktemp("purge"), keys=keys, spec=spec).start()
        yield Env(guestd_bin, url, h.DB(url), srv, keys)
        rc = srv.stop()
        log = srv.stderr_text()
        bad = [m for m in SANITIZER_MARKERS if m in log]
        assert not bad, f"sanitizer report in the server log: {bad}: {log[-4000:]}"
        assert rc == 0, f"guestd exited with {rc}: {log[-2000:]}"
    finally:
        subprocess.run(["dropdb", "--if-exists", "--force", f"--maintenance-db={db_url}", name],
                       capture_output=True, timeout=60)


@pytest.fixture(autouse=True)
def clean(env):
    """Every test starts with no guest and no run (the keys stay)."""
    env.db.rows("DROP TRIGGER IF EXISTS test_slow_batch ON purge_run; "
                "TRUNCATE guest, purge_run, guest_tombstone CASCADE")
    yield


# ---------------------------------------------------------------- helpers


def guest(env, **fields):
    body = {"family_name": "Purge" + h.tok(10).capitalize()}
    body.update(fields)
    r = env.api("POST", "/v1/guests", key="frontdesk", body=body)
    assert r.status == 201, f"setup: create guest failed: {r!r}"
    return r.json()["id"]


def uuid_array(ids):
    for i in ids:
        assert h.UUID_RE.match(i), i
    return "ARRAY[" + ",".join(f"'{i}'" for i in ids) + "]::uuid[]"


def age(env, ids, days=OLD):
    """Moves every instant of these guests' dossiers `days` days into the past."""
    a = uuid_array(ids)
    env.db.rows(f"UPDATE guest SET created_at = created_at - interval '{days} days' WHERE id = ANY({a}); "
                f"UPDATE stay SET check_in = check_in - {days}, check_out = check_out - {days} WHERE guest_id = ANY({a}); "
                f"UPDATE consumption SET occurred_at = occurred_at - interval '{days} days' WHERE guest_id = ANY({a}); "
                f"UPDATE complaint SET received_at = received_at - interval '{days} days' WHERE guest_id = ANY({a}); "
                f"SELECT refresh_guest_stats({a})")


def old_guest(env, **fields):
    gid = guest(env, **fields)
    age(env, [gid])
    return gid


def purge(env, *args, timeout=120):
    """Runs `guestd purge ARGS`; returns (exit code, the summary or None, stderr)."""
    p = h.run_cli(env.binary, "purge", "--database-url", env.url, *args, timeout=timeout)
    out, err = p.stdout.decode(), p.stderr.decode(errors="replace")
    for marker in SANITIZER_MARKERS:
        assert marker not in err, err[-3000:]
    summary = h.strict_json(out) if p.returncode == 0 else None
    if p.returncode != 0:
        assert out == "", f"exit {p.returncode} with output on stdout: {out!r}"
    return p.returncode, summary, err


def purge_ok(env, *args):
    rc, summary, err = purge(env, *args)
    assert rc == 0, f"guestd purge {' '.join(args)} exited {rc}: {err[-3000:]}"
    check_summary(summary)
    return summary


def check_summary(s):
    assert h.UUID_RE.match(s["run_id"]), s
    assert s["status"] == "done" and s["error"] is None, s
    assert isinstance(s["duration_ms"], int) and s["duration_ms"] >= 0, s
    for k in ("cutoff", "grace_cutoff", "started_at", "finished_at"):
        assert h.TS_RE.match(s[k]), (k, s)
    started, cutoff = h.parse_ts(s["started_at"]), h.parse_ts(s["cutoff"])
    assert started - cutoff == datetime.timedelta(days=s["inactive_days"]), s
    grace = h.parse_ts(s["grace_cutoff"])
    assert grace + datetime.timedelta(days=s["grace_days"]) >= started, s
    if s["dry_run"]:
        assert s["soft_purged"] == 0 and s["hard_deleted"] == 0, s
        assert isinstance(s["sample"], list) and len(s["sample"]) == min(20, s["candidates"]), s
    else:
        assert s["sample"] is None, s
        assert s["soft_purged"] == s["candidates"] and s["hard_deleted"] == s["expired"], s


def counts(s):
    return {k: s[k] for k in COUNTS}, s["skipped"]


def status_of(env, path, key="ops"):
    return env.api("GET", path, key=key).status


def snapshot(db):
    """md5 of every row of every table but purge_run (which records runs, dry ones too)."""
    tables = [r[0] for r in db.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                    "'public' AND table_type = 'BASE TABLE' AND table_name <> 'purge_run' ORDER BY 1")]
    assert "guest" in tables and "guest_tombstone" in tables, tables
    exprs = [f"(SELECT count(*) || ':' || md5(coalesce(string_agg(row_to_json(x)::text, ',' "
             f"ORDER BY row_to_json(x)::text), '')) FROM {t} x)" for t in tables]
    return dict(zip(tables, db.rows("SELECT " + ", ".join(exprs))[0]))


def runs_recorded(db):
    return int(db.scalar("SELECT count(*) FROM purge_run"))


def history(env, gid, today=None):
    """A full dossier: completed stays (enough for inferred preferences), dining charges, a staff preference,
    a special date, a closed complaint, an external reference."""
    today = today or h.utc_today()
    stays = [d.stay(env.api, gid, today - datetime.timedelta(days=200 - 40 * k), nights=2, room_type="deluxe",
                    adults=2) for k in range(3)]
    for k in range(3):
        d.charge(env.api, gid, f"{today - datetime.timedelta(days=199 - 40 * k)}T20:00:00Z", amount="80.00",
                 dining_type="dinner", stay_id=stays[k]["id"], payment_status="paid")
    d.create(env.api, gid, "preferences", body={"category": "room", "key": "pillow", "value": "feather"})
    d.create(env.api, gid, "special-dates", body={"kind": "anniversary", "date": "2011-06-18", "label": "wedding"})
    c = d.complaint(env.api, gid, stay_id=stays[0]["id"])
    d.patch(env.api, gid, "complaints", c["id"], {"status": "closed", "feedback_score": 5})


def card(env, gid):
    r = env.api("GET", f"/v1/guests/{gid}", key="ops")
    assert r.status == 200, r
    return r.json()


def sections(env, gid):
    return {s: d.list_all(env.api, gid, s) for s in d.SECTIONS}


def without(doc, *keys):
    return {k: v for k, v in doc.items() if k not in keys}


# ---------------------------------------------------------------- eligibility and hiding


def test_dry_run_changes_nothing(env):
    eligible = [old_guest(env) for _ in range(3)]
    held = old_guest(env, legal_hold=True)
    recent = guest(env)
    gone = guest(env)
    assert env.api("DELETE", f"/v1/guests/{gone}", key="frontdesk").status == 204
    env.db.rows(f"UPDATE guest SET deleted_at = deleted_at - interval '31 days' WHERE id = '{gone}'")
    before = snapshot(env.db)

    s = purge_ok(env, "--dry-run")
    assert s["dry_run"] is True and s["started_by"] == "cli", s
    assert counts(s) == ({"candidates": 3, "soft_purged": 0, "expired": 1, "hard_deleted": 0},
                         {"legal_hold": 1, "vip": 0, "open_stay": 0, "open_complaint": 0}), s
    assert sorted(s["sample"]) == sorted(eligible), s

    r = env.api("POST", "/v1/purge-runs", key="ops", body={"dry_run": True})
    assert r.status == 201, r
    assert counts(r.json()) == counts(s) and sorted(r.json()["sample"]) == sorted(eligible), r.json()
    assert snapshot(env.db) == before, "a dry run changed rows"
    for gid in eligible + [held, recent]:
        assert status_of(env, f"/v1/guests/{gid}") == 200
    # both dry runs are recorded as such
    assert env.db.rows("SELECT dry_run::text, status FROM purge_run") == [("true", "done")] * 2


def test_real_run_hides_exactly_the_eligible_guests(env):
    today = h.utc_today()
    soon = (today + datetime.timedelta(days=5)).replace(year=1980)
    family = "Purgeable" + h.tok(8).capitalize()
    email = f"{h.tok(10)}@example.com"
    stale = old_guest(env, family_name=family, email=email, birth_date=soon.isoformat(), marketing_consent=True)
    bare = guest(env)  # no history at all: judged by its creation
    age(env, [bare])
    fresh = guest(env, family_name=family, marketing_consent=True, birth_date=soon.isoformat())

    def visible():
        search = {g["id"] for g in env.api("GET", f"/v1/guests?q={family}", key="frontdesk").json()["items"]}
        by_mail = {g["id"] for g in env.api("GET", f"/v1/guests?email={email}", key="ops").json()["items"]}
        vip = {g["id"] for g in env.api("GET", "/v1/vip?limit=500", key="marketing").json()["items"]}
        feed = {o["guest_id"] for o in env.api("GET", "/v1/special-dates?limit=500", key="marketing").json()["items"]}
        return search, by_mail, vip, feed

    assert visible() == ({stale, fresh}, {stale}, {stale, bare, fresh}, {stale, fresh})
    s = purge_ok(env)
    assert counts(s) == ({"candidates": 2, "soft_purged": 2, "expired": 0, "hard_deleted": 0},
                         dict.fromkeys(REASONS, 0)), s
    assert visible() == ({fresh}, set(), {fresh}, {fresh})
    for gid in (stale, bare):
        for path in (f"/v1/guests/{gid}", f"/v1/guests/{gid}/loyalty", f"/v1/guests/{gid}/stays"):
            h.assert_problem(env.api("GET", path, key="frontdesk"), 404, "not-found")
        assert env.db.rows(f"SELECT deleted_reason, purge_run_id::text FROM guest WHERE id = '{gid}'") == \
            [("purge", s["run_id"])]
    assert status_of(env, f"/v1/guests/{fresh}") == 200
    # the run as recorded is the summary printed
    r = env.api("GET", f"/v1/purge-runs/{s['run_id']}", key="ops")
    assert r.status == 200 and r.json() == s, (r, s)
    # a second run finds nothing left
    assert counts(purge_ok(env))[0] == dict.fromkeys(COUNTS, 0)


def test_protected_guests_are_skipped_by_first_reason(env):
    g = {}
    g["legal"] = guest(env, legal_hold=True)
    g["legal_vip"] = guest(env, legal_hold=True, vip_code="GOLD")
    g["vip"] = guest(env, vip_code="CORP")
    g["vip_reserved"] = guest(env, vip_code="PRESS")
    g["reserved"] = guest(env)
    g["in_house"] = guest(env)
    g["stay_and_complaint"] = guest(env)
    g["open_complaint"] = guest(env)
    g["in_progress"] = guest(env)
    g["eligible"] = guest(env)
    day = h.utc_today() + datetime.timedelta(days=10)
    for k in ("vip_reserved", "reserved", "stay_and_complaint"):
        d.stay(env.api, g[k], day, status="reserved")
    d.stay(env.api, g["in_house"], day, status="in_house")
    for k in ("stay_and_complaint", "open_complaint"):
        d.complaint(env.api, g[k])
    c = d.complaint(env.api, g["in_progress"])
    d.patch(env.api, g["in_progress"], "complaints", c["id"], {"status": "in_progress"})
    age(env, list(g.values()))  # the reservations now lie in the past too: their status still protects

    s = purge_ok(env)
    assert counts(s) == ({"candidates": 1, "soft_purged": 1, "expired": 0, "hard_deleted": 0},
                         {"legal_hold": 2, "vip": 2, "open_stay": 3, "open_complaint": 2}), s
    for k, gid in g.items():
        assert status_of(env, f"/v1/guests/{gid}") == (404 if k == "eligible" else 200), k

    # with VIPs included, the VIP without anything else goes; the one with a reservation is kept for that
    s = purge_ok(env, "--include-vip")
    assert counts(s) == ({"candidates": 1, "soft_purged": 1, "expired": 0, "hard_deleted": 0},
                         {"legal_hold": 2, "vip": 0, "open_stay": 4, "open_complaint": 2}), s
    assert status_of(env, f"/v1/guests/{g['vip']}") == 404
    assert status_of(env, f"/v1/guests/{g['vip_reserved']}") == 200


def test_last_activity_follows_the_history(env):
    gid = old_guest(env)
    d.stay(env.api, gid, h.utc_today() - datetime.timedelta(days=OLD + 20))
    assert purge_ok(env, "--dry-run")["candidates"] == 1
    charge = d.charge(env.api, gid, h.fmt_ts(datetime.datetime.now(datetime.timezone.utc)))
    assert purge_ok(env, "--dry-run")["candidates"] == 0, "a charge today is activity"
    r = env.api("DELETE", d.path(gid, "consumptions", charge["id"]), key="frontdesk")
    assert r.status == 204
    assert purge_ok(env, "--dry-run")["candidates"] == 1, "the charge is gone, and its activity with it"
    # a check-out (of any status) is activity: a cancelled booking ten days ago keeps the guest
    d.stay(env.api, gid, h.utc_today() - datetime.timedelta(days=12), status="cancelled")
    assert purge_ok(env, "--dry-run")["candidates"] == 0


def test_inactive_days_boundary_in_the_database(env):
    """The database compares as the policy does: older than the cut-off goes, newer stays (the microsecond
    boundary itself is in tests/unit/test_purge.c)."""
    older, newer = guest(env), guest(env)
    env.db.rows(f"UPDATE guest SET created_at = now() - interval '400 days 1 minute' WHERE id = '{older}'; "
                f"UPDATE guest SET created_at = now() - interval '399 days 23 hours 59 minutes' WHERE id = '{newer}'; "
                f"SELECT refresh_guest_stats({uuid_array([older, newer])})")
    s = purge_ok(env, "--dry-run", "--inactive-days", "400")
    assert s["sample"] == [older], s


def test_limit_caps_each_phase(env):
    stale = [old_guest(env) for _ in range(3)]
    s = purge_ok(env, "--dry-run", "--limit", "1")
    assert s["candidates"] == 1 and s["limit"] == 1 and len(s["sample"]) == 1, s
    s = purge_ok(env, "--limit", "2", "--grace-days", "0")
    assert counts(s)[0] == {"candidates": 2, "soft_purged": 2, "expired": 2, "hard_deleted": 2}, s
    s = purge_ok(env, "--limit", "2", "--grace-days", "0")
    assert counts(s)[0] == {"candidates": 1, "soft_purged": 1, "expired": 1, "hard_deleted": 1}, s
    assert env.db.scalar(f"SELECT count(*) FROM guest_tombstone WHERE guest_id = ANY({uuid_array(stale)})") == "3"


# ---------------------------------------------------------------- restore and hard delete


def test_restore_within_grace_returns_the_identical_card(env):
    gid = guest(env, given_name="Ada", email=f"{h.tok(8)}@example.com", phone="+4915112345678",
                address={"line1": "Hauptstraße 5", "city": "Berlin", "country": "DE"}, vip_code="OWNER",
                id_document={"type": "passport", "number": "C01X00T47", "country": "DE"},
                external_refs=[{"system": "opera", "id": h.tok(12)}], marketing_consent=True, notes="quiet room")
    history(env, gid)
    age(env, [gid])
    before, before_sections = card(env, gid), sections(env, gid)
    assert any(p["source"] == "inferred" for p in before["preferences"]), before["preferences"]
    loyalty = env.api("GET", f"/v1/guests/{gid}/loyalty", key="ops").json()

    s = purge_ok(env, "--include-vip")
    assert s["soft_purged"] == 1, s
    assert status_of(env, f"/v1/guests/{gid}") == 404
    r = env.api("POST", f"/v1/guests/{gid}/restore", key="ops")
    assert r.status == 200, r
    after = r.json()
    assert after["version"] == before["version"] + 1 and r.headers.get("ETag") == f'"{after["version"]}"'
    assert without(after, "version", "updated_at") == without(before, "version", "updated_at")
    assert card(env, gid) == after
    assert sections(env, gid) == before_sections
    assert env.api("GET", f"/v1/guests/{gid}/loyalty", key="ops").json() == loyalty
    assert env.db.rows(f"SELECT deleted_reason, purge_run_id FROM guest WHERE id = '{gid}'") == [("", "")]

    # a front-desk deletion is restorable within the grace period too, across a purge run
    assert env.api("DELETE", f"/v1/guests/{gid}", key="frontdesk").status == 204
    assert env.db.scalar(f"SELECT deleted_reason FROM guest WHERE id = '{gid}'") == "request"
    assert purge_ok(env)["hard_deleted"] == 0
    r = env.api("POST", f"/v1/guests/{gid}/restore", key="ops")
    assert r.status == 200 and without(r.json(), "version", "updated_at") == without(before, "version", "updated_at")


def rows_mentioning(db, text):
    """(table, rows) of every table with rows whose JSON form contains `text`."""
    tables = [r[0] for r in db.rows("SELECT table_name FROM information_schema.tables WHERE table_schema = "
                                    "'public' AND table_type = 'BASE TABLE' ORDER BY 1")]
    found = {}
    for t in tables:
        n = int(db.scalar(f"SELECT count(*) FROM {t} x WHERE strpos(row_to_json(x)::text, '{text}') > 0"))
        if n:
            found[t] = n
    return found


def test_hard_delete_leaves_only_a_tombstone(env):
    family = "Erasable" + h.tok(10).capitalize()
    gid = guest(env, family_name=family, external_refs=[{"system": "opera", "id": h.tok(12)}])
    history(env, gid)
    age(env, [gid])
    keep = guest(env)
    history(env, keep)
    keep_card = card(env, gid=keep)
    uuid_cols = env.db.rows("SELECT table_name, column_name FROM information_schema.columns "
                            "WHERE table_schema = 'public' AND data_type = 'uuid' ORDER BY 1, 2")
    held = {(t, c) for t, c in uuid_cols
            if int(env.db.scalar(f"SELECT count(*) FROM {t} WHERE {c} = '{gid}'"))}
    assert {"stay", "consumption", "preference", "special_date", "complaint", "guest_external_ref", "guest_stats",
            "guest_loyalty", "tier_change"} <= {t for t, _ in held}, held

    s = purge_ok(env, "--grace-days", "0")
    assert counts(s)[0] == {"candidates": 1, "soft_purged": 1, "expired": 1, "hard_deleted": 1}, s
    # besides the tombstone, only the change feed's announcement of the purge names the id (issue 6)
    announced = {("guest_tombstone", "guest_id"), ("change_event", "guest_id"), ("change_event", "entity_id")}
    for t, c in uuid_cols:
        n = int(env.db.scalar(f"SELECT count(*) FROM {t} WHERE {c} = '{gid}'"))
        assert n == (1 if (t, c) in announced else 0), f"{t}.{c} still holds {n} row(s)"
    assert rows_mentioning(env.db, gid) == {"guest_tombstone": 1, "change_event": 1}
    assert env.db.scalar(f"SELECT type || ' ' || data::text FROM change_event WHERE guest_id = '{gid}'") \
        == 'purged {"hard_deleted": true}'
    assert rows_mentioning(env.db, family) == {}, "personal data survived the hard delete"
    tomb = json.loads(env.db.scalar(f"SELECT row_to_json(t)::text FROM guest_tombstone t WHERE guest_id = '{gid}'"))
    assert set(tomb) == {"guest_id", "deleted_at", "reason", "soft_purge_run_id", "hard_deleted_at", "run_id"}, tomb
    assert tomb["reason"] == "purge" and tomb["soft_purge_run_id"] == tomb["run_id"] == s["run_id"], tomb
    h.assert_problem(env.api("POST", f"/v1/guests/{gid}/restore", key="ops"), 404, "not-found")
    assert status_of(env, f"/v1/guests/{gid}") == 404
    assert card(env, keep) == keep_card


def test_grace_period_of_deleted_guests(env):
    """Front-desk deletions expire after the grace period like purges; a legal hold keeps a deleted guest."""
    expired, in_grace, held = guest(env), guest(env), guest(env, legal_hold=True)
    for gid in (expired, in_grace, held):
        assert env.api("DELETE", f"/v1/guests/{gid}", key="frontdesk").status == 204
    env.db.rows(f"UPDATE guest SET deleted_at = now() - interval '31 days' WHERE id IN ('{expired}', '{held}'); "
                f"UPDATE guest SET deleted_at = now() - interval '29 days' WHERE id = '{in_grace}'")
    s = purge_ok(env)
    assert counts(s) == ({"candidates": 0, "soft_purged": 0, "expired": 1, "hard_deleted": 1},
                         {"legal_hold": 1, "vip": 0, "open_stay": 0, "open_complaint": 0}), s
    assert env.db.rows("SELECT guest_id::text, reason, soft_purge_run_id IS NULL FROM guest_tombstone") == \
        [(expired, "request", "t")]
    for gid in (in_grace, held):
        assert env.api("POST", f"/v1/guests/{gid}/restore", key="ops").status == 200


# ---------------------------------------------------------------- one run at a time


def advisory_locks(db):
    return int(db.scalar("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"))


def wait_until(what, predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def hold_lock(env):
    """A psql session that takes the purge's lock and keeps it until terminated."""
    penv = dict(os.environ, PGAPPNAME="purge-lock-holder")
    p = subprocess.Popen(["psql", "-XAtq", "-d", env.url, "-c", f"SELECT pg_advisory_lock({LOCK_KEY})",
                          "-c", "SELECT pg_sleep(300)"], env=penv, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    wait_until("the psql session to hold the lock", lambda: advisory_locks(env.db) == 1)
    return p


def release_lock(env, p):
    env.db.rows("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'purge-lock-holder'")
    p.wait(timeout=30)
    wait_until("the lock to be free", lambda: advisory_locks(env.db) == 0)


def test_second_run_gets_exit_3_and_409(env):
    gid = old_guest(env)
    holder = hold_lock(env)
    try:
        for args in ((), ("--dry-run",)):
            rc, _, err = purge(env, *args)
            assert rc == 3, (rc, err)
            lines = [line for line in err.splitlines() if line.strip()]
            assert len(lines) == 1 and lines[0].startswith("guestd: Another purge run is in progress"), err
        r = env.api("POST", "/v1/purge-runs", key="ops", body={})
        h.assert_problem(r, 409, "conflict")
        assert runs_recorded(env.db) == 0, "a refused run was recorded"
        # when the holder is a run, it is named; the next run that gets the lock marks it failed (abandoned)
        env.db.rows("INSERT INTO purge_run (id, dry_run, started_by, inactive_days, grace_days, batch_size, "
                    "include_vip, cutoff, started_at) VALUES ('11111111-2222-4333-8444-555555555555', false, 'cli', "
                    "1095, 30, 500, false, now() - interval '1095 days', now())")
        rc, _, err = purge(env)
        assert rc == 3 and "11111111-2222-4333-8444-555555555555" in err, err
        r = env.api("POST", "/v1/purge-runs", key="ops", body={"dry_run": True})
        assert "11111111-2222-4333-8444-555555555555" in h.assert_problem(r, 409, "conflict")["detail"]
    finally:
        release_lock(env, holder)
    assert status_of(env, f"/v1/guests/{gid}") == 200, "a refused run purged"
    s = purge_ok(env)
    assert s["soft_purged"] == 1
    stale = env.api("GET", "/v1/purge-runs/11111111-2222-4333-8444-555555555555", key="ops").json()
    assert stale["status"] == "failed" and stale["error"].startswith("abandoned"), stale
    assert h.TS_RE.match(stale["finished_at"]), stale


def seed_stale(env, n, family):
    """n stale guests with a stay and a charge each, set-based (the triggers keep their statistics)."""
    env.db.rows(f"INSERT INTO guest (family_name, created_at) SELECT '{family}' || i, now() - interval '{OLD} days' "
                f"FROM generate_series(1, {n}) i; "
                f"INSERT INTO stay (guest_id, check_in, check_out, status) SELECT id, current_date - {OLD}, "
                f"current_date - {OLD - 2}, 'completed' FROM guest WHERE family_name LIKE '{family}%'; "
                f"INSERT INTO consumption (guest_id, occurred_at, category, amount, currency) SELECT id, "
                f"now() - interval '{OLD - 1} days', 'bar', 9.50, 'EUR' FROM guest WHERE family_name LIKE '{family}%'")
    return [r[0] for r in env.db.rows(f"SELECT id::text FROM guest WHERE family_name LIKE '{family}%'")]


def slow_batches(env, seconds):
    """Each batch sleeps inside its transaction, after its guests were changed and before it commits, so that
    a kill lands in the middle of a batch."""
    env.db.rows("CREATE OR REPLACE FUNCTION test_slow_batch() RETURNS trigger LANGUAGE plpgsql AS "
                f"$$ BEGIN PERFORM pg_sleep({seconds}); RETURN NEW; END $$; "
                "CREATE TRIGGER test_slow_batch BEFORE UPDATE OF batches ON purge_run "
                "FOR EACH ROW EXECUTE FUNCTION test_slow_batch()")


def start_purge(env, *args):
    penv = dict(os.environ)
    penv.pop("GUESTD_DATABASE_URL", None)
    return subprocess.Popen([env.binary, "purge", *args, "--database-url", env.url], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, env=penv)


def running_batches(env):
    r = env.db.rows("SELECT batches FROM purge_run WHERE status = 'running'")
    return int(r[0][0]) if r else 0


def kill_after_batches(env, proc, batches):
    wait_until(f"{batches} committed batches", lambda: running_batches(env) >= batches or proc.poll() is not None)
    time.sleep(0.05)  # into the next batch's sleep
    assert proc.poll() is None, f"the run ended before it could be killed: {proc.communicate()[1][-2000:]}"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    # the dead client's session ends once its statement does, and its lock with it
    wait_until("the killed run's lock to be released", lambda: advisory_locks(env.db) == 0)
    run = env.db.rows("SELECT id::text FROM purge_run WHERE status = 'running'")
    assert len(run) == 1, run
    return run[0][0]


def test_concurrent_real_run_gets_exit_3(env):
    seed_stale(env, 40, "Busy")
    slow_batches(env, 0.3)
    first = start_purge(env, "--batch-size", "5")
    try:
        wait_until("the first run to start", lambda: running_batches(env) >= 1)
        rc, _, err = purge(env, "--dry-run")
        assert rc == 3 and "Another purge run is in progress (run " in err, err
        h.assert_problem(env.api("POST", "/v1/purge-runs", key="ops", body={"dry_run": True}), 409, "conflict")
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert first.returncode == 0, err.decode(errors="replace")[-2000:]
    assert h.strict_json(out)["soft_purged"] == 40
    assert runs_recorded(env.db) == 1


def test_killed_soft_purge_then_rerun(env):
    ids = seed_stale(env, 200, "Killsoft")
    slow_batches(env, 0.1)
    run1 = kill_after_batches(env, start_purge(env, "--batch-size", "10"), 3)
    assert env.api("GET", f"/v1/purge-runs/{run1}", key="ops").json()["status"] == "running"

    states = dict(env.db.rows(
        "SELECT CASE WHEN deleted_at IS NULL AND deleted_reason IS NULL AND purge_run_id IS NULL THEN 'untouched' "
        f"WHEN deleted_reason = 'purge' AND purge_run_id = '{run1}' THEN 'purged' ELSE 'half' END, count(*)::text "
        "FROM guest WHERE family_name LIKE 'Killsoft%' GROUP BY 1"))
    assert "half" not in states, states
    purged = int(states.get("purged", 0))
    assert 30 <= purged < 200 and purged % 10 == 0, states
    recorded = env.db.rows(f"SELECT soft_purged::text, candidates::text, batches::text FROM purge_run WHERE id = '{run1}'")
    assert recorded == [(str(purged), str(purged), str(purged // 10))], (recorded, states)

    env.db.rows("DROP TRIGGER test_slow_batch ON purge_run")
    s = purge_ok(env)
    assert s["soft_purged"] == 200 - purged, s
    assert int(env.db.scalar(f"SELECT count(*) FROM guest WHERE id = ANY({uuid_array(ids)}) "
                             "AND deleted_reason = 'purge'")) == 200
    total = env.db.scalar("SELECT sum(soft_purged)::text FROM purge_run")
    assert total == "200", total
    abandoned = env.api("GET", f"/v1/purge-runs/{run1}", key="ops").json()
    assert abandoned["status"] == "failed" and abandoned["error"].startswith("abandoned"), abandoned
    assert abandoned["soft_purged"] == purged


def test_killed_hard_delete_then_rerun(env):
    ids = seed_stale(env, 120, "Killhard")
    assert purge_ok(env)["soft_purged"] == 120
    slow_batches(env, 0.1)
    run = kill_after_batches(env, start_purge(env, "--batch-size", "10", "--grace-days", "0"), 3)

    a = uuid_array(ids)
    whole = int(env.db.scalar(
        f"SELECT count(*) FROM guest g WHERE g.id = ANY({a}) AND EXISTS (SELECT 1 FROM stay s WHERE s.guest_id = g.id) "
        "AND EXISTS (SELECT 1 FROM consumption c WHERE c.guest_id = g.id) "
        "AND EXISTS (SELECT 1 FROM guest_stats s WHERE s.guest_id = g.id) "
        "AND EXISTS (SELECT 1 FROM guest_loyalty l WHERE l.guest_id = g.id) "
        "AND NOT EXISTS (SELECT 1 FROM guest_tombstone t WHERE t.guest_id = g.id)"))
    erased = int(env.db.scalar(f"SELECT count(*) FROM guest_tombstone t WHERE t.guest_id = ANY({a}) "
                               "AND NOT EXISTS (SELECT 1 FROM guest g WHERE g.id = t.guest_id)"))
    assert whole + erased == 120, (whole, erased)
    assert 30 <= erased < 120 and erased % 10 == 0, erased
    for t in ("stay", "consumption", "guest_stats", "guest_loyalty", "tier_change", "guest_external_ref"):
        orphans = env.db.scalar(f"SELECT count(*) FROM {t} x WHERE NOT EXISTS (SELECT 1 FROM guest g "
                                "WHERE g.id = x.guest_id)")
        assert orphans == "0", f"{orphans} orphan rows in {t}"
    assert env.db.rows(f"SELECT hard_deleted::text, expired::text FROM purge_run WHERE id = '{run}'") == \
        [(str(erased), str(erased))]
    assert env.db.scalar(f"SELECT count(*) FROM guest_tombstone WHERE run_id = '{run}'") == str(erased)

    env.db.rows("DROP TRIGGER test_slow_batch ON purge_run")
    s = purge_ok(env, "--grace-days", "0")
    assert s["hard_deleted"] == 120 - erased, s
    assert env.db.scalar(f"SELECT count(*) FROM guest WHERE id = ANY({a})") == "0"
    assert env.db.scalar(f"SELECT count(*) FROM guest_tombstone WHERE guest_id = ANY({a})") == "120"
    assert env.db.scalar("SELECT sum(hard_deleted)::text FROM purge_run") == "120"


# ---------------------------------------------------------------- HTTP


def test_http_run_get_and_list(env):
    gid = old_guest(env)
    r = env.api("POST", "/v1/purge-runs", key="ops", body={"inactive_days": 1095, "batch_size": 100})
    assert r.status == 201, r
    run = r.json()
    check_summary(run)
    assert run["started_by"] == "purge-ops" and run["batch_size"] == 100 and run["soft_purged"] == 1, run
    assert r.headers.get("Location") == f"/v1/purge-runs/{run['run_id']}"
    assert env.api("GET", r.headers["Location"], key="admin").json() == run
    assert status_of(env, f"/v1/guests/{gid}") == 404
    # the soft purge is in the guest's history, by the key that started the run (issue 6)
    last = env.api("GET", f"/v1/guests/{gid}/history?limit=1", key="ops").json()["items"][0]
    assert (last["action"], last["actor"], last["entity"]) == ("purged", "purge-ops", "guest"), last

    ids = [run["run_id"]]
    for _ in range(2):
        ids.append(env.api("POST", "/v1/purge-runs", key="admin", body={"dry_run": True}).json()["run_id"])
    page = env.api("GET", "/v1/purge-runs?limit=2", key="ops").json()
    assert [x["run_id"] for x in page["items"]] == ids[:0:-1], page
    rest = env.api("GET", "/v1/purge-runs?limit=2&cursor=" + urllib.parse.quote(page["next_cursor"]), key="ops")
    assert [x["run_id"] for x in rest.json()["items"]] == ids[:1] and rest.json()["next_cursor"] is None
    assert [x["run_id"] for x in env.api("GET", "/v1/purge-runs", key="ops").json()["items"]] == ids[::-1]


@pytest.mark.parametrize("path", ["/v1/purge-runs/00000000-0000-4000-8000-000000000000", "/v1/purge-runs/42",
                                  "/v1/purge-runs/not-a-run"])
def test_unknown_run_is_404(env, path):
    h.assert_problem(env.api("GET", path, key="ops"), 404, "not-found")


@pytest.mark.parametrize("query,field", [("limit=0", "limit"), ("limit=501", "limit"), ("cursor=abc", "cursor"),
                                         ("status=done", "")])
def test_bad_list_query_is_400(env, query, field):
    h.assert_problem(env.api("GET", f"/v1/purge-runs?{query}", key="ops"), 400, "bad-request", fields=[field])


BAD_BODIES = [
    ({"inactive_days": 29}, ["/inactive_days"]),
    ({"inactive_days": 0}, ["/inactive_days"]),
    ({"inactive_days": 36501}, ["/inactive_days"]),
    ({"inactive_days": "1095"}, ["/inactive_days"]),
    ({"inactive_days": 1095.5}, ["/inactive_days"]),
    ({"grace_days": -1}, ["/grace_days"]),
    ({"grace_days": 3651}, ["/grace_days"]),
    ({"batch_size": 0}, ["/batch_size"]),
    ({"batch_size": 10001}, ["/batch_size"]),
    ({"limit": 0}, ["/limit"]),
    ({"limit": -3}, ["/limit"]),
    ({"dry_run": "yes"}, ["/dry_run"]),
    ({"include_vip": 1}, ["/include_vip"]),
    ({"dry": True}, ["/dry"]),
    ({"run_id": "5d2f7a10-3c4b-4e8a-9b1f-6a7c8d9e0f21"}, ["/run_id"]),
    ({"status": "done", "inactive_days": 10, "grace_days": "x"}, ["/status", "/inactive_days", "/grace_days"]),
    ([], [""]),
    ("dry_run", [""]),
]


@pytest.mark.parametrize("body,fields", BAD_BODIES, ids=[json.dumps(b) for b, _ in BAD_BODIES])
def test_bad_body_is_422_and_records_nothing(env, body, fields):
    old_guest(env)
    before = snapshot(env.db)
    raw = json.dumps(body) if isinstance(body, str) else body
    p = h.assert_problem(env.api("POST", "/v1/purge-runs", key="ops", body=raw), 422, "invalid-field", fields=fields)
    if "/run_id" in fields or "/status" in fields:
        assert any(e["message"] == "is read-only" for e in p["errors"]), p
    assert runs_recorded(env.db) == 0 and snapshot(env.db) == before


@pytest.mark.parametrize("raw,ctype,status,slug", [
    (b'{"dry_run": true', "application/json", 400, "malformed-json"),
    (b'{"dry_run": true, "dry_run": false}', "application/json", 400, "malformed-json"),
    (b"", "application/json", 400, "malformed-json"),
    (b'{"dry_run": true}', "text/plain", 415, "unsupported-media-type"),
    (b'{"dry_run": true}', None, 415, "unsupported-media-type"),
])
def test_unreadable_body_records_nothing(env, raw, ctype, status, slug):
    r = env.api("POST", "/v1/purge-runs", key="ops", body=raw, headers={"Content-Type": ctype})
    h.assert_problem(r, status, slug)
    assert runs_recorded(env.db) == 0


# ---------------------------------------------------------------- the command line


@pytest.mark.parametrize("args", [
    ["--inactive-days", "abc"], ["--inactive-days", "10"], ["--inactive-days", "99999"], ["--inactive-days", "1e3"],
    ["--batch-size", "0"], ["--batch-size", "-5"], ["--grace-days", "3651"], ["--limit", "0"],
    ["--limit", "1.5"], ["--bogus"], ["--dry-run=yes"], ["extra"], ["--inactive-days"],
], ids=lambda a: " ".join(a))
def test_cli_usage_errors_exit_2(env, args):
    old_guest(env)
    rc, _, err = purge(env, *args)
    assert rc == 2, (rc, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("guestd: "), err
    assert runs_recorded(env.db) == 0


def test_cli_help_documents_exit_codes(guestd_bin):
    p = h.run_cli(guestd_bin, "purge", "--help")
    assert p.returncode == 0
    text = p.stdout.decode()
    assert text.startswith("Usage: guestd purge")
    for needle in ("Exit codes: 0 done", "2 bad usage", "3 another purge run holds the lock", "crontab",
                   "--inactive-days", "--dry-run", "--batch-size", "--grace-days", "--include-vip", "--limit"):
        assert needle in text, needle


def test_cli_logs_counts_and_ids_only(env):
    family = "Secret" + h.tok(10).capitalize()
    mail = f"{h.tok(12)}@example.com"
    old_guest(env, family_name=family, email=mail, phone="+4915199988877")
    rc, s, err = purge(env, "--batch-size", "1")
    assert rc == 0 and s["soft_purged"] == 1
    lines = [json.loads(line) for line in err.splitlines() if line.strip()]
    msgs = [x["msg"] for x in lines]
    assert msgs[0] == "purge started" and msgs[-1] == "purge finished" and "purge batch" in msgs, msgs
    assert all(x["run_id"] == s["run_id"] for x in lines), lines
    for secret in (family, mail, "+4915199988877"):
        assert secret not in err, f"the log names {secret!r}"
