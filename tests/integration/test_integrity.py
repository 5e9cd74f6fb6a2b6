"""Integrity under retries and races (issue 6): the request transaction retried on serialization
failures and deadlocks, Idempotency-Key on POST, If-None-Match on GET, If-Match under a race."""

import concurrent.futures
import time

import gd_dossier as d
import gd_helpers as h


def parallel(n, fn):
    with concurrent.futures.ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(lambda i: fn(i), range(n)))


# ---------------------------------------------------------------- retried transactions


class FailingInserts:
    """A trigger that fails the first `n` inserts of guests named `name` with SQLSTATE `code`.

    The count lives in a sequence, which a rollback does not undo, so each attempt sees the next
    number: the way a real serialization failure or deadlock goes away when the transaction runs
    again."""

    def __init__(self, db, code, n):
        self.db, self.code, self.n = db, code, n
        self.name = "Probe" + h.tok(8).capitalize()
        self.seq = "probe_" + h.tok(8).lower()

    def __enter__(self):
        self.db.rows(f"""
            CREATE SEQUENCE {self.seq};
            CREATE FUNCTION {self.seq}_fail() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF nextval('{self.seq}') <= {self.n} THEN
                    RAISE EXCEPTION 'forced failure' USING ERRCODE = '{self.code}';
                END IF;
                RETURN NEW;
            END $$;
            CREATE TRIGGER {self.seq}_fail BEFORE INSERT ON guest FOR EACH ROW
                WHEN (NEW.family_name = '{self.name}') EXECUTE FUNCTION {self.seq}_fail();""")
        return self

    def attempts(self):
        return int(self.db.scalar(f"SELECT last_value FROM {self.seq}"))

    def __exit__(self, *exc):
        self.db.rows(f"DROP TRIGGER {self.seq}_fail ON guest; DROP FUNCTION {self.seq}_fail(); "
                     f"DROP SEQUENCE {self.seq}")


def guests_named(db, name):
    return int(db.scalar(f"SELECT count(*) FROM guest WHERE family_name = '{name}'"))


def test_serialization_failure_and_deadlock_are_retried(api, db):
    for code in ("40001", "40P01"):
        with FailingInserts(db, code, 2) as probe:
            r = api("POST", "/v1/guests", key="frontdesk", body={"family_name": probe.name})
            assert r.status == 201, (code, r)
            assert probe.attempts() == 3
            assert guests_named(db, probe.name) == 1


def test_retries_are_bounded_and_then_503(api, db):
    with FailingInserts(db, "40001", 10) as probe:
        with db.unchanged():
            r = api("POST", "/v1/guests", key="frontdesk", body={"family_name": probe.name})
            h.assert_problem(r, 503, "unavailable")
            assert r.headers.get("Retry-After") == "1"
        assert probe.attempts() == 3


def test_a_failure_that_is_not_transient_is_not_retried(api, db):
    with FailingInserts(db, "23505", 10) as probe:
        with db.unchanged():
            r = api("POST", "/v1/guests", key="frontdesk", body={"family_name": probe.name})
            h.assert_problem(r, 409, "conflict")
        assert probe.attempts() == 1


def test_a_real_deadlock_is_retried(api, db, db_url, make_guest, server):
    """A psql transaction and a stay POST lock one guest's rows in opposite orders: PostgreSQL
    breaks the deadlock by failing the request's transaction (it waited first), which guestd runs
    again once the psql transaction has finished: the client sees 201."""
    g = make_guest()
    held = h.HeldTransaction(db_url, f"UPDATE guest_stats SET stays = stays WHERE guest_id = '{g['id']}'")
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            # the stay's trigger locks the guest row, then waits for the guest_stats row held above
            pending = pool.submit(lambda: api("POST", d.path(g["id"], "stays"), key="frontdesk",
                                              body=d.minimal("stays"), timeout=30))
            time.sleep(0.3)
            # now the held transaction wants the guest row: a cycle, found after deadlock_timeout (1 s)
            held.send(f"SELECT 1 FROM guest WHERE id = '{g['id']}' FOR UPDATE")
            time.sleep(1.5)
            held.commit()
            r = pending.result()
    finally:
        held.close()
    assert r.status == 201, r
    assert len(d.list_all(api, g["id"], "stays")) == 1
    log = server.stderr_text()
    assert "transaction retried" in log and "40P01" in log, log[-2000:]


def test_writes_name_their_actor(api, db):
    """The transaction carries the API key's name for the triggers (guestd.actor)."""
    seq = "actor_" + h.tok(8).lower()
    name = "Actor" + h.tok(8).capitalize()
    db.rows(f"""
        CREATE TABLE {seq} (actor text, request_id text);
        CREATE FUNCTION {seq}_f() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            INSERT INTO {seq} VALUES (current_setting('guestd.actor', true),
                                      current_setting('guestd.request_id', true));
            RETURN NEW;
        END $$;
        CREATE TRIGGER {seq}_t AFTER INSERT ON guest FOR EACH ROW
            WHEN (NEW.family_name = '{name}') EXECUTE FUNCTION {seq}_f();""")
    try:
        r = api("POST", "/v1/guests", key="frontdesk", body={"family_name": name})
        assert r.status == 201, r
        assert db.rows(f"SELECT actor, request_id FROM {seq}") == [("test-frontdesk", r.headers["X-Request-Id"])]
    finally:
        db.rows(f"DROP TRIGGER {seq}_t ON guest; DROP FUNCTION {seq}_f(); DROP TABLE {seq}")


# ---------------------------------------------------------------- Idempotency-Key


def keyed(api, path, body, ikey, key="frontdesk", patient=True):
    """POST with an Idempotency-Key; waits out 409 "still in progress" like a client honouring Retry-After."""
    for _ in range(200):
        r = api("POST", path, key=key, body=body, headers={"Idempotency-Key": ikey})
        if not (patient and r.status == 409):
            return r
        h.assert_problem(r, 409, "conflict")
        assert r.headers.get("Retry-After") == "1", r
        time.sleep(0.05)
    raise AssertionError(f"still 409 after retries: {r!r}")


def stored_keys(db, ikey):
    return int(db.scalar(f"SELECT count(*) FROM idempotency_key WHERE key = '{ikey}'"))


def test_twenty_parallel_identical_posts_create_one_guest(api, db):
    ikey = "k-" + h.tok(16)
    name = "Idem" + h.tok(8).capitalize()
    answers = parallel(20, lambda i: keyed(api, "/v1/guests", {"family_name": name}, ikey))
    assert [r.status for r in answers] == [201] * 20, answers
    assert len({r.body for r in answers}) == 1
    assert len({r.headers.get("Location") for r in answers}) == 1
    assert len({r.headers.get("ETag") for r in answers}) == 1
    replayed = [r.headers.get("Idempotent-Replayed") for r in answers]
    assert replayed.count(None) == 1 and replayed.count("true") == 19, replayed
    assert guests_named(db, name) == 1
    assert stored_keys(db, ikey) == 1


def test_replay_of_a_guest_post_answers_the_first_answer(api, db):
    ikey = "k-" + h.tok(16)
    body = {"family_name": "Idem" + h.tok(8).capitalize(), "email": h.tok(6) + "@example.com"}
    first = keyed(api, "/v1/guests", body, ikey)
    assert first.status == 201 and first.headers.get("Idempotent-Replayed") is None
    with db.unchanged():
        again = keyed(api, "/v1/guests", body, ikey)
    assert again.status == 201
    assert again.json() == first.json()
    assert again.headers.get("Location") == first.headers.get("Location")
    assert again.headers.get("ETag") == first.headers.get("ETag")
    assert again.headers.get("Idempotent-Replayed") == "true"


def test_replay_of_a_section_post(api, db, make_guest):
    g = make_guest()
    ikey = "k-" + h.tok(16)
    body = d.minimal("preferences")
    path = d.path(g["id"], "preferences")
    first = keyed(api, path, body, ikey)
    assert first.status == 201, first
    with db.unchanged():
        again = keyed(api, path, body, ikey)
    assert again.status == 201 and again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len(d.list_all(api, g["id"], "preferences")) == 1


def test_same_key_with_another_request_is_422_and_stores_nothing(api, db, make_guest):
    ikey = "k-" + h.tok(16)
    first = keyed(api, "/v1/guests", {"family_name": "Idem" + h.tok(6).capitalize()}, ikey)
    assert first.status == 201
    with db.unchanged():
        r = keyed(api, "/v1/guests", {"family_name": "Other" + h.tok(6).capitalize()}, ikey)
        h.assert_problem(r, 422, "invalid-field", fields=["Idempotency-Key"])
    # another route is another request too
    g = make_guest()
    with db.unchanged():
        r = keyed(api, d.path(g["id"], "preferences"), d.minimal("preferences"), ikey)
        h.assert_problem(r, 422, "invalid-field", fields=["Idempotency-Key"])


def test_malformed_keys_are_400_and_store_nothing(api, db):
    for bad in ("", "a b", "x" * 256, "caf\u00e9", "tab\tin"):
        with db.unchanged():
            r = api("POST", "/v1/guests", key="frontdesk", body={"family_name": "Bad"},
                    headers={"Idempotency-Key": bad})
            h.assert_problem(r, 400, "bad-request", fields=["Idempotency-Key"])
    r = keyed(api, "/v1/guests", {"family_name": "Long" + h.tok(4)}, "x" * 255)
    assert r.status in (201, 422), r  # 255 characters are allowed (422 if an earlier run used it)


def test_requests_refused_before_or_during_execution_store_nothing(api, db):
    ikey = "k-" + h.tok(16)
    with db.unchanged():
        r = api("POST", "/v1/guests", key="marketing", body={"family_name": "X"}, headers={"Idempotency-Key": ikey})
        h.assert_problem(r, 403)
        r = api("POST", "/v1/guests", key="frontdesk", body={"family_name": ""}, headers={"Idempotency-Key": ikey})
        h.assert_problem(r, 422)
        r = api("POST", d.path("00000000-0000-4000-8000-000000000000", "preferences"), key="frontdesk",
                body=d.minimal("preferences"), headers={"Idempotency-Key": ikey})
        h.assert_problem(r, 404)
    # nothing was kept, so the key is still free for a request that succeeds
    assert keyed(api, "/v1/guests", {"family_name": "Free" + h.tok(6)}, ikey).status == 201


def test_keys_belong_to_one_api_key(api, db):
    ikey = "k-" + h.tok(16)
    a = keyed(api, "/v1/guests", {"family_name": "Mine" + h.tok(6)}, ikey, key="frontdesk")
    b = keyed(api, "/v1/guests", {"family_name": "Yours" + h.tok(6)}, ikey, key="admin")
    assert a.status == 201 and b.status == 201, (a, b)
    assert a.json()["id"] != b.json()["id"]
    assert b.headers.get("Idempotent-Replayed") is None
    assert stored_keys(db, ikey) == 2


def test_a_new_api_key_is_not_replayed_with_its_secret(api, db):
    ikey = "k-" + h.tok(16)
    body = {"name": "idem-" + h.tok(6), "role": "ops"}
    first = keyed(api, "/v1/api-keys", body, ikey, key="admin")
    assert first.status == 201 and first.json()["key"].startswith("gdk_")
    assert db.scalar(f"SELECT body IS NULL FROM idempotency_key WHERE key = '{ikey}'") == "t"
    with db.unchanged():
        again = api("POST", "/v1/api-keys", key="admin", body=body, headers={"Idempotency-Key": ikey})
        p = h.assert_problem(again, 409, "conflict")
    assert first.headers["Location"] in p["detail"]
    assert first.json()["key"] not in again.body.decode()
    api("DELETE", first.headers["Location"], key="admin")


def test_keys_expire_after_their_lifetime(api, db):
    ikey = "k-" + h.tok(16)
    body = {"family_name": "Expiring" + h.tok(6)}
    first = keyed(api, "/v1/guests", body, ikey)
    old = "k-" + h.tok(16)
    assert keyed(api, "/v1/guests", {"family_name": "Old" + h.tok(6)}, old).status == 201
    db.rows(f"UPDATE idempotency_key SET created_at = now() - interval '25 hours' WHERE key IN ('{ikey}', '{old}')")
    # past 24 h the key is free again: the same request is executed again, not replayed
    again = keyed(api, "/v1/guests", body, ikey)
    assert again.status == 201 and again.headers.get("Idempotent-Replayed") is None
    assert again.json()["id"] != first.json()["id"]
    # and keyed writes expire old answers as they go
    assert stored_keys(db, old) == 0
    assert stored_keys(db, ikey) == 1


# ---------------------------------------------------------------- conditional requests


def test_if_none_match_on_a_guest_and_a_section_item(api, make_guest):
    g = make_guest()
    item = d.create(api, g["id"], "preferences")
    for path in (f"/v1/guests/{g['id']}", d.path(g["id"], "preferences", item["id"])):
        r = api("GET", path, key="frontdesk")
        etag = r.headers["ETag"]
        for header in (etag, "W/" + etag, '"999", ' + etag, "*"):
            nm = api("GET", path, key="frontdesk", headers={"If-None-Match": header})
            assert nm.status == 304 and nm.body == b"", (header, nm)
            assert nm.headers.get("ETag") == etag
        other = api("GET", path, key="frontdesk", headers={"If-None-Match": '"999"'})
        assert other.status == 200 and other.json() == r.json()


def test_twenty_parallel_patches_with_one_etag_one_wins(api, make_guest, db):
    g = make_guest()
    etag = api("GET", f"/v1/guests/{g['id']}", key="frontdesk").headers["ETag"]
    answers = parallel(20, lambda i: api("PATCH", f"/v1/guests/{g['id']}", key="frontdesk",
                                         body={"given_name": f"Racer{i}"}, headers={"If-Match": etag}))
    statuses = sorted(r.status for r in answers)
    assert statuses == [200] + [412] * 19, statuses
    for r in answers:
        if r.status == 412:
            h.assert_problem(r, 412, "precondition-failed")
    winner = next(r for r in answers if r.status == 200).json()
    assert api("GET", f"/v1/guests/{g['id']}", key="frontdesk").json()["given_name"] == winner["given_name"]
    assert winner["version"] == g["version"] + 1


# ---------------------------------------------------------------- audit trail


def history(api, gid, key="frontdesk", limit=None):
    items, cursor = [], None
    for _ in range(100):
        q = f"?limit={limit}" if limit else "?limit=500"
        if cursor:
            q += "&cursor=" + cursor
        r = api("GET", f"/v1/guests/{gid}/history{q}", key=key)
        assert r.status == 200, r
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return items
    raise AssertionError("history does not end")


def test_history_records_who_did_what(api, make_guest):
    g = make_guest(email="before@example.com", ethnicity="Secret-Ethnicity", notes="Secret note one")
    p = api("PATCH", f"/v1/guests/{g['id']}", key="frontdesk",
            body={"email": "after@example.com", "notes": "Secret note two", "given_name": "Ann"})
    assert p.status == 200, p
    assert api("DELETE", f"/v1/guests/{g['id']}", key="frontdesk").status == 204
    assert api("POST", f"/v1/guests/{g['id']}/restore", key="ops").status == 200
    pref = d.create(api, g["id"], "preferences")

    events = history(api, g["id"])
    assert [(e["action"], e["entity"]) for e in events] == [
        ("created", "preference"), ("restored", "guest"), ("deleted", "guest"), ("updated", "guest"),
        ("created", "guest")]
    assert events[0]["entity_id"] == pref["id"]
    assert [e["actor"] for e in events] == ["test-frontdesk", "test-ops", "test-frontdesk", "test-frontdesk",
                                            "test-frontdesk"]
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids, reverse=True)

    updated = events[3]
    assert updated["request_id"] == p.headers["X-Request-Id"]
    assert updated["changes"] == [
        {"field": "email", "before": "before@example.com", "after": "after@example.com"},
        {"field": "given_name", "before": None, "after": "Ann"},
        {"field": "notes", "changed": True}]
    created = {c["field"]: c for c in events[4]["changes"]}
    assert created["email"] == {"field": "email", "before": None, "after": "before@example.com"}
    assert created["ethnicity"] == {"field": "ethnicity", "changed": True}
    assert created["notes"] == {"field": "notes", "changed": True}
    text = api("GET", f"/v1/guests/{g['id']}/history", key="ops").body.decode()
    for secret in ("Secret-Ethnicity", "Secret note"):
        assert secret not in text

    # pages of 2 give the same events
    assert history(api, g["id"], limit=2) == events
    # a deleted guest's history stays readable; an unknown one is 404
    assert api("DELETE", f"/v1/guests/{g['id']}", key="frontdesk").status == 204
    assert history(api, g["id"])[0]["action"] == "deleted"
    h.assert_problem(api("GET", "/v1/guests/00000000-0000-4000-8000-000000000000/history", key="ops"), 404)
    h.assert_problem(api("GET", f"/v1/guests/{g['id']}/history?cursor=bogus", key="ops"), 400)


def test_a_change_of_external_references_is_recorded(api, make_guest):
    g = make_guest()
    r = api("PATCH", f"/v1/guests/{g['id']}", key="frontdesk",
            body={"external_refs": [{"system": "pms-" + h.tok(6), "id": "R-1"}]})
    assert r.status == 200, r
    last = history(api, g["id"])[0]
    assert (last["action"], last["changes"]) == ("updated", [{"field": "external_refs", "changed": True}])


def test_a_patch_that_changes_nothing_records_nothing(api, make_guest):
    g = make_guest(given_name="Same")
    assert api("PATCH", f"/v1/guests/{g['id']}", key="frontdesk", body={"given_name": "Same"}).status == 200
    assert [e["action"] for e in history(api, g["id"])] == ["created"]


def test_audit_rows_are_never_changed_or_deleted(api, db, make_guest):
    g = make_guest()
    for sql in (f"UPDATE audit_event SET actor = 'mallory' WHERE guest_id = '{g['id']}'",
                f"DELETE FROM audit_event WHERE guest_id = '{g['id']}'"):
        try:
            db.rows(sql)
        except AssertionError as e:
            assert "never changed or deleted" in str(e)
        else:
            raise AssertionError(f"{sql} succeeded")
    assert db.scalar(f"SELECT string_agg(actor, ',') FROM audit_event WHERE guest_id = '{g['id']}'") == "test-frontdesk"


# ---------------------------------------------------------------- change feed


def feed_tail(api):
    after = None
    for _ in range(1000):
        r = api("GET", "/v1/changes?limit=500" + (f"&after={after}" if after else ""), key="ops")
        assert r.status == 200, r
        if not r.json()["items"]:
            return after
        after = r.json()["next_after"]
    raise AssertionError("the feed does not end")


def feed_after(api, after):
    r = api("GET", "/v1/changes?limit=500" + (f"&after={after}" if after else ""), key="frontdesk")
    assert r.status == 200, r
    return r.json()["items"], r.json()["next_after"]


def test_feed_lists_changes_in_order(api, make_guest):
    start = feed_tail(api)
    g = make_guest()
    assert api("PATCH", f"/v1/guests/{g['id']}", key="frontdesk", body={"given_name": "Fed"}).status == 200
    c = d.create(api, g["id"], "complaints")
    pref = d.create(api, g["id"], "preferences")
    items, nxt = feed_after(api, start)
    mine = [(e["type"], e["entity"], e["entity_id"], e["data"].get("action")) for e in items if e["guest_id"] == g["id"]]
    assert ("created", "guest", g["id"], None) == mine[0]
    assert ("updated", "guest", g["id"], None) in mine
    assert ("complaint", "complaint", c["id"], "created") in mine
    assert ("updated", "preference", pref["id"], "created") in mine
    assert nxt == items[-1]["cursor"]
    assert feed_after(api, nxt) == ([], nxt)
    for bad in ("x", "1", "1-", "-1", "1-2-3", "99999999999999999999-1"):
        h.assert_problem(api("GET", f"/v1/changes?after={bad}", key="ops"), 400, fields=["after"])


def test_feed_never_skips_a_transaction_that_commits_late(api, db, db_url):
    start = feed_tail(api)
    early = "FeedEarly" + h.tok(6).capitalize()
    # the held transaction takes its event id (and transaction id) first, but commits last
    held = h.HeldTransaction(db_url, f"INSERT INTO guest (family_name) VALUES ('{early}')")
    try:
        late = api("POST", "/v1/guests", key="frontdesk", body={"family_name": "FeedLate" + h.tok(6)})
        assert late.status == 201
        late_id = late.json()["id"]
        # the later commit is not shown yet: showing it would move the consumer past the held one
        items, pos = feed_after(api, start)
        assert late_id not in {e["guest_id"] for e in items}
    finally:
        held.commit()
    early_id = db.scalar(f"SELECT id FROM guest WHERE family_name = '{early}'")
    items, _ = feed_after(api, pos)
    order = [e["guest_id"] for e in items if e["type"] == "created" and e["guest_id"] in (early_id, late_id)]
    assert order == [early_id, late_id]
