"""Duplicates, merge and its undo, the data-subject export and erasure (issue 6; openapi/openapi.yaml,
GET /v1/guests/{id}/duplicates, POST /v1/guests/{id}/merge, POST /v1/merges/{merge_id}/undo,
GET /v1/guests/{id}/export, DELETE /v1/guests/{id}?erase=true)."""

import concurrent.futures
import json
import random

import pytest

import gd_dossier as d
import gd_helpers as h

MISSING = "00000000-0000-4000-8000-000000000000"


def phone():
    return "+4930" + h.digits(8)


def birth():
    return f"19{random.randint(10, 99)}-{random.randint(1, 12):02d}-{random.randint(1, 28):02d}"


def get_guest(api, gid, key="frontdesk"):
    return api("GET", f"/v1/guests/{gid}", key=key)


def merge(api, survivor, source, dry_run=None, key="frontdesk", headers=None):
    body = {"source_id": source}
    if dry_run is not None:
        body["dry_run"] = dry_run
    return api("POST", f"/v1/guests/{survivor}/merge", key=key, body=body, headers=headers)


def owners(db, table, ids):
    if not ids:
        return {}
    arr = ",".join(f"'{i}'" for i in ids)
    return dict(db.rows(f"SELECT id::text, guest_id::text FROM {table} WHERE id IN ({arr})"))


# ---------------------------------------------------------------- duplicates


def test_duplicates_reasons_scores_and_order(api, make_guest):
    tok = h.tok(8).capitalize()
    born = birth()
    mail = f"anna.{tok.lower()}@example.com"
    tel = phone()
    doc = {"type": "passport", "number": "P" + h.digits(8), "country": "DE"}
    me = make_guest(family_name=f"Müller{tok}", given_name="Anna", birth_date=born, email=mail, phone=tel,
                    id_document=doc)
    same_name = make_guest(family_name=f"MULLER{tok}", given_name="anna", birth_date=born)
    same_mail = make_guest(family_name="Other" + h.tok(6), email=mail.upper())
    same_phone = make_guest(family_name="Other" + h.tok(6), phone=tel)
    same_doc = make_guest(family_name="Other" + h.tok(6), id_document=dict(doc))
    similar = make_guest(family_name=f"Muller{tok}x", given_name="Ana", birth_date=born)
    everything = make_guest(family_name=f"Muller{tok}", given_name="Anna", birth_date=born, email=mail,
                            phone=tel, id_document=dict(doc))
    # not candidates: another country's document, same name but another birth date, a deleted twin
    make_guest(family_name="Other" + h.tok(6), id_document=dict(doc, country="FR"))
    make_guest(family_name=f"Müller{tok}", given_name="Anna", birth_date="1901-01-01" if born != "1901-01-01" else "1902-01-01")
    gone = make_guest(family_name=f"Müller{tok}", given_name="Anna", birth_date=born, email=mail)
    assert api("DELETE", f"/v1/guests/{gone['id']}", key="frontdesk").status == 204

    for role in ("frontdesk", "ops", "admin"):
        r = api("GET", f"/v1/guests/{me['id']}/duplicates", key=role)
        assert r.status == 200, r
    items = r.json()["items"]
    got = {i["id"]: (i["score"], i["reasons"]) for i in items}
    assert got == {
        everything["id"]: (100, ["same_id_document", "same_name_and_birth_date", "same_email", "same_phone"]),
        same_doc["id"]: (60, ["same_id_document"]),
        same_name["id"]: (50, ["same_name_and_birth_date"]),
        same_mail["id"]: (40, ["same_email"]),
        same_phone["id"]: (30, ["same_phone"]),
        similar["id"]: (20, ["similar_name_and_birth_date"]),
    }, items
    assert [i["id"] for i in items] == [everything["id"], same_doc["id"], same_name["id"], same_mail["id"],
                                        same_phone["id"], similar["id"]]
    assert items[0]["family_name"] == everything["family_name"] and items[0]["email"] == mail


def test_duplicates_capped_at_20_best_first(api, make_guest):
    tel = phone()
    me = make_guest(phone=tel)
    twins = [make_guest(phone=tel)["id"] for _ in range(21)]
    best = make_guest(phone=tel, family_name=me["family_name"])  # no birth date: the phone only
    mail = f"cap.{h.tok(8)}@example.com"
    api("PATCH", f"/v1/guests/{me['id']}", key="frontdesk", body={"email": mail},
        headers={"Content-Type": "application/merge-patch+json"})
    api("PATCH", f"/v1/guests/{best['id']}", key="frontdesk", body={"email": mail},
        headers={"Content-Type": "application/merge-patch+json"})
    items = api("GET", f"/v1/guests/{me['id']}/duplicates", key="frontdesk").json()["items"]
    assert len(items) == 20
    assert items[0]["id"] == best["id"] and items[0]["score"] == 70
    rest = [i["id"] for i in items[1:]]
    assert rest == sorted(twins)[:19], "equal scores go by id"


def test_duplicates_none_and_unknown(api, make_guest):
    g = make_guest(family_name="Lonely" + h.tok(10))
    r = api("GET", f"/v1/guests/{g['id']}/duplicates", key="frontdesk")
    assert r.status == 200 and r.json() == {"items": []}, r
    for bad in (MISSING, "nope", "1"):
        h.assert_problem(api("GET", f"/v1/guests/{bad}/duplicates", key="frontdesk"), 404, "not-found")


# ---------------------------------------------------------------- merge


def dossier(api, db, make_guest, **fields):
    """A guest with one of each section, a stay linked from a charge and a complaint, an external ref."""
    g = make_guest(external_refs=[{"system": "pms", "id": "M-" + h.tok(10)}], **fields)
    gid = g["id"]
    stay = d.stay(api, gid, "2024-04-01", nights=3)
    rows = {
        "stay": [stay["id"]],
        "consumption": [d.charge(api, gid, "2024-04-02T19:00:00Z", amount="80.00", stay_id=stay["id"],
                                       payment_status="paid")["id"]],
        "complaint": [d.complaint(api, gid, stay_id=stay["id"], status="resolved")["id"]],
        "special_date": [d.create(api, gid, "special-dates", kind="anniversary", date="2010-06-01")["id"]],
        "preference": [d.create(api, gid, "preferences", category="dining", key="shared-" + gid[:8],
                                value="mine")["id"]],
    }
    return g, rows


def test_merge_dry_run_then_merge_then_undo(api, db, make_guest):
    born = birth()
    survivor = make_guest(family_name="Keep" + h.tok(6), notes="survivor notes")
    source, moved = dossier(api, db, make_guest, phone=phone(), birth_date=born, notes="source notes",
                            nationality="DE")
    sid, tid = survivor["id"], source["id"]
    # a preference both have: the survivor's stays, the source's stays on the source
    clash = "pillow-" + h.tok(6)
    mine = d.create(api, sid, "preferences", category="room", key=clash, value="firm")
    theirs = d.create(api, tid, "preferences", category="room", key=clash, value="soft")
    all_rows = {t: list(ids) for t, ids in moved.items()}
    all_rows["preference"] += [p["id"] for p in d.preferences(api, tid) if p["id"] not in moved["preference"]
                               and p["id"] != theirs["id"]]
    before_source, before_survivor = db.guest_row(tid), db.guest_row(sid)

    with db.unchanged():
        r = merge(api, sid, tid, dry_run=True)
        assert r.status == 200, r
    preview = r.json()
    assert preview["dry_run"] is True and preview["merge_id"] is None and preview["merged_at"] is None
    assert preview["moved"] == {"stays": 1, "consumptions": 1, "complaints": 1, "special_dates": 1,
                                "preferences": len(all_rows["preference"]), "external_refs": 1}, preview
    assert preview["kept_on_source"] == {"preferences": 1}
    assert preview["filled"] == ["birth_date", "nationality", "phone"], preview
    assert db.guest_row(tid) == before_source and db.guest_row(sid) == before_survivor

    r = merge(api, sid, tid, headers={"If-Match": f'"{survivor["version"]}"'})
    assert r.status == 200, r
    done = r.json()
    assert done["dry_run"] is False and done["merge_id"] and done["merged_at"]
    assert {k: v for k, v in done.items() if k not in ("merge_id", "merged_at", "dry_run")} == \
        {k: v for k, v in preview.items() if k not in ("merge_id", "merged_at", "dry_run")}
    for table, ids in all_rows.items():
        assert set(owners(db, table, ids).values()) == {sid}, (table, owners(db, table, ids))
    assert owners(db, "preference", [theirs["id"]]) == {theirs["id"]: tid}
    assert d.pref(api, sid, "room", clash)["value"] == "firm"

    card = d.card(api, sid)
    assert card["phone"] == source["phone"] and card["birth_date"] == born and card["nationality"] == "DE"
    assert card["notes"] == "survivor notes" and card["version"] == survivor["version"] + 1
    assert card["stats"]["stays"] == 1 and card["stats"]["complaints"] == 1, card["stats"]
    assert source["external_refs"][0] in card["external_refs"]
    p = h.assert_problem(get_guest(api, tid), 404, "not-found")
    assert p["merged_into"] == sid, p
    for method, path, body in (("GET", f"/v1/guests/{tid}/stays", None),
                               ("POST", f"/v1/guests/{tid}/special-dates", d.minimal("special-dates")),
                               ("GET", f"/v1/guests/{tid}/loyalty", None),
                               ("GET", f"/v1/guests/{tid}/duplicates", None)):
        p = h.assert_problem(api(method, path, key="frontdesk", body=body), 404, "not-found")
        assert p["merged_into"] == sid, (path, p)
    # a merged guest comes back only by the undo
    p = h.assert_problem(api("POST", f"/v1/guests/{tid}/restore", key="ops"), 409, "conflict")
    assert p["merged_into"] == sid
    assert db.scalar(f"SELECT count(*) FROM merge_journal WHERE id = '{done['merge_id']}'") == "1"

    # after the merge: a new stay on the survivor stays there; a filled field changed since is kept
    later = d.stay(api, sid, "2025-01-10", nights=1)
    r = api("PATCH", f"/v1/guests/{sid}", key="frontdesk", body={"nationality": "AT"},
            headers={"Content-Type": "application/merge-patch+json"})
    assert r.status == 200, r

    r = api("POST", f"/v1/merges/{done['merge_id']}/undo", key="frontdesk")
    assert r.status == 200, r
    undo = r.json()
    assert undo["moved_back"] == done["moved"], undo
    assert undo["unfilled"] == ["birth_date", "phone"] and undo["kept"] == ["nationality"], undo
    for table, ids in all_rows.items():
        assert set(owners(db, table, ids).values()) == {tid}, (table, owners(db, table, ids))
    assert owners(db, "stay", [later["id"]]) == {later["id"]: sid}
    card = d.card(api, sid)
    assert card["phone"] is None and card["birth_date"] is None and card["nationality"] == "AT"
    assert card["stats"]["stays"] == 1 and card["stats"]["complaints"] == 0, card["stats"]
    assert card["external_refs"] == []
    back = d.card(api, tid)
    assert back["external_refs"] == source["external_refs"] and back["stats"]["stays"] == 1
    assert back["phone"] == source["phone"]

    with db.unchanged():
        h.assert_problem(api("POST", f"/v1/merges/{done['merge_id']}/undo", key="frontdesk"), 409, "conflict")


def test_merge_bad_input_changes_nothing(api, db, make_guest):
    a, b = make_guest(), make_guest()
    gone = make_guest()
    assert api("DELETE", f"/v1/guests/{gone['id']}", key="frontdesk").status == 204
    before = (db.guest_row(a["id"]), db.guest_row(b["id"]))
    with db.unchanged():
        h.assert_problem(merge(api, a["id"], a["id"]), 422, "invalid-field", fields=["/source_id"])
        h.assert_problem(merge(api, a["id"], MISSING), 422, "invalid-field", fields=["/source_id"])
        h.assert_problem(merge(api, a["id"], gone["id"]), 422, "invalid-field", fields=["/source_id"])
        h.assert_problem(merge(api, MISSING, b["id"]), 404, "not-found")
        h.assert_problem(merge(api, gone["id"], b["id"]), 404, "not-found")
        h.assert_problem(merge(api, "x", b["id"]), 404, "not-found")
        for body, fields in (({}, ["/source_id"]), ({"source_id": "nope"}, ["/source_id"]),
                             ({"source_id": 5}, ["/source_id"]),
                             ({"source_id": b["id"], "dry_run": "yes"}, ["/dry_run"]),
                             ({"source_id": b["id"], "survivor": a["id"]}, ["/survivor"]),
                             ([], [""])):
            r = api("POST", f"/v1/guests/{a['id']}/merge", key="frontdesk", body=body)
            h.assert_problem(r, 422, "invalid-field", fields=fields)
        for dry_run in (None, True):
            r = merge(api, a["id"], b["id"], dry_run=dry_run, headers={"If-Match": f'"{a["version"] + 5}"'})
            h.assert_problem(r, 412)
        r = api("POST", f"/v1/guests/{a['id']}/merge", key="frontdesk", body="{",
                headers={"Content-Type": "application/json"})
        assert r.status == 400, r
        for bad in (MISSING, "nope"):
            h.assert_problem(api("POST", f"/v1/merges/{bad}/undo", key="frontdesk"), 404, "not-found")
    assert (db.guest_row(a["id"]), db.guest_row(b["id"])) == before


def test_undo_refused_when_survivor_gone(api, db, make_guest):
    a, b = make_guest(), make_guest()
    r = merge(api, a["id"], b["id"])
    assert r.status == 200, r
    assert api("DELETE", f"/v1/guests/{a['id']}", key="frontdesk").status == 204
    with db.unchanged():
        h.assert_problem(api("POST", f"/v1/merges/{r.json()['merge_id']}/undo", key="frontdesk"), 409, "conflict")


def test_merge_fill_rules_legal_hold_and_consent(api, make_guest):
    survivor = make_guest(marketing_consent=False, email=f"keep.{h.tok(8)}@example.com")
    source = make_guest(legal_hold=True, marketing_consent=True, vip_code="GOLD-1",
                        email=f"other.{h.tok(8)}@example.com", address={"city": "Berlin", "country": "DE"})
    r = merge(api, survivor["id"], source["id"])
    assert r.status == 200, r
    assert r.json()["filled"] == ["address", "legal_hold", "vip_code"], r.json()
    card = d.card(api, survivor["id"])
    assert card["legal_hold"] is True and card["vip_code"] == "GOLD-1" and card["address"]["city"] == "Berlin"
    assert card["marketing_consent"] is False and card["email"] == survivor["email"]
    r = api("POST", f"/v1/merges/{r.json()['merge_id']}/undo", key="admin")
    assert r.status == 200 and r.json()["unfilled"] == ["address", "legal_hold", "vip_code"], r
    card = d.card(api, survivor["id"])
    assert card["legal_hold"] is False and card["vip_code"] is None and card["address"] is None


def test_opposite_merges_at_once_do_not_deadlock(api, db, make_guest):
    for _ in range(5):
        a, b = make_guest(), make_guest()
        d.stay(api, a["id"], "2024-02-01")
        d.stay(api, b["id"], "2024-03-01")
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            rs = list(pool.map(lambda pair: merge(api, *pair), [(a["id"], b["id"]), (b["id"], a["id"])]))
        assert sorted(r.status for r in rs) == [200, 404], rs
        won = next(r for r in rs if r.status == 200).json()
        # the other one waited for the locks and then found its survivor merged away
        lost = h.assert_problem(next(r for r in rs if r.status == 404), 404, "not-found")
        assert lost["merged_into"] == won["survivor_id"], lost
        live = db.rows(f"SELECT id::text FROM guest WHERE id IN ('{a['id']}', '{b['id']}') AND deleted_at IS NULL")
        assert live == [(won["survivor_id"],)]
        assert db.scalar(f"SELECT count(*) FROM stay WHERE guest_id = '{won['survivor_id']}'") == "2"


def test_undo_refused_when_a_moved_row_was_linked_since(api, db, make_guest):
    a, b = make_guest(), make_guest()
    mine = d.stay(api, a["id"], "2024-05-01")
    charge = d.charge(api, b["id"], "2024-01-01T10:00:00Z", payment_status="paid")
    m = merge(api, a["id"], b["id"]).json()
    d.patch(api, a["id"], "consumptions", charge["id"], {"stay_id": mine["id"]})
    before = (db.guest_row(a["id"]), db.guest_row(b["id"]))
    with db.unchanged():
        p = h.assert_problem(api("POST", f"/v1/merges/{m['merge_id']}/undo", key="frontdesk"), 409, "conflict")
        assert "linked" in p["detail"], p
    assert (db.guest_row(a["id"]), db.guest_row(b["id"])) == before
    assert db.scalar(f"SELECT undone_at IS NULL FROM merge_journal WHERE id = '{m['merge_id']}'") == "t"


def test_undo_refused_when_a_moved_preference_clashes(api, db, make_guest):
    a, b = make_guest(), make_guest()
    own = d.create(api, a["id"], "preferences", category="room", key="floor", value="high")
    kept = d.create(api, b["id"], "preferences", category="room", key="floor", value="low")
    moved = d.create(api, b["id"], "preferences", category="room", key="view", value="sea")
    m = merge(api, a["id"], b["id"]).json()
    assert m["kept_on_source"] == {"preferences": 1}
    assert api("DELETE", f"/v1/guests/{a['id']}/preferences/{own['id']}", key="frontdesk").status == 204
    d.patch(api, a["id"], "preferences", moved["id"], {"key": "floor"})
    with db.unchanged():
        p = h.assert_problem(api("POST", f"/v1/merges/{m['merge_id']}/undo", key="frontdesk"), 409, "conflict")
        assert "preference" in p["detail"], p
    assert owners(db, "preference", [kept["id"], moved["id"]]) == {kept["id"]: b["id"], moved["id"]: a["id"]}


def test_inferred_preferences_follow_the_history(api, db, make_guest):
    a, b = make_guest(), make_guest()
    d.stay(api, a["id"], "2024-01-05", room_type="deluxe", adults=1)
    d.stay(api, a["id"], "2024-02-05", room_type="deluxe", adults=2)
    d.stay(api, b["id"], "2024-03-05", room_type="deluxe", adults=3)
    assert d.pref(api, a["id"], "room", "room_type") is None
    m = merge(api, a["id"], b["id"]).json()
    p = d.pref(api, a["id"], "room", "room_type")
    assert p is not None and (p["value"], p["source"]) == ("deluxe", "inferred"), d.preferences(api, a["id"])
    r = api("POST", f"/v1/merges/{m['merge_id']}/undo", key="frontdesk")
    assert r.status == 200, r
    assert d.pref(api, a["id"], "room", "room_type") is None
    assert d.pref(api, b["id"], "room", "room_type") is None


def test_erasing_a_merged_source_forgets_its_merge(api, db, make_guest):
    a, b = make_guest(), make_guest()
    m = merge(api, a["id"], b["id"]).json()
    assert api("DELETE", f"/v1/guests/{b['id']}?erase=true", key="admin").status == 204
    h.assert_problem(api("POST", f"/v1/merges/{m['merge_id']}/undo", key="frontdesk"), 404, "not-found")
    assert d.card(api, a["id"])["id"] == a["id"]


# ---------------------------------------------------------------- export


def test_export_holds_everything(api, db, make_guest):
    g, rows = dossier(api, db, make_guest, ethnicity="Han", id_document={"type": "passport", "number": "X1"},
                      marketing_consent=True)
    other = make_guest()
    m = merge(api, g["id"], other["id"]).json()
    r = api("GET", f"/v1/guests/{g['id']}/export", key="admin")
    assert r.status == 200, r
    doc = r.json()
    assert doc["guest"]["id"] == g["id"] and doc["guest"]["ethnicity"] == "Han"
    assert doc["guest"]["id_document"]["number"] == "X1"
    assert doc["consent"] == {"marketing_consent": True}
    assert doc["deletion"]["deleted"] is False
    assert [s["id"] for s in doc["stays"]] == rows["stay"]
    assert [c["id"] for c in doc["consumptions"]] == rows["consumption"]
    assert [c["id"] for c in doc["complaints"]] == rows["complaint"]
    assert [s["id"] for s in doc["special_dates"]] == rows["special_date"]
    assert rows["preference"][0] in [p["id"] for p in doc["preferences"]]
    assert doc["tier_changes"] and doc["loyalty"]["tier"]
    assert [(x["merge_id"], x["role"]) for x in doc["merges"]] == [(m["merge_id"], "survivor")]
    # the merged source is exported too, with its deletion marks
    r = api("GET", f"/v1/guests/{other['id']}/export", key="admin")
    assert r.status == 200, r
    assert r.json()["deletion"] | {"deleted_at": None} == {
        "deleted": True, "deleted_at": None, "reason": "merge", "purge_run_id": None, "merged_into": g["id"],
        "legal_hold": False}
    for bad in (MISSING, "nope"):
        h.assert_problem(api("GET", f"/v1/guests/{bad}/export", key="admin"), 404, "not-found")


def test_export_holds_the_audit_trail(api, make_guest):
    g = make_guest(notes="private")
    r = api("PATCH", f"/v1/guests/{g['id']}", key="frontdesk", body={"given_name": "Ana", "notes": "other"})
    assert r.status == 200, r
    r = api("GET", f"/v1/guests/{g['id']}/export", key="admin")
    assert r.status == 200, r
    doc = r.json()
    history = api("GET", f"/v1/guests/{g['id']}/history", key="ops").json()["items"]
    assert [e["action"] for e in doc["history"]] == ["created", "updated"], doc["history"]
    assert doc["history"] == list(reversed(history)), "the export shows the same trail as /history, oldest first"
    changed = {c["field"]: c for c in doc["history"][1]["changes"]}
    assert changed["given_name"]["after"] == "Ana" and changed["notes"] == {"field": "notes", "changed": True}
    assert "private" not in r.body.decode() and "private" not in json.dumps(doc["history"])


def test_merge_is_announced_in_the_change_feed(api, make_guest):
    after = None
    while True:
        r = api("GET", "/v1/changes?limit=500" + (f"&after={after}" if after else ""), key="ops")
        assert r.status == 200, r
        if not r.json()["items"]:
            break
        after = r.json()["next_after"]
    survivor, source = make_guest(), make_guest()
    m = merge(api, survivor["id"], source["id"])
    assert m.status in (200, 201), m
    r = api("GET", "/v1/changes?limit=500" + (f"&after={after}" if after else ""), key="frontdesk")
    merged = [e for e in r.json()["items"] if e["type"] == "merged"]
    assert len(merged) == 1, r.json()["items"]
    assert merged[0]["guest_id"] == source["id"] and merged[0]["data"] == {"merged_into": survivor["id"]}


# ---------------------------------------------------------------- erasure


def erase(api, gid, key="admin", headers=None):
    return api("DELETE", f"/v1/guests/{gid}?erase=true", key=key, headers=headers)


@pytest.mark.parametrize("blocker,field", [
    ("legal_hold", "legal_hold"), ("in_house", "in_house"), ("open_complaint", "open_complaint"),
    ("unpaid", "unpaid_charge"), ("pending", "unpaid_charge"), ("disputed", "unpaid_charge")])
def test_erasure_refused_with_reasons(api, db, make_guest, blocker, field):
    g = make_guest(legal_hold=blocker == "legal_hold")
    gid = g["id"]
    if blocker == "in_house":
        d.stay(api, gid, h.utc_today().isoformat(), nights=2, status="in_house")
    elif blocker == "open_complaint":
        d.complaint(api, gid, status="in_progress")
    elif blocker in ("unpaid", "pending", "disputed"):
        d.charge(api, gid, "2024-01-01T10:00:00Z", payment_status=blocker)
    before = db.guest_row(gid)
    with db.unchanged():
        h.assert_problem(erase(api, gid), 409, "conflict", fields=[field])
    assert db.guest_row(gid) == before


def test_erasure_lists_every_reason(api, db, make_guest):
    gid = make_guest(legal_hold=True)["id"]
    d.stay(api, gid, h.utc_today().isoformat(), nights=2, status="in_house")
    d.complaint(api, gid)
    d.charge(api, gid, "2024-01-01T10:00:00Z", payment_status="unpaid")
    with db.unchanged():
        h.assert_problem(erase(api, gid), 409, "conflict",
                         fields=["legal_hold", "in_house", "open_complaint", "unpaid_charge"])


def test_erasure_removes_everything_and_leaves_a_tombstone(api, db, make_guest):
    g, rows = dossier(api, db, make_guest)
    gid = g["id"]
    twin = make_guest()
    assert merge(api, gid, twin["id"]).status == 200
    d.charge(api, gid, "2024-01-02T10:00:00Z", payment_status="written_off")
    d.stay(api, gid, "2023-01-01", status="cancelled")
    with db.unchanged():
        h.assert_problem(erase(api, gid, key="frontdesk"), 403, "forbidden")
        h.assert_problem(api("DELETE", f"/v1/guests/{gid}?erase=maybe", key="admin"), 400)
        h.assert_problem(api("DELETE", f"/v1/guests/{gid}?purge=true", key="admin"), 400)
        h.assert_problem(erase(api, gid, headers={"If-Match": '"999"'}), 412)
        h.assert_problem(erase(api, MISSING), 404, "not-found")
        h.assert_problem(erase(api, "nope"), 404, "not-found")
    r = erase(api, gid)
    assert r.status == 204, r
    for guest in (gid, twin["id"]):
        assert db.scalar(f"SELECT count(*) FROM guest WHERE id = '{guest}'") == "0"
        assert db.scalar(f"SELECT reason || ' ' || (run_id IS NULL) FROM guest_tombstone WHERE guest_id = '{guest}'") \
            == "erasure true"
    for table, ids in rows.items():
        assert owners(db, table, ids) == {}, table
    for table in ("guest_stats", "guest_loyalty", "tier_change", "guest_external_ref"):
        assert db.scalar(f"SELECT count(*) FROM {table} WHERE guest_id = '{gid}'") == "0", table
    assert db.scalar(f"SELECT count(*) FROM merge_journal WHERE survivor_id = '{gid}'") == "0"
    h.assert_problem(get_guest(api, gid), 404, "not-found")
    h.assert_problem(erase(api, gid), 404, "not-found")
    h.assert_problem(api("GET", f"/v1/guests/{gid}/export", key="admin"), 404, "not-found")


def test_erase_false_is_the_soft_delete(api, db, make_guest):
    gid = make_guest()["id"]
    assert api("DELETE", f"/v1/guests/{gid}?erase=false", key="frontdesk").status == 204
    assert db.scalar(f"SELECT deleted_reason FROM guest WHERE id = '{gid}'") == "request"
    # a soft-deleted guest can still be erased
    assert erase(api, gid).status == 204
    assert db.scalar(f"SELECT count(*) FROM guest WHERE id = '{gid}'") == "0"
