"""Bulk import: POST /v1/guests/import (NDJSON, streamed, upsert by external reference) and guestd import."""

import http.client
import json
import os
import subprocess
import time
import uuid

import pytest

import gd_helpers as h

NDJSON = {"Content-Type": "application/x-ndjson"}


def ref(system="pms"):
    return {"system": system, "id": "P-" + h.tok(12)}


def body_of(lines):
    return "".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in lines)


def post_import(api, lines, key="frontdesk", headers=None):
    r = api("POST", "/v1/guests/import", key=key, body=body_of(lines), headers=headers or NDJSON, timeout=60)
    return r


def results(r):
    assert r.status == 200, r
    assert r.media_type == "application/x-ndjson"
    out = [json.loads(l) for l in r.body.decode().splitlines()]
    assert "summary" in out[-1], out[-1]
    return {x["line"]: x for x in out[:-1]}, out[-1]["summary"]


def count(db, table, guest_id):
    return int(db.scalar(f"SELECT count(*) FROM {table} WHERE guest_id = '{guest_id}'"))


def test_new_guests_get_time_ordered_ids(api):
    """sql/0012: the import chooses its new guests' ids like a single create does."""
    res, _ = results(post_import(api, [{"family_name": "Ordered", "external_refs": [ref()]}]))
    gid = res[1]["id"]
    assert uuid.UUID(gid).version == 7, gid
    assert abs(h.id_millis(gid) - time.time() * 1000) < 60000, gid


def test_created_updated_rejected(api, db):
    a, b = ref(), ref()
    lines = [
        {"family_name": "Alpha", "external_refs": [a],
         "stays": [{"check_in": "2025-01-02", "check_out": "2025-01-05", "status": "completed", "external_ref": "R1"}],
         "consumptions": [{"occurred_at": "2025-01-03T20:00:00Z", "category": "dining", "dining_type": "dinner",
                           "amount": "120.50", "currency": "EUR", "payment_status": "paid"}],
         "preferences": [{"category": "room", "key": "pillow", "value": "synthetic"}],
         "special_dates": [{"kind": "anniversary", "date": "2010-06-12"}],
         "complaints": [{"received_at": "2025-01-04T09:00:00Z", "category": "noise", "severity": "low",
                         "description": "Loud corridor"}]},
        {"family_name": "Beta", "birth_date": "2999-01-01", "external_refs": [b]},
        {"family_name": "Gamma"},
    ]
    res, summary = results(post_import(api, lines))
    assert res[1]["status"] == "created"
    gid = res[1]["id"]
    assert res[2]["status"] == "rejected"
    assert res[2]["problem"]["status"] == 422
    assert "/birth_date" in [e["field"] for e in res[2]["problem"]["errors"]]
    assert res[3]["status"] == "rejected"
    assert "/external_refs" in [e["field"] for e in res[3]["problem"]["errors"]]
    assert summary["created"] == 1 and summary["rejected"] == 2 and summary["lines"] == 3
    for table in ("stay", "consumption", "preference", "special_date", "complaint"):
        assert count(db, table, gid) == 1, table
    # the rejected line stored nothing
    assert db.scalar(f"SELECT count(*) FROM guest_external_ref WHERE external_id = '{b['id']}'") == "0"
    card = api("GET", f"/v1/guests/{gid}", key="frontdesk").json()
    assert card["stats"]["stays"] == 1
    # the audit trail names the importing key
    hist = api("GET", f"/v1/guests/{gid}/history", key="frontdesk").json()
    assert hist["items"], hist

    # the same line again: an update, nothing duplicated
    res, summary = results(post_import(api, lines[:1]))
    assert res[1] == {"line": 1, "status": "updated", "id": gid}
    for table in ("stay", "consumption", "preference", "special_date", "complaint"):
        assert count(db, table, gid) == 1, table
    assert api("GET", f"/v1/guests/{gid}", key="frontdesk").json()["version"] == card["version"]


def test_rerun_of_a_file_creates_nothing(api, db):
    lines = [{"family_name": f"Rerun{i}", "external_refs": [ref()],
              "stays": [{"check_in": "2024-05-01", "check_out": "2024-05-03", "status": "completed"},
                        {"check_in": "2024-07-01", "check_out": "2024-07-02", "status": "completed",
                         "external_ref": f"S{i}"}],
              "consumptions": [{"occurred_at": "2024-05-02T12:00:00Z", "category": "bar", "amount": 9,
                                "currency": "EUR"}]} for i in range(30)]
    before = db.counts()
    res, s1 = results(post_import(api, lines))
    assert s1["created"] == 30
    mid = db.counts()
    res2, s2 = results(post_import(api, lines))
    assert s2["updated"] == 30 and s2["created"] == 0
    after = db.counts()
    for table in ("guest", "stay", "consumption"):
        assert after[table] == mid[table], table
    assert mid["stay"] - before["stay"] == 60
    assert {r["id"] for r in res.values()} == {r["id"] for r in res2.values()}


def test_update_is_a_merge(api, make_guest):
    r = ref()
    g = make_guest(external_refs=[r], email="old@example.com", legal_hold=True, vip_code="V1", notes="keep")
    res, _ = results(post_import(api, [{"family_name": "Renamed", "external_refs": [r, ref("crm")],
                                        "email": None, "phone": "+41445550000"}]))
    assert res[1]["status"] == "updated" and res[1]["id"] == g["id"]
    card = api("GET", f"/v1/guests/{g['id']}", key="frontdesk").json()
    assert card["family_name"] == "Renamed"
    assert card["email"] is None            # named as null: cleared
    assert card["phone"] == "+41445550000"
    assert card["legal_hold"] is True       # left out: kept
    assert card["vip_code"] == "V1" and card["notes"] == "keep"
    assert len(card["external_refs"]) == 2  # added, none removed
    assert card["version"] == g["version"] + 1


def test_stays_matched_by_external_ref_take_new_values(api, db):
    r = ref()
    stay = {"check_in": "2026-01-10", "check_out": "2026-01-12", "status": "reserved", "external_ref": "RES-1"}
    res, _ = results(post_import(api, [{"family_name": "S", "external_refs": [r], "stays": [stay]}]))
    gid = res[1]["id"]
    stay2 = dict(stay, status="completed", check_out="2026-01-13")
    results(post_import(api, [{"family_name": "S", "external_refs": [r], "stays": [stay2]}]))
    assert db.rows(f"SELECT status, check_out::text FROM stay WHERE guest_id = '{gid}'") == [("completed", "2026-01-13")]


def test_bad_lines_in_the_middle_keep_the_good_ones(api, db):
    good = [{"family_name": f"Good{i}", "external_refs": [ref()]} for i in range(5)]
    lines = [good[0], good[1], "{not json", good[2], "", "[1, 2]",
             {"family_name": "BadStay", "external_refs": [ref()],
              "stays": [{"check_in": "2025-02-05", "check_out": "2025-02-01"}]},
             good[3], "   ", good[4]]
    res, summary = results(post_import(api, lines))
    assert sorted(n for n, x in res.items() if x["status"] == "created") == [1, 2, 4, 8, 10]
    assert res[3]["problem"]["status"] == 400 and res[3]["problem"]["type"] == "/problems/malformed-json"
    assert res[6]["problem"]["status"] == 422
    assert "/stays/0/check_out" in [e["field"] for e in res[7]["problem"]["errors"]]
    assert 5 not in res and 9 not in res  # blank lines are skipped, still counted
    assert summary["lines"] == 8


def test_database_refusal_costs_only_its_line(api, make_guest, db):
    other = make_guest()
    stay = api("POST", f"/v1/guests/{other['id']}/stays", key="frontdesk",
               body={"check_in": "2025-03-01", "check_out": "2025-03-02"}).json()
    a, b = ref(), ref()
    lines = [{"family_name": "Ok1", "external_refs": [a]},
             {"family_name": "Thief", "external_refs": [ref()],
              "consumptions": [{"occurred_at": "2025-03-01T10:00:00Z", "category": "bar", "amount": 1,
                                "currency": "EUR", "stay_id": stay["id"]}]},
             {"family_name": "Ok2", "external_refs": [b]}]
    res, summary = results(post_import(api, lines))
    assert res[1]["status"] == "created" and res[3]["status"] == "created"
    assert res[2]["status"] == "rejected" and res[2]["problem"]["status"] == 422
    assert db.scalar("SELECT count(*) FROM guest WHERE family_name = 'Thief'") == "0"


def test_references_of_two_guests_are_a_conflict(api, make_guest, db):
    a, b = ref(), ref()
    g1, g2 = make_guest(external_refs=[a]), make_guest(external_refs=[b])
    res, _ = results(post_import(api, [{"family_name": "Both", "external_refs": [a, b]}]))
    assert res[1]["status"] == "rejected" and res[1]["problem"]["status"] == 409
    assert api("GET", f"/v1/guests/{g1['id']}", key="frontdesk").json()["version"] == g1["version"]


def test_same_guest_twice_in_one_body(api, db):
    r = ref()
    res, _ = results(post_import(api, [{"family_name": "First", "external_refs": [r]},
                                       {"family_name": "Second", "external_refs": [r]}]))
    assert res[1]["status"] == "created" and res[2]["status"] == "updated" and res[1]["id"] == res[2]["id"]
    assert api("GET", f"/v1/guests/{res[1]['id']}", key="frontdesk").json()["family_name"] == "Second"


def test_one_stored_guest_through_two_references_in_one_body(api, make_guest, db):
    """sql/0015: two lines of one batch reaching a stored guest through different references are
    both applied, in line order (they used to meet in one UPDATE, which kept just one)."""
    a, b = ref("pms"), ref("crs")
    g = make_guest(external_refs=[a, b])
    other = ref()
    res, summary = results(post_import(api, [{"family_name": "One", "external_refs": [a]},
                                             {"family_name": "New", "external_refs": [other]},
                                             {"family_name": "Two", "external_refs": [b], "vip_code": "GOLD1"}]))
    assert [res[n]["status"] for n in (1, 2, 3)] == ["updated", "created", "updated"], res
    assert res[1]["id"] == res[3]["id"] == g["id"]
    card = api("GET", f"/v1/guests/{g['id']}", key="frontdesk").json()
    assert (card["family_name"], card["vip_code"], card["version"]) == ("Two", "GOLD1", g["version"] + 2)
    names = db.rows(f"SELECT c ->> 'after' FROM audit_event a, jsonb_array_elements(a.changes) c"
                    f" WHERE a.guest_id = '{g['id']}' AND a.action = 'updated' AND c ->> 'field' = 'family_name'"
                    f" ORDER BY a.id")
    assert [n[0] for n in names] == ["One", "Two"]
    assert db.scalar(f"SELECT count(*) FROM guest g JOIN guest_external_ref x ON x.guest_id = g.id"
                     f" WHERE x.external_id = '{other['id']}'") == "1"


def test_overlong_line_is_rejected_and_the_rest_goes_on(api):
    big = {"family_name": "Big", "external_refs": [ref()], "notes": "x" * (1024 * 1024)}
    res, summary = results(post_import(api, [{"family_name": "Before", "external_refs": [ref()]}, big,
                                             {"family_name": "After", "external_refs": [ref()]}]))
    assert res[1]["status"] == "created" and res[3]["status"] == "created"
    assert res[2]["problem"]["status"] == 413


def test_crlf_bom_and_no_final_newline(api):
    a, b = ref(), ref()
    body = ("\ufeff" + json.dumps({"family_name": "Bom", "external_refs": [a]}) + "\r\n" +
            json.dumps({"family_name": "Last", "external_refs": [b]}))
    r = api("POST", "/v1/guests/import", key="frontdesk", body=body, headers=NDJSON)
    res, summary = results(r)
    assert res[1]["status"] == "created" and res[2]["status"] == "created", res


def test_wrong_media_type_and_idempotency_key(api, db):
    line = body_of([{"family_name": "Nope", "external_refs": [ref()]}])
    before = db.counts()
    r = api("POST", "/v1/guests/import", key="frontdesk", body=line)
    h.assert_problem(r, 415, "unsupported-media-type")
    r = api("POST", "/v1/guests/import", key="frontdesk", body=line,
            headers=dict(NDJSON, **{"Idempotency-Key": "k-" + h.tok(8)}))
    h.assert_problem(r, 400, "bad-request")
    assert db.counts()["guest"] == before["guest"]


def test_empty_body(api):
    res, summary = results(api("POST", "/v1/guests/import", key="frontdesk", body="", headers=NDJSON))
    assert res == {} and summary["lines"] == 0 and summary["batches"] == 0


def _rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_large_streamed_body_keeps_memory_flat(server, db, keys):
    """~60 MB, sent chunked: the server's resident memory must not grow with the body. The lines
    cycle over 1,000 guests (the rest are updates that change nothing), so that the session's
    database does not grow by a hundred thousand guests for the tests after this one."""
    tag = h.tok(8)
    n = 30_000
    pad = "p" * 1900

    pid = server.proc.pid
    samples = []

    def gen():
        chunk = []
        for i in range(n):
            chunk.append(json.dumps({"family_name": "Mem", "notes": pad,
                                     "external_refs": [{"system": "mem" + tag, "id": str(i % 1000)}]}) + "\n")
            if len(chunk) == 500:
                yield "".join(chunk).encode()
                chunk = []
                if i % 2_000 == 1_999:
                    samples.append(_rss_kb(pid))  # while the server reads the body
        if chunk:
            yield "".join(chunk).encode()

    # warm up: pool sessions, allocator arenas
    warm = h.Api("127.0.0.1", server.port, keys, None)
    results(warm("POST", "/v1/guests/import", key="frontdesk",
                 body=body_of([{"family_name": "Warm", "external_refs": [ref()]}] * 1), headers=NDJSON))
    before = _rss_kb(pid)
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=600)
    conn.request("POST", "/v1/guests/import", body=gen(),
                 headers={"Authorization": f"Bearer {keys['frontdesk']}", "Content-Type": "application/x-ndjson"},
                 encode_chunked=True)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    after = _rss_kb(pid)
    peak = max(samples + [after])
    assert resp.status == 200, (data[:500], server.stderr_tail())
    summary = json.loads(data.decode().splitlines()[-1])["summary"]
    assert summary["created"] == 1000 and summary["updated"] == n - 1000, summary
    assert summary["bytes"] > 50_000_000
    # a held body would be 60 MB; the line buffer, a batch and the sanitizers' overhead stay far below
    assert len(samples) >= 10
    assert peak - before < 40_000, (before, samples, after)
    assert db.scalar(f"SELECT count(*) FROM guest_external_ref WHERE system = 'mem{tag}'") == "1000"


# ---- guestd import (the command line) ----

def run_cli(guestd_bin, db_url, *args, stdin=None):
    env = dict(os.environ)
    env.pop("GUESTD_DATABASE_URL", None)
    return subprocess.run([guestd_bin, "import", *args, "--database-url", db_url], capture_output=True,
                          input=stdin, timeout=120, env=env)


def test_cli_import_exit_codes_and_rejects(guestd_bin, db_url, db, tmp_path):
    good = [{"family_name": f"Cli{i}", "external_refs": [ref("cli")]} for i in range(3)]
    f = tmp_path / "guests.ndjson"
    f.write_text(body_of(good))
    r = run_cli(guestd_bin, db_url, str(f))
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.decode().strip().splitlines()[-1])
    assert summary["created"] == 3 and summary["rejected"] == 0
    assert b"\r" not in r.stderr  # not a terminal: no progress bar

    # again, with one bad line: created nothing new, exit 4, the rejected line in --rejects
    f.write_text(body_of(good + ["{bad"]))
    rej = tmp_path / "rejects.ndjson"
    r = run_cli(guestd_bin, db_url, str(f), "--rejects", str(rej))
    assert r.returncode == 4, r.stderr
    summary = json.loads(r.stdout.decode().strip().splitlines()[-1])
    assert summary["updated"] == 3 and summary["created"] == 0 and summary["rejected"] == 1
    bad = [json.loads(l) for l in rej.read_text().splitlines()]
    assert bad[0]["line"] == 4 and bad[0]["status"] == "rejected" and bad[0]["problem"]["status"] == 400

    # stdin, rejects on stderr
    r = run_cli(guestd_bin, db_url, "-", stdin=b"{bad\n")
    assert r.returncode == 4
    assert b'"rejected"' in r.stderr


def test_cli_import_usage_and_failure(guestd_bin, db_url, tmp_path):
    r = subprocess.run([guestd_bin, "import", "--help"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and r.stdout.startswith("Usage: guestd import") and "Exit codes" in r.stdout
    r = run_cli(guestd_bin, db_url)
    assert r.returncode == 2 and len(r.stderr.decode().strip().splitlines()) == 1
    r = run_cli(guestd_bin, db_url, str(tmp_path / "missing.ndjson"))
    assert r.returncode == 2, r.stderr
    f = tmp_path / "one.ndjson"
    f.write_text(body_of([{"family_name": "X", "external_refs": [ref()]}]))
    r = subprocess.run([guestd_bin, "import", str(f), "--database-url", "host=/nonexistent dbname=x"],
                       capture_output=True, timeout=60)
    assert r.returncode == 1 and len(r.stderr.decode().strip().splitlines()) == 1, r.stderr


def test_cli_progress_bar_on_a_terminal(guestd_bin, db_url, tmp_path):
    """stderr on a terminal: the bar (redrawn with \\r) and the final line; stdout keeps the JSON summary."""
    import pty

    f = tmp_path / "tty.ndjson"
    f.write_text(body_of([{"family_name": f"Tty{i}", "external_refs": [ref("tty")]} for i in range(50)]))
    master, slave = pty.openpty()
    env = dict(os.environ)
    env.pop("GUESTD_DATABASE_URL", None)
    p = subprocess.Popen([guestd_bin, "import", str(f), "--database-url", db_url], stdout=subprocess.PIPE,
                         stderr=slave, stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    out, _ = p.communicate(timeout=60)
    err = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        err += chunk
    os.close(master)
    assert p.returncode == 0, err
    assert json.loads(out)["created"] == 50
    text = err.decode(errors="replace")
    assert "\r" in text and "100%" in text and "lines/s" in text, text
    assert "50 created, 0 updated, 0 rejected" in text, text


def test_cli_side_by_side_keeps_the_file_order_of_each_guest(guestd_bin, db_url, db, make_guest, tmp_path):
    """--jobs: consecutive lines reach one stored guest through four different references, so the
    importer never holds them back (no shared reference) and four one-line batches are in flight at
    once; the database's turns must still apply them in the file's order."""
    refs = [ref(s) for s in ("pms", "crs", "web", "loyalty")]
    g = make_guest(external_refs=refs)
    names = [f"Order{i:03d}" for i in range(80)]
    f = tmp_path / "order.ndjson"
    f.write_text(body_of([{"family_name": n, "external_refs": [refs[i % 4]]} for i, n in enumerate(names)]))
    r = run_cli(guestd_bin, db_url, str(f), "--jobs", "4", "--batch-size", "1")
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stdout.decode().strip().splitlines()[-1])
    assert summary["updated"] == 80 and summary["batches"] == 80, summary
    written = db.rows(f"SELECT c ->> 'after' FROM audit_event a, jsonb_array_elements(a.changes) c"
                      f" WHERE a.guest_id = '{g['id']}' AND a.action = 'updated' AND c ->> 'field' = 'family_name'"
                      f" ORDER BY a.id")
    assert [w[0] for w in written] == names
    assert db.scalar(f"SELECT family_name FROM guest WHERE id = '{g['id']}'") == names[-1]


def test_cli_side_by_side_reports_every_line_once(guestd_bin, db_url, db, make_guest, api, tmp_path):
    """--jobs with small batches: a batch the database refuses is written line by line on its
    writer, the checks' rejections come at once, and every line gets exactly one result."""
    other = make_guest()
    stay = api("POST", f"/v1/guests/{other['id']}/stays", key="frontdesk",
               body={"check_in": "2025-03-01", "check_out": "2025-03-02"}).json()
    tag = h.tok(8)
    lines = []
    for i in range(40):
        line = {"family_name": f"Side{tag}{i}", "external_refs": [ref("side")]}
        if i == 17:  # a charge on another guest's stay: the database refuses its batch
            line["consumptions"] = [{"occurred_at": "2025-03-01T10:00:00Z", "category": "bar", "amount": 1,
                                     "currency": "EUR", "stay_id": stay["id"]}]
        lines.append(line)
    lines[25] = {"family_name": "", "external_refs": [ref("side")]}  # refused by the checks
    f = tmp_path / "side.ndjson"
    f.write_text(body_of(lines))
    rej = tmp_path / "rejects.ndjson"
    r = run_cli(guestd_bin, db_url, str(f), "--jobs", "3", "--batch-size", "3", "--rejects", str(rej))
    assert r.returncode == 4, r.stderr
    summary = json.loads(r.stdout.decode().strip().splitlines()[-1])
    assert (summary["created"], summary["rejected"], summary["lines"]) == (38, 2, 40), summary
    bad = {x["line"]: x["problem"]["status"] for x in map(json.loads, rej.read_text().splitlines())}
    assert bad == {18: 422, 26: 422}
    stored = db.scalar(f"SELECT count(*) FROM guest WHERE family_name LIKE 'Side{tag}%'")
    assert stored == "38"


@pytest.mark.parametrize("jobs", ["0", "17", "two"])
def test_cli_import_jobs_must_be_a_small_count(guestd_bin, db_url, db, tmp_path, jobs):
    f = tmp_path / "jobs.ndjson"
    name = "Jobs" + h.tok(8)
    f.write_text(body_of([{"family_name": name, "external_refs": [ref()]}]))
    r = run_cli(guestd_bin, db_url, str(f), "--jobs", jobs)
    assert r.returncode == 2
    assert r.stderr.decode().strip().splitlines() == ["guestd: --jobs must be a whole number from 1 to 16"]
    assert db.scalar(f"SELECT count(*) FROM guest WHERE family_name = '{name}'") == "0"


def test_cli_large_import_refreshes_planner_statistics(guestd_bin, db_url, db, tmp_path):
    """sql/0014: 10,000 guests created make the import analyze its tables at its end, so that the
    plans after a first load are not made for the empty tables the planner saw before it. The
    same file again (updates only) grows nothing and analyzes nothing."""
    def analyzed():
        return db.rows("SELECT relname, analyze_count FROM pg_stat_user_tables"
                       " WHERE relname IN ('guest', 'guest_external_ref', 'stay') ORDER BY relname")

    def settled(before, grew):
        deadline = time.time() + 10
        while True:
            after = dict(analyzed())
            if all((int(after[t]) > int(before[t])) == grew for t in before) or time.time() > deadline:
                return after
            time.sleep(0.2)

    before = dict(analyzed())
    f = tmp_path / "large.ndjson"
    tag = h.tok(6)
    f.write_text(body_of([{"family_name": f"Stat{tag}", "external_refs": [{"system": "stat", "id": f"{tag}-{i}"}]}
                          for i in range(10000)]))
    r = run_cli(guestd_bin, db_url, str(f))
    assert r.returncode == 0, r.stderr
    assert r.stderr == b""  # no warning leaks, whoever owns the tables
    after = settled(before, True)
    assert all(int(after[t]) > int(before[t]) for t in before), (before, after)

    r = run_cli(guestd_bin, db_url, str(f))
    assert r.returncode == 0 and json.loads(r.stdout.decode().splitlines()[-1])["updated"] == 10000, r.stderr
    time.sleep(1)  # what a refresh would have counted by now
    assert dict(analyzed()) == after


def _sessions_opened(api):
    r = api("GET", "/metrics")
    assert r.status == 200, r
    for line in r.body.decode().splitlines():
        if line.startswith("guestd_db_connections_opened_total "):
            return float(line.split()[1])
    raise AssertionError("no guestd_db_connections_opened_total")


def test_http_import_writes_beside_the_pool(api, db):
    """The route's second writer has a session of its own (opened for the upload, counted in the
    metrics), and its batches arrive as with one writer: every line once, in line order."""
    tag = h.tok(8)
    lines = [{"family_name": f"Beside{tag}{i}", "external_refs": [ref("beside")]} for i in range(1200)]
    # pool slots connect on first use (a stack): this read leaves the one the import pops connected
    assert api("GET", "/v1/guests?limit=1", key="frontdesk").status == 200
    before = _sessions_opened(api)
    res, summary = results(post_import(api, lines))
    assert _sessions_opened(api) == before + 1
    assert summary["created"] == 1200 and summary["batches"] == 3, summary
    assert sorted(res) == list(range(1, 1201))
    assert db.scalar(f"SELECT count(*) FROM guest WHERE family_name LIKE 'Beside{tag}%'") == "1200"
