"""The stored profile card (sql/0013): a GET stores the card it built and later GETs answer with it, until a
write changes a part of the card. Every kind of write retires the stored card; a write that commits while a
read is building the card keeps that read from storing it; the configuration and bulk statements retire every
card at once."""

import json
import threading
import time

import pytest

import gd_dossier as d
import gd_helpers as h
import gd_loyalty as L

pytestmark = pytest.mark.usefixtures("server_warm")

MARK = "served from the stored card"


def stored(db, gid):
    """(stamp, body is NULL) of the guest's stored card row, or None when there is none."""
    rows = db.rows(f"SELECT stamp, body IS NULL FROM guest_card WHERE guest_id = '{gid}'")
    return (int(rows[0][0]), rows[0][1] == "t") if rows else None


def mark_stored(db, gid):
    """Writes MARK into the stored body's notes, so that a GET shows whether it answered from storage."""
    n = db.scalar("WITH m AS (UPDATE guest_card SET body = jsonb_set(body::jsonb, '{notes}', "
                  f"to_jsonb('{MARK}'::text))::text WHERE guest_id = '{gid}' AND body IS NOT NULL RETURNING 1)"
                  " SELECT count(*) FROM m")
    assert n == "1", f"no stored card to mark for {gid}"


def stored_read(api, db, gid):
    """GET once to build and store, mark the stored body, and check the next GET answers with it."""
    first = d.card(api, gid)
    assert first.get("notes") != MARK
    mark_stored(db, gid)
    assert d.card(api, gid)["notes"] == MARK, "the second read did not answer with the stored card"
    return first


def test_second_read_answers_with_the_stored_card(api, db, make_guest):
    g = make_guest(notes="front desk note")
    first = stored_read(api, db, g["id"])
    assert first["notes"] == "front desk note"
    # the ETag is the guest's version either way
    r = api("GET", f"/v1/guests/{g['id']}", key="frontdesk")
    assert r.status == 200 and r.headers.get("ETag") == f'"{g["version"]}"', r
    # another role with the full view gets the same stored text
    assert d.card(api, g["id"], key="ops")["notes"] == MARK


def _patch_basic(api, gid):
    r = api("PATCH", f"/v1/guests/{gid}", key="frontdesk", body={"given_name": "Renamed"})
    assert r.status == 200, r
    return lambda c: c["given_name"] == "Renamed"


def _external_ref(api, gid):
    ref = {"system": "opera", "id": "R" + h.tok(8)}
    r = api("PATCH", f"/v1/guests/{gid}", key="frontdesk", body={"external_refs": [ref]})
    assert r.status == 200, r
    return lambda c: c["external_refs"] == [ref]


def _stay(api, gid):
    s = d.stay(api, gid, "2025-03-01", nights=2)
    return lambda c: [x["id"] for x in c["recent_stays"]] == [s["id"]] and c["stats"]["stays"] == 1


def _stay_changed(api, gid):
    s = d.stay(api, gid, "2025-03-01", nights=2)
    d.card(api, gid)  # store the card with the stay as it was
    d.patch(api, gid, "stays", s["id"], {"room_number": "1207"})
    return lambda c: c["recent_stays"][0]["room_number"] == "1207"


def _stay_deleted(api, gid):
    s = d.stay(api, gid, "2025-03-01", nights=2)
    d.card(api, gid)
    r = api("DELETE", d.path(gid, "stays", s["id"]), key="frontdesk")
    assert r.status == 204, r
    return lambda c: c["recent_stays"] == [] and c["stats"]["stays"] == 0


def _charge(api, gid):
    d.charge(api, gid, "2025-03-01T20:00:00Z", amount="42.50", payment_status="paid")
    return lambda c: c["stats"]["total_spend"] == "42.50"


def _complaint(api, gid):
    d.complaint(api, gid)
    return lambda c: c["stats"]["complaints"] == 1 and c["stats"]["open_complaints"] == 1


def _preference(api, gid):
    p = d.create(api, gid, "preferences", body=d.minimal("preferences"))
    return lambda c: [x["id"] for x in c["preferences"]] == [p["id"]]


def _special_date(api, gid):
    s = d.create(api, gid, "special-dates", body=d.minimal("special-dates"))
    return lambda c: [x["id"] for x in c["special_dates"]] == [s["id"]]


def _vip_code(api, gid):
    r = api("PATCH", f"/v1/guests/{gid}", key="frontdesk", body={"vip_code": "VIP-" + h.tok(6).upper()})
    assert r.status == 200, r
    return lambda c: c["loyalty"]["tier"] == "gold" and c["loyalty"]["tier_changes"][0]["reason"] == "vip_code"


WRITES = {"basic info": _patch_basic, "external refs": _external_ref, "new stay": _stay,
          "changed stay": _stay_changed, "deleted stay": _stay_deleted, "charge": _charge,
          "complaint": _complaint, "preference": _preference, "special date": _special_date,
          "vip code": _vip_code}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_every_write_retires_the_stored_card(api, db, make_guest, write):
    g = make_guest()
    stored_read(api, db, g["id"])
    shows = WRITES[write](api, g["id"])
    stamp, empty = stored(db, g["id"])
    assert empty, f"{write}: the stored card outlived the write"
    c = d.card(api, g["id"])
    assert c["notes"] != MARK and shows(c), f"{write}: the read after the write did not show it: {c}"
    assert stored(db, g["id"]) == (stamp, False), "the read after the write did not store the new card"
    assert d.card(api, g["id"]) == c


def test_merge_retires_both_cards(api, db, make_guest):
    survivor, source = make_guest(), make_guest()
    s = d.stay(api, source["id"], "2025-03-01", nights=2)
    stored_read(api, db, survivor["id"])
    stored_read(api, db, source["id"])
    r = api("POST", f"/v1/guests/{survivor['id']}/merge", key="frontdesk", body={"source_id": source["id"]})
    assert r.status == 200, r
    # the source's stay moved to the survivor: its card shows it, the source is gone
    c = d.card(api, survivor["id"])
    assert c["notes"] != MARK and [x["id"] for x in c["recent_stays"]] == [s["id"]], c
    r = api("GET", f"/v1/guests/{source['id']}", key="frontdesk")
    h.assert_problem(r, 404)
    assert r.json().get("merged_into") == survivor["id"], r


def test_configuration_change_retires_every_card(api, db, make_guest):
    g = make_guest()
    tier = stored_read(api, db, g["id"])["loyalty"]["tier"]

    def recolour(cfg):
        for t in cfg["tiers"]:
            if t["name"] == tier:
                t["colour"] = "#123456"
        return cfg

    with L.changed_config(api, recolour):
        c = d.card(api, g["id"])
        assert c["notes"] != MARK and c["loyalty"]["colour"] == "#123456", c["loyalty"]
    assert d.card(api, g["id"])["loyalty"]["colour"] != "#123456"


def test_soft_delete_and_erasure_take_the_card_away(api, db, make_guest):
    g = make_guest()
    stored_read(api, db, g["id"])
    r = api("DELETE", f"/v1/guests/{g['id']}", key="frontdesk")
    assert r.status == 204, r
    h.assert_problem(api("GET", f"/v1/guests/{g['id']}", key="frontdesk"), 404)
    r = api("DELETE", f"/v1/guests/{g['id']}?erase=true", key="admin")
    assert r.status == 204, r
    assert stored(db, g["id"]) is None, "an erased guest's card is still stored"


def wait_for_lock_waiter(db, deadline_s=10.0):
    """Until a session of guestd waits for a lock while storing a card (bounded)."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        n = db.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                      " AND query LIKE 'WITH card AS%'")
        if n != "0":
            return
        time.sleep(0.05)
    raise AssertionError("no card read came to wait for the held write")


@pytest.mark.parametrize("row_before", [True, False], ids=["stored-row", "no-row"])
def test_write_committed_during_a_build_keeps_that_build_from_being_stored(api, db, make_guest, row_before):
    g = make_guest(notes="before")
    gid = g["id"]
    d.card(api, gid)
    db.rows(f"UPDATE guest_card SET body = NULL, stamp = stamp + 1 WHERE guest_id = '{gid}'" if row_before
            else f"DELETE FROM guest_card WHERE guest_id = '{gid}'")
    w = h.HeldTransaction(db.url, "SET LOCAL guestd.actor = 'held-write';"
                          f" UPDATE guest SET notes = 'written meanwhile' WHERE id = '{gid}'")
    answers = []
    try:
        reader = threading.Thread(target=lambda: answers.append(api("GET", f"/v1/guests/{gid}", key="frontdesk")))
        reader.start()
        wait_for_lock_waiter(db)
        w.commit()
        reader.join(timeout=20)
    finally:
        w.close()
    assert answers and answers[0].status == 200, answers
    # the read's snapshot came before the write: it answers the card as it was, and must not store it
    assert answers[0].json()["notes"] == "before"
    assert stored(db, gid)[1], "a card built before a write was stored after it"
    assert d.card(api, gid)["notes"] == "written meanwhile"


def test_statement_over_many_guests_retires_every_card(api, db, make_guest):
    g = make_guest()
    family = "Bulk" + h.tok(8).capitalize()
    db.rows("BEGIN; SET LOCAL guestd.actor = 'bulk-test';"
            f" INSERT INTO guest (family_name) SELECT '{family}' FROM generate_series(1, 1001); COMMIT")
    try:
        stored_read(api, db, g["id"])
        epoch = int(db.scalar("SELECT card_epoch FROM settings"))
        db.rows("BEGIN; SET LOCAL guestd.actor = 'bulk-test';"
                f" UPDATE guest SET notes = 'bulk' WHERE family_name = '{family}'; COMMIT")
        assert int(db.scalar("SELECT card_epoch FROM settings")) == epoch + 1
        # no row per touched guest: the epoch retired them all
        assert db.scalar("SELECT count(*) FROM guest_card c JOIN guest g ON g.id = c.guest_id"
                         f" WHERE g.family_name = '{family}'") == "0"
        c = d.card(api, g["id"])
        assert c["notes"] != MARK, "a card stored before the epoch moved was answered"
        assert stored(db, g["id"])[1] is False
    finally:
        db.rows(f"BEGIN; SET LOCAL guestd.actor = 'bulk-test'; DELETE FROM guest WHERE family_name = '{family}';"
                " COMMIT")


def test_bulk_import_retires_the_cards_it_writes_to(api, db, make_guest):
    """POST /v1/guests/import writes set-based, over two writers: a guest it updates loses its
    stored card, and the next read shows the import's values."""
    ref = {"system": "pms", "id": "CARD-" + h.tok(8)}
    g = make_guest(external_refs=[ref])
    stored_read(api, db, g["id"])
    line = {"family_name": g["family_name"], "given_name": "Imported", "external_refs": [ref],
            "stays": [{"check_in": "2025-04-01", "check_out": "2025-04-03", "status": "completed"}]}
    r = api("POST", "/v1/guests/import", key="frontdesk", body=json.dumps(line) + "\n",
            headers={"Content-Type": "application/x-ndjson"})
    assert r.status == 200 and '"updated"' in r.body.decode(), r
    assert stored(db, g["id"])[1], "the import left the stored card in place"
    c = d.card(api, g["id"])
    assert c["notes"] != MARK and c["given_name"] == "Imported" and len(c["recent_stays"]) == 1, c
