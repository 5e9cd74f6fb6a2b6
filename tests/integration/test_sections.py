"""Dossier sections (stays, consumptions, preferences, special-dates, complaints): CRUD, lists, concurrency,
ownership, every validation rule (with nothing stored), money, preference uniqueness and the complaint workflow."""

import datetime
import threading
import urllib.parse
import uuid

import pytest

import gd_dossier as d
import gd_helpers as h

# after test_reconnect.py the session server may give one 503 per killed connection
pytestmark = pytest.mark.usefixtures("server_warm")

SECTIONS = d.SECTIONS


def now_utc():
    return datetime.datetime.now(datetime.timezone.utc)


# ---------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def owner(make_guest):
    """A guest whose items are only read or broken in this module (never changed successfully)."""
    return make_guest(notes="sections owner")


@pytest.fixture(scope="module")
def owner_stay(api, owner):
    return d.stay(api, owner["id"], "2024-06-01", nights=3)


@pytest.fixture(scope="module")
def other_guest(make_guest):
    return make_guest(notes="sections other")


@pytest.fixture(scope="module")
def other_stay(api, other_guest):
    return d.stay(api, other_guest["id"], "2024-07-01", nights=2)


@pytest.fixture(scope="module")
def owner_items(api, owner):
    """One item of each section of `owner`."""
    return {s: d.create(api, owner["id"], s) for s in SECTIONS}


def full_bodies(stay_id):
    return {
        "stays": {"check_in": "2025-03-01", "check_out": "2025-03-04", "status": "completed", "room_type": "deluxe",
                  "room_number": "1204", "booking_channel": "web", "purpose": "leisure", "adults": 2, "children": 1,
                  "rate_amount": "245.5", "currency": "EUR", "amenities_used": {"minibar": 2, "spa": 0},
                  "external_ref": "PMS-" + h.digits(6)},
        "consumptions": {"occurred_at": "2025-03-02T19:30:00Z", "category": "dining", "dining_type": "dinner",
                         "covers": 3, "amount": "100.00", "currency": "EUR", "discount_rate": 0.15,
                         "payment_method": "room_charge", "payment_status": "paid", "revenue": "80",
                         "stay_id": stay_id, "description": "Dinner for three"},
        "preferences": {"category": "reading", "key": "newspaper-" + h.tok(6), "value": "Le Monde", "source": "guest",
                        "note": "asked at check-in"},
        "special-dates": {"kind": "anniversary", "date": "2024-02-29", "label": "Wedding"},
        "complaints": {"received_at": "2025-03-03T08:00:00Z", "stay_id": stay_id, "category": "noise",
                       "severity": "high", "description": "Loud party\nnext door", "status": "open",
                       "resolution": None, "compensation_amount": "50", "compensation_currency": "EUR"},
    }


# what the server returns for the full bodies, where it differs from what was sent
FULL_EXPECTED = {
    "stays": {"rate_amount": "245.50", "nights": 3, "month": "2025-03"},
    "consumptions": {"occurred_at": "2025-03-02T19:30:00.000000Z", "discount_rate": "0.1500", "revenue": "80.00",
                     "per_person": "33.33"},
    "preferences": {"evidence": None},
    "special-dates": {},
    "complaints": {"received_at": "2025-03-03T08:00:00.000000Z", "compensation_amount": "50.00",
                   "feedback_score": None, "resolved_at": None},
}

DEFAULTS = {
    "stays": {"status": "reserved", "adults": 1, "children": 0, "amenities_used": {}, "room_type": None,
              "room_number": None, "booking_channel": None, "purpose": None, "rate_amount": None, "currency": None,
              "external_ref": None, "nights": 3, "month": "2025-03"},
    "consumptions": {"covers": 1, "discount_rate": "0.0000", "payment_status": "pending", "dining_type": None,
                     "payment_method": None, "revenue": None, "stay_id": None, "description": None,
                     "per_person": "12.50", "amount": "12.50"},
    "preferences": {"source": "staff", "note": None, "evidence": None},
    "special-dates": {"label": None},
    "complaints": {"status": "open", "stay_id": None, "resolution": None, "compensation_amount": None,
                   "compensation_currency": None, "feedback_score": None, "resolved_at": None},
}


def check_common(item, gid, version=1):
    assert h.UUID_RE.match(item["id"]), item
    assert item["guest_id"] == gid, item
    assert item["version"] == version, item
    assert h.TS_RE.match(item["created_at"]) and h.TS_RE.match(item["updated_at"]), item


# ---------------------------------------------------------------- create / get


@pytest.mark.parametrize("section", SECTIONS)
def test_create_full_item_and_get(api, make_guest, db, section):
    g = make_guest()
    gid = g["id"]
    st = d.stay(api, gid, "2025-02-20", nights=1, status="reserved")
    body = full_bodies(st["id"])[section]
    before = db.counts()
    r = api("POST", d.path(gid, section), key="frontdesk", body=body)
    assert r.status == 201, r
    item = r.json()
    check_common(item, gid)
    assert r.headers.get("Location") == d.path(gid, section, item["id"])
    assert r.headers.get("ETag") == '"1"'
    assert abs((h.parse_ts(item["created_at"]) - now_utc()).total_seconds()) < 120
    expected = dict(body)
    expected.update(FULL_EXPECTED[section])
    for k, v in expected.items():
        assert k in item and item[k] == v, f"{section}.{k}: expected {v!r}, got {item.get(k)!r}"
    assert d.ITEM_KEYS[section] <= set(item), f"missing keys {d.ITEM_KEYS[section] - set(item)}"
    after = db.counts()
    table = d.TABLE[section]
    assert after[table] == before[table] + 1, (before, after)
    assert db.item_row(table, item["id"]) is not None

    r2 = api("GET", d.path(gid, section, item["id"]), key="frontdesk")
    assert r2.status == 200, r2
    assert r2.headers.get("ETag") == '"1"'
    assert r2.json() == item


@pytest.mark.parametrize("section", SECTIONS)
def test_create_minimal_item_defaults(api, make_guest, section):
    g = make_guest()
    body = d.minimal(section)
    item = d.create(api, g["id"], section, body=body)
    check_common(item, g["id"])
    for k, v in body.items():
        if k == "occurred_at":
            assert item[k] == "2025-03-02T19:30:00.000000Z", item
        else:
            assert item[k] == v, f"{k}: sent {v!r}, got {item[k]!r}"
    for k, v in DEFAULTS[section].items():
        assert k in item, f"{section}: member {k} missing (members are always present, null when unset): {item}"
        assert item[k] == v, f"{section}.{k}: default should be {v!r}, got {item[k]!r}"
    if section == "complaints":
        assert h.TS_RE.match(item["received_at"]), item
        assert abs((h.parse_ts(item["received_at"]) - now_utc()).total_seconds()) < 120, item


# ---------------------------------------------------------------- lists

ORDER_VALUES = {
    "stays": ("check_in", ["2025-01-10", "2025-01-12", "2025-01-12", "2025-01-05", "2025-02-01"]),
    "consumptions": ("occurred_at", ["2025-01-10T10:00:00Z", "2025-01-12T10:00:00Z", "2025-01-12T10:00:00Z",
                                     "2025-01-05T10:00:00Z", "2025-02-01T10:00:00Z"]),
    "complaints": ("received_at", ["2025-01-10T10:00:00Z", "2025-01-12T10:00:00Z", "2025-01-12T10:00:00Z",
                                   "2025-01-05T10:00:00Z", "2025-02-01T10:00:00Z"]),
    "preferences": ("created_at", [None] * 5),
    "special-dates": ("created_at", [None] * 5),
}


@pytest.mark.parametrize("section", SECTIONS)
def test_list_newest_first_with_pagination(api, make_guest, section):
    g = make_guest()
    gid = g["id"]
    field, values = ORDER_VALUES[section]
    created = []
    for v in values:
        body = d.minimal(section)
        if v is not None:
            body[field] = v
            if section == "stays":
                body["check_out"] = (datetime.date.fromisoformat(v) + datetime.timedelta(days=1)).isoformat()
        created.append(d.create(api, gid, section, body=body))
    # newest first: by the order field descending, ties by id descending
    expected = [i["id"] for i in sorted(created, key=lambda i: (i[field], i["id"]), reverse=True)]

    r = api("GET", d.path(gid, section), key="frontdesk")
    assert r.status == 200, r
    assert r.json()["next_cursor"] is None
    assert [i["id"] for i in r.json()["items"]] == expected
    assert r.json()["items"] == sorted(created, key=lambda i: (i[field], i["id"]), reverse=True)

    # walk with limit=2: pages 2, 2, 1, then next_cursor null; twice, same result
    walks = []
    for _ in range(2):
        pages, cursor = [], None
        while True:
            q = "?limit=2" + (f"&cursor={urllib.parse.quote(cursor, safe='')}" if cursor else "")
            r = api("GET", d.path(gid, section) + q, key="frontdesk")
            assert r.status == 200, r
            pages.append([i["id"] for i in r.json()["items"]])
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
            assert len(pages) < 10, pages
        walks.append(pages)
    assert [len(p) for p in walks[0]] == [2, 2, 1], walks[0]
    assert [i for p in walks[0] for i in p] == expected
    assert walks[0] == walks[1]


@pytest.mark.parametrize("section", SECTIONS)
def test_list_empty(api, make_guest, owner_items, section):
    g = make_guest()
    r = api("GET", d.path(g["id"], section), key="frontdesk")
    assert r.status == 200, r
    assert r.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "limit=x", "limit=-1", "cursor=garbage", "cursor=",
                                   "foo=bar"])
@pytest.mark.parametrize("section", SECTIONS)
def test_list_bad_query_400(api, owner, section, query):
    r = api("GET", d.path(owner["id"], section) + "?" + query, key="frontdesk")
    h.assert_problem(r, 400, "bad-request")


# ---------------------------------------------------------------- patch / If-Match / delete

PATCHES = {
    "stays": ({"room_number": "99", "status": "in_house", "check_out": "2025-03-06"},
              {"room_number": "99", "status": "in_house", "check_out": "2025-03-06", "nights": 5,
               "check_in": "2025-03-01"}),
    "consumptions": ({"covers": 4, "amount": "100", "description": "late snack"},
                     {"covers": 4, "amount": "100.00", "per_person": "25.00", "category": "bar",
                      "description": "late snack"}),
    "preferences": ({"value": "soft", "note": "changed"}, {"value": "soft", "note": "changed"}),
    "special-dates": ({"label": "changed", "date": "1981-05-17"}, {"label": "changed", "date": "1981-05-17",
                                                                  "kind": "birthday"}),
    "complaints": ({"status": "in_progress", "resolution": "called housekeeping"},
                   {"status": "in_progress", "resolution": "called housekeeping", "severity": "low"}),
}


@pytest.mark.parametrize("section", SECTIONS)
def test_merge_patch_bumps_version(api, make_guest, section):
    g = make_guest()
    gid = g["id"]
    item = d.create(api, gid, section)
    patch, expect = PATCHES[section]
    r = api("PATCH", d.path(gid, section, item["id"]), key="frontdesk", body=patch,
            headers={"Content-Type": "application/merge-patch+json"})
    assert r.status == 200, r
    p = r.json()
    assert r.headers.get("ETag") == '"2"'
    check_common(p, gid, version=2)
    for k, v in expect.items():
        assert p[k] == v, f"{k}: expected {v!r}, got {p[k]!r}"
    assert p["id"] == item["id"] and p["created_at"] == item["created_at"]
    assert h.parse_ts(p["updated_at"]) >= h.parse_ts(item["updated_at"])
    untouched = {k: v for k, v in item.items() if k not in expect and k not in patch
                 and k not in ("version", "updated_at", "nights", "per_person")}
    assert {k: p[k] for k in untouched} == untouched

    got = api("GET", d.path(gid, section, item["id"]), key="frontdesk")
    assert got.status == 200 and got.headers.get("ETag") == '"2"' and got.json() == p

    # plain application/json works too; null removes a nullable member
    nullable = {"stays": "room_number", "consumptions": "description", "preferences": "note",
                "special-dates": "label", "complaints": "resolution"}[section]
    r = api("PATCH", d.path(gid, section, item["id"]), key="frontdesk", body={nullable: None},
            headers={"If-Match": '"2"'})
    assert r.status == 200, r
    assert r.json()[nullable] is None and r.json()["version"] == 3 and r.headers.get("ETag") == '"3"'
    # If-Match: * matches
    r = api("PATCH", d.path(gid, section, item["id"]), key="frontdesk", body={}, headers={"If-Match": "*"})
    assert r.status == 200, r


@pytest.mark.parametrize("section", SECTIONS)
def test_empty_patch_is_a_noop(api, make_guest, db, section):
    g = make_guest()
    item = d.create(api, g["id"], section)
    before = db.item_row(d.TABLE[section], item["id"])
    r = api("PATCH", d.path(g["id"], section, item["id"]), key="frontdesk", body={})
    assert r.status == 200, r
    assert r.json() == item and r.headers.get("ETag") == '"1"'
    assert db.item_row(d.TABLE[section], item["id"]) == before


@pytest.mark.parametrize("section", SECTIONS)
def test_if_match_mismatch_412_row_unchanged(api, make_guest, db, section):
    g = make_guest()
    gid = g["id"]
    item = d.create(api, gid, section)
    table = d.TABLE[section]
    before = db.item_row(table, item["id"])
    patch = PATCHES[section][0]
    for tag in ('"2"', '"0"', '"garbage"', "1"):
        with db.unchanged():
            r = api("PATCH", d.path(gid, section, item["id"]), key="frontdesk", body=patch, headers={"If-Match": tag})
            h.assert_problem(r, 412, "precondition-failed")
            r = api("DELETE", d.path(gid, section, item["id"]), key="frontdesk", headers={"If-Match": tag})
            h.assert_problem(r, 412, "precondition-failed")
    assert db.item_row(table, item["id"]) == before
    assert d.get(api, gid, section, item["id"]) == item
    # the right tag works, then the old one is stale
    r = api("PATCH", d.path(gid, section, item["id"]), key="frontdesk", body=patch, headers={"If-Match": '"1"'})
    assert r.status == 200 and r.json()["version"] == 2, r
    r = api("DELETE", d.path(gid, section, item["id"]), key="frontdesk", headers={"If-Match": '"1"'})
    h.assert_problem(r, 412, "precondition-failed")
    r = api("DELETE", d.path(gid, section, item["id"]), key="frontdesk", headers={"If-Match": '"2"'})
    assert r.status == 204, r


@pytest.mark.parametrize("section", SECTIONS)
def test_delete_then_404(api, make_guest, db, section):
    g = make_guest()
    gid = g["id"]
    keep = d.create(api, gid, section)
    item = d.create(api, gid, section)
    table = d.TABLE[section]
    before = db.counts()[table]
    r = api("DELETE", d.path(gid, section, item["id"]), key="frontdesk")
    assert r.status == 204 and r.body == b"", r
    assert db.counts()[table] == before - 1
    assert db.item_row(table, item["id"]) is None
    for method, body in (("GET", None), ("PATCH", {}), ("DELETE", None)):
        r = api(method, d.path(gid, section, item["id"]), key="frontdesk", body=body)
        h.assert_problem(r, 404, "not-found")
    assert [i["id"] for i in d.list_all(api, gid, section)] == [keep["id"]]


# ---------------------------------------------------------------- ownership and ids


def valid_post_body(section):
    return d.minimal(section)


@pytest.mark.parametrize("section", SECTIONS)
def test_unknown_guest_404(api, db, section):
    gid = str(uuid.uuid4())
    with db.unchanged():
        for method, p, body in (("GET", d.path(gid, section), None),
                                ("POST", d.path(gid, section), valid_post_body(section)),
                                ("GET", d.path(gid, section, str(uuid.uuid4())), None),
                                ("PATCH", d.path(gid, section, str(uuid.uuid4())), {}),
                                ("DELETE", d.path(gid, section, str(uuid.uuid4())), None)):
            r = api(method, p, key="frontdesk", body=body)
            h.assert_problem(r, 404, "not-found")


@pytest.mark.parametrize("section", SECTIONS)
def test_soft_deleted_guest_404_and_restore(api, make_guest, db, section):
    g = make_guest()
    gid = g["id"]
    item = d.create(api, gid, section)
    r = api("DELETE", f"/v1/guests/{gid}", key="frontdesk")
    assert r.status == 204, r
    row = db.item_row(d.TABLE[section], item["id"])
    assert row is not None, "a soft delete of the guest must keep its items (it is restorable)"
    with db.unchanged():
        for method, p, body in (("GET", d.path(gid, section), None),
                                ("POST", d.path(gid, section), valid_post_body(section)),
                                ("GET", d.path(gid, section, item["id"]), None),
                                ("PATCH", d.path(gid, section, item["id"]), PATCHES[section][0]),
                                ("DELETE", d.path(gid, section, item["id"]), None)):
            r = api(method, p, key="frontdesk", body=body)
            h.assert_problem(r, 404, "not-found")
    assert db.item_row(d.TABLE[section], item["id"]) == row
    r = api("POST", f"/v1/guests/{gid}/restore", key="ops")
    assert r.status == 200, r
    assert d.get(api, gid, section, item["id"]) == item


@pytest.mark.parametrize("section", SECTIONS)
def test_item_of_another_guest_404(api, db, owner, other_guest, owner_items, section):
    item = owner_items[section]
    table = d.TABLE[section]
    before = db.item_row(table, item["id"])
    with db.unchanged():
        for method, body in (("GET", None), ("PATCH", PATCHES[section][0]), ("DELETE", None)):
            r = api(method, d.path(other_guest["id"], section, item["id"]), key="frontdesk", body=body)
            h.assert_problem(r, 404, "not-found")
    assert db.item_row(table, item["id"]) == before
    assert item["id"] not in [i["id"] for i in d.list_all(api, other_guest["id"], section)]


@pytest.mark.parametrize("section", SECTIONS)
def test_item_of_another_section_404(api, db, owner, owner_items, section):
    other_section = SECTIONS[(SECTIONS.index(section) + 1) % len(SECTIONS)]
    item = owner_items[other_section]
    with db.unchanged():
        for method, body in (("GET", None), ("PATCH", {}), ("DELETE", None)):
            r = api(method, d.path(owner["id"], section, item["id"]), key="frontdesk", body=body)
            h.assert_problem(r, 404, "not-found")


ID_SHAPES = {
    "garbage": lambda i: "garbage",
    "int_1": lambda i: "1",
    "int_huge": lambda i: "99999999999999999999",
    "uppercase_existing": lambda i: i.upper(),
    "random_uuid": lambda i: str(uuid.uuid4()),
    "nil_uuid": lambda i: "00000000-0000-0000-0000-000000000000",
    "existing_without_dashes": lambda i: i.replace("-", ""),
    "existing_plus_char": lambda i: i + "0",
    "sql_injection_encoded": lambda i: "%27%20OR%201%3D1--",
    "long_1000": lambda i: "a" * 1000,
    "non_ascii_encoded": lambda i: "%C3%A9",
}


@pytest.mark.parametrize("shape", sorted(ID_SHAPES))
@pytest.mark.parametrize("section", SECTIONS)
def test_item_ids_of_any_shape_404(api, db, owner, owner_items, section, shape):
    item = owner_items[section]
    bad = ID_SHAPES[shape](item["id"])
    with db.unchanged():
        for method, body in (("GET", None), ("PATCH", {}), ("DELETE", None)):
            r = api(method, d.path(owner["id"], section, bad), key="frontdesk", body=body)
            h.assert_problem(r, 404, "not-found")


@pytest.mark.parametrize("shape", ["garbage", "uppercase_existing", "existing_plus_char", "int_1"])
@pytest.mark.parametrize("section", SECTIONS)
def test_guest_ids_of_any_shape_404(api, db, owner, owner_items, section, shape):
    gid = ID_SHAPES[shape](owner["id"])
    with db.unchanged():
        for method, p, body in (("GET", d.path(gid, section), None),
                                ("POST", d.path(gid, section), valid_post_body(section)),
                                ("GET", d.path(gid, section, owner_items[section]["id"]), None)):
            r = api(method, p, key="frontdesk", body=body)
            h.assert_problem(r, 404, "not-found")


# ---------------------------------------------------------------- validation rules (POST)

DROP = object()  # marks a member to remove from the minimal body

RULES = [
    # stays
    ("stays", "check_in_missing", {"check_in": DROP}, "/check_in"),
    ("stays", "check_out_missing", {"check_out": DROP}, "/check_out"),
    ("stays", "check_in_null", {"check_in": None}, "/check_in"),
    ("stays", "check_in_not_a_date", {"check_in": "2025-02-30"}, "/check_in"),
    ("stays", "check_in_datetime", {"check_in": "2025-03-01T12:00:00Z"}, "/check_in"),
    ("stays", "check_in_number", {"check_in": 20250301}, "/check_in"),
    ("stays", "check_out_not_a_date", {"check_out": "03/04/2025"}, "/check_out"),
    ("stays", "check_out_equal_check_in", {"check_out": "2025-03-01"}, "/check_out"),
    ("stays", "check_out_before_check_in", {"check_out": "2025-02-27"}, "/check_out"),
    ("stays", "check_in_before_1900", {"check_in": "1899-12-31"}, "/check_in"),
    ("stays", "check_out_after_2100", {"check_in": "2100-12-30", "check_out": "2101-01-01"}, "/check_out"),
    ("stays", "status_unknown", {"status": "checked_out"}, "/status"),
    ("stays", "status_upper", {"status": "COMPLETED"}, "/status"),
    ("stays", "room_type_unknown", {"room_type": "penthouse"}, "/room_type"),
    ("stays", "room_number_empty", {"room_number": ""}, "/room_number"),
    ("stays", "room_number_21", {"room_number": "1" * 21}, "/room_number"),
    ("stays", "room_number_number", {"room_number": 12}, "/room_number"),
    ("stays", "booking_channel_unknown", {"booking_channel": "fax"}, "/booking_channel"),
    ("stays", "purpose_unknown", {"purpose": "holiday"}, "/purpose"),
    ("stays", "adults_0", {"adults": 0}, "/adults"),
    ("stays", "adults_51", {"adults": 51}, "/adults"),
    ("stays", "adults_string", {"adults": "2"}, "/adults"),
    ("stays", "adults_fraction", {"adults": 1.5}, "/adults"),
    ("stays", "children_negative", {"children": -1}, "/children"),
    ("stays", "children_51", {"children": 51}, "/children"),
    ("stays", "rate_amount_negative", {"rate_amount": "-1.00", "currency": "EUR"}, "/rate_amount"),
    ("stays", "rate_amount_3_decimals", {"rate_amount": "245.505", "currency": "EUR"}, "/rate_amount"),
    ("stays", "rate_amount_not_a_number", {"rate_amount": "abc", "currency": "EUR"}, "/rate_amount"),
    ("stays", "rate_amount_without_currency", {"rate_amount": "100.00"}, "/currency"),
    ("stays", "currency_lower", {"rate_amount": "100.00", "currency": "eur"}, "/currency"),
    ("stays", "currency_unknown", {"rate_amount": "100.00", "currency": "ZZZ"}, "/currency"),
    ("stays", "amenities_not_object", {"amenities_used": ["minibar"]}, "/amenities_used"),
    ("stays", "amenity_count_negative", {"amenities_used": {"minibar": -1}}, "/amenities_used/minibar"),
    ("stays", "amenity_count_10001", {"amenities_used": {"minibar": 10001}}, "/amenities_used/minibar"),
    ("stays", "amenity_count_string", {"amenities_used": {"minibar": "2"}}, "/amenities_used/minibar"),
    ("stays", "amenity_count_fraction", {"amenities_used": {"minibar": 1.5}}, "/amenities_used/minibar"),
    ("stays", "amenity_name_51", {"amenities_used": {"m" * 51: 1}}, "/amenities_used/" + "m" * 51),
    ("stays", "amenities_51_names", {"amenities_used": {f"a{i}": 1 for i in range(51)}}, "/amenities_used"),
    ("stays", "amenity_pointer_escaped", {"amenities_used": {"mini/bar~x": -1}}, "/amenities_used/mini~1bar~0x"),
    ("stays", "external_ref_empty", {"external_ref": ""}, "/external_ref"),
    ("stays", "external_ref_101", {"external_ref": "x" * 101}, "/external_ref"),
    # consumptions
    ("consumptions", "occurred_at_missing", {"occurred_at": DROP}, "/occurred_at"),
    ("consumptions", "occurred_at_date_only", {"occurred_at": "2025-03-02"}, "/occurred_at"),
    ("consumptions", "occurred_at_bad_hour", {"occurred_at": "2025-03-02T25:00:00Z"}, "/occurred_at"),
    ("consumptions", "occurred_at_no_zone", {"occurred_at": "2025-03-02T19:30:00"}, "/occurred_at"),
    ("consumptions", "category_missing", {"category": DROP}, "/category"),
    ("consumptions", "category_unknown", {"category": "casino"}, "/category"),
    ("consumptions", "dining_type_without_dining", {"category": "bar", "dining_type": "dinner"}, "/dining_type"),
    ("consumptions", "dining_type_unknown", {"category": "dining", "dining_type": "brunch"}, "/dining_type"),
    ("consumptions", "covers_0", {"covers": 0}, "/covers"),
    ("consumptions", "covers_1001", {"covers": 1001}, "/covers"),
    ("consumptions", "covers_string", {"covers": "2"}, "/covers"),
    ("consumptions", "amount_missing", {"amount": DROP}, "/amount"),
    ("consumptions", "amount_null", {"amount": None}, "/amount"),
    ("consumptions", "amount_negative", {"amount": "-0.01"}, "/amount"),
    ("consumptions", "amount_3_decimals_string", {"amount": "245.505"}, "/amount"),
    ("consumptions", "amount_3_decimals_number", {"amount": 245.505}, "/amount"),
    ("consumptions", "amount_13_integer_digits", {"amount": "1234567890123"}, "/amount"),
    ("consumptions", "amount_16_significant_digits_number", {"amount": 1234567890.123456}, "/amount"),
    ("consumptions", "amount_word", {"amount": "ten"}, "/amount"),
    ("consumptions", "amount_bool", {"amount": True}, "/amount"),
    ("consumptions", "amount_object", {"amount": {"value": 1}}, "/amount"),
    ("consumptions", "currency_missing", {"currency": DROP}, "/currency"),
    ("consumptions", "currency_lower", {"currency": "eur"}, "/currency"),
    ("consumptions", "currency_unknown", {"currency": "EURO"}, "/currency"),
    ("consumptions", "discount_rate_above_1", {"discount_rate": 1.5}, "/discount_rate"),
    ("consumptions", "discount_rate_negative", {"discount_rate": "-0.1"}, "/discount_rate"),
    ("consumptions", "discount_rate_5_decimals", {"discount_rate": "0.12345"}, "/discount_rate"),
    ("consumptions", "payment_method_unknown", {"payment_method": "bitcoin"}, "/payment_method"),
    ("consumptions", "payment_status_unknown", {"payment_status": "refunded"}, "/payment_status"),
    ("consumptions", "revenue_negative", {"revenue": "-5"}, "/revenue"),
    ("consumptions", "revenue_3_decimals", {"revenue": "5.001"}, "/revenue"),
    ("consumptions", "stay_id_unknown_uuid", {"stay_id": "UUID4"}, "/stay_id"),
    ("consumptions", "stay_id_garbage", {"stay_id": "not-a-uuid"}, "/stay_id"),
    ("consumptions", "stay_id_other_guest", {"stay_id": "OTHER_STAY"}, "/stay_id"),
    ("consumptions", "description_empty", {"description": ""}, "/description"),
    ("consumptions", "description_201", {"description": "d" * 201}, "/description"),
    # preferences
    ("preferences", "category_missing", {"category": DROP}, "/category"),
    ("preferences", "category_unknown", {"category": "music"}, "/category"),
    ("preferences", "key_missing", {"key": DROP}, "/key"),
    ("preferences", "key_empty", {"key": ""}, "/key"),
    ("preferences", "key_51", {"key": "k" * 51}, "/key"),
    ("preferences", "value_missing", {"value": DROP}, "/value"),
    ("preferences", "value_empty", {"value": ""}, "/value"),
    ("preferences", "value_201", {"value": "v" * 201}, "/value"),
    ("preferences", "value_number", {"value": 3}, "/value"),
    ("preferences", "source_inferred", {"source": "inferred"}, "/source"),
    ("preferences", "source_unknown", {"source": "robot"}, "/source"),
    ("preferences", "note_501", {"note": "n" * 501}, "/note"),
    # special dates
    ("special-dates", "kind_missing", {"kind": DROP}, "/kind"),
    ("special-dates", "kind_unknown", {"kind": "name_day"}, "/kind"),
    ("special-dates", "date_missing", {"date": DROP}, "/date"),
    ("special-dates", "date_feb_29_non_leap", {"date": "2023-02-29"}, "/date"),
    ("special-dates", "date_before_1900", {"date": "1899-12-31"}, "/date"),
    ("special-dates", "date_after_2100", {"date": "2101-01-01"}, "/date"),
    ("special-dates", "date_month_day_only", {"date": "05-17"}, "/date"),
    ("special-dates", "label_empty", {"label": ""}, "/label"),
    ("special-dates", "label_101", {"label": "l" * 101}, "/label"),
    # complaints
    ("complaints", "category_missing", {"category": DROP}, "/category"),
    ("complaints", "category_unknown", {"category": "weather"}, "/category"),
    ("complaints", "severity_missing", {"severity": DROP}, "/severity"),
    ("complaints", "severity_unknown", {"severity": "urgent"}, "/severity"),
    ("complaints", "description_missing", {"description": DROP}, "/description"),
    ("complaints", "description_empty", {"description": ""}, "/description"),
    ("complaints", "description_4001", {"description": "x" * 4001}, "/description"),
    ("complaints", "status_unknown", {"status": "reopened"}, "/status"),
    ("complaints", "resolution_4001", {"resolution": "r" * 4001}, "/resolution"),
    ("complaints", "received_at_bad", {"received_at": "yesterday"}, "/received_at"),
    ("complaints", "received_at_date_only", {"received_at": "2025-03-03"}, "/received_at"),
    ("complaints", "compensation_negative", {"compensation_amount": "-1", "compensation_currency": "EUR"},
     "/compensation_amount"),
    ("complaints", "compensation_3_decimals", {"compensation_amount": "1.001", "compensation_currency": "EUR"},
     "/compensation_amount"),
    ("complaints", "compensation_without_currency", {"compensation_amount": "10"}, "/compensation_currency"),
    ("complaints", "compensation_currency_unknown", {"compensation_amount": "10", "compensation_currency": "ABC"},
     "/compensation_currency"),
    ("complaints", "feedback_score_with_status_open", {"feedback_score": 4}, "/feedback_score"),
    ("complaints", "feedback_score_with_status_in_progress", {"status": "in_progress", "feedback_score": 4},
     "/feedback_score"),
    ("complaints", "feedback_score_0", {"status": "resolved", "feedback_score": 0}, "/feedback_score"),
    ("complaints", "feedback_score_6", {"status": "closed", "feedback_score": 6}, "/feedback_score"),
    ("complaints", "feedback_score_string", {"status": "closed", "feedback_score": "5"}, "/feedback_score"),
    ("complaints", "stay_id_other_guest", {"stay_id": "OTHER_STAY"}, "/stay_id"),
    ("complaints", "stay_id_unknown_uuid", {"stay_id": "UUID4"}, "/stay_id"),
]
# unknown and read-only members, for every section
for _s in SECTIONS:
    RULES.append((_s, "unknown_member", {"colour": "blue"}, "/colour"))
    for _m in d.COMMON_READ_ONLY + d.DERIVED_READ_ONLY[_s]:
        RULES.append((_s, f"read_only_{_m}", {_m: "x" if _m not in ("version", "nights") else 1}, "/" + _m))


def apply_changes(body, changes, owner_stay, other_stay):
    body = dict(body)
    for k, v in changes.items():
        if v is DROP:
            body.pop(k, None)
        elif v == "OTHER_STAY":
            body[k] = other_stay["id"]
        elif v == "UUID4":
            body[k] = str(uuid.uuid4())
        elif v == "OWN_STAY":
            body[k] = owner_stay["id"]
        else:
            body[k] = v
    return body


@pytest.mark.parametrize("section,name,changes,pointer", RULES, ids=[f"{r[0]}-{r[1]}" for r in RULES])
def test_post_rule_422_nothing_stored(api, db, owner, owner_stay, other_stay, section, name, changes, pointer):
    body = apply_changes(d.minimal(section), changes, owner_stay, other_stay)
    with db.unchanged():
        r = api("POST", d.path(owner["id"], section), key="frontdesk", body=body)
        h.assert_problem(r, 422, "invalid-field", fields=[pointer])


def test_rule_fixtures_are_valid(api, make_guest):
    """The minimal bodies the rules start from are accepted, with a stay_id of the same guest too."""
    g = make_guest()
    for s in SECTIONS:
        d.create(api, g["id"], s)
    st = d.stay(api, g["id"], "2024-01-01")
    d.create(api, g["id"], "consumptions", stay_id=st["id"])
    d.create(api, g["id"], "complaints", stay_id=st["id"])


def test_several_broken_fields_listed(api, db, owner):
    body = {"check_in": "nope", "check_out": "2025-02-30", "adults": 0, "room_type": "x", "colour": 1}
    with db.unchanged():
        r = api("POST", d.path(owner["id"], "stays"), key="frontdesk", body=body)
        h.assert_problem(r, 422, "invalid-field",
                         fields=["/check_in", "/check_out", "/adults", "/room_type", "/colour"])


def test_accepted_boundaries(api, make_guest):
    g = make_guest()
    gid = g["id"]
    st = d.stay(api, gid, "1900-01-01", nights=1, adults=50, children=50, room_number="1" * 20,
                amenities_used={f"a{i}": 10000 for i in range(49)} | {"m" * 50: 0},
                external_ref="e" * 100, rate_amount="999999999999.99", currency="EUR")
    assert st["rate_amount"] == "999999999999.99" and st["nights"] == 1 and st["month"] == "1900-01"
    st = d.create(api, gid, "stays", check_in="2100-12-30", check_out="2100-12-31")
    assert st["nights"] == 1 and st["month"] == "2100-12"
    c = d.charge(api, gid, "2025-01-01T00:00:00Z", amount="0", covers=1000, discount_rate="1",
                 description="d" * 200, currency="JPY")
    assert c["amount"] == "0.00" and c["per_person"] == "0.00" and c["discount_rate"] == "1.0000"
    c = d.charge(api, gid, "2025-01-01T00:00:00+02:00", amount=0, discount_rate=0)
    assert c["occurred_at"] == "2024-12-31T22:00:00.000000Z" and c["discount_rate"] == "0.0000"
    p = d.create(api, gid, "preferences", key="k" * 50, value="v" * 200, note="n" * 500)
    assert p["key"] == "k" * 50
    sd = d.create(api, gid, "special-dates", date="2100-12-31", label="l" * 100)
    assert sd["date"] == "2100-12-31"
    sd = d.create(api, gid, "special-dates", date="1900-01-01")
    cp = d.complaint(api, gid, description="x" * 4000, status="closed", feedback_score=5, resolution="r" * 4000,
                     severity="critical", compensation_amount=0, compensation_currency="USD")
    assert cp["feedback_score"] == 5 and cp["compensation_amount"] == "0.00"
    cp = d.complaint(api, gid, status="resolved", feedback_score=1)
    assert cp["feedback_score"] == 1


# ---------------------------------------------------------------- validation rules (PATCH)

PATCH_RULES = [
    ("stays", "check_out_before_check_in", {"check_out": "2025-02-01"}, "/check_out"),
    ("stays", "check_in_after_check_out", {"check_in": "2025-03-10"}, "/check_out"),
    ("stays", "required_to_null", {"check_in": None}, "/check_in"),
    ("stays", "rate_without_currency", {"rate_amount": "10"}, "/currency"),
    ("stays", "adults_0", {"adults": 0}, "/adults"),
    ("consumptions", "dining_type_on_bar", {"dining_type": "lunch"}, "/dining_type"),
    ("consumptions", "amount_to_null", {"amount": None}, "/amount"),
    ("consumptions", "amount_3_decimals", {"amount": "1.005"}, "/amount"),
    ("consumptions", "stay_id_other_guest", {"stay_id": "OTHER_STAY"}, "/stay_id"),
    ("preferences", "source_inferred", {"source": "inferred"}, "/source"),
    ("preferences", "value_to_null", {"value": None}, "/value"),
    ("special-dates", "date_bad", {"date": "2023-02-29"}, "/date"),
    ("special-dates", "kind_to_null", {"kind": None}, "/kind"),
    ("complaints", "feedback_score_on_open", {"feedback_score": 3}, "/feedback_score"),
    ("complaints", "status_unknown", {"status": "done"}, "/status"),
    ("complaints", "compensation_without_currency", {"compensation_amount": "5"}, "/compensation_currency"),
    ("complaints", "stay_id_other_guest", {"stay_id": "OTHER_STAY"}, "/stay_id"),
]
for _s in SECTIONS:
    PATCH_RULES.append((_s, "unknown_member", {"colour": "blue"}, "/colour"))
    for _m in d.COMMON_READ_ONLY + d.DERIVED_READ_ONLY[_s]:
        PATCH_RULES.append((_s, f"read_only_{_m}", {_m: "x" if _m not in ("version", "nights") else 2}, "/" + _m))


@pytest.mark.parametrize("section,name,changes,pointer", PATCH_RULES, ids=[f"{r[0]}-{r[1]}" for r in PATCH_RULES])
def test_patch_rule_422_row_unchanged(api, db, owner, owner_items, owner_stay, other_stay, section, name, changes,
                                      pointer):
    item = owner_items[section]
    table = d.TABLE[section]
    before = db.item_row(table, item["id"])
    patch = apply_changes({}, changes, owner_stay, other_stay)
    with db.unchanged():
        r = api("PATCH", d.path(owner["id"], section, item["id"]), key="frontdesk", body=patch,
                headers={"Content-Type": "application/merge-patch+json"})
        h.assert_problem(r, 422, "invalid-field", fields=[pointer])
    assert db.item_row(table, item["id"]) == before


# ---------------------------------------------------------------- malformed bodies, media types

MALFORMED = {
    "unterminated": b'{"kind": "birthday"',
    "empty": b"",
    "duplicate_keys": b'{"kind": "birthday", "kind": "other"}',
    "trailing_garbage": b'{"kind": "birthday"} x',
    "invalid_utf8": b'{"label": "\xff"}',
    "nul_escape": b'{"label": "a\\u0000"}',
    "number_1e999": b'{"covers": 1e999}',
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
@pytest.mark.parametrize("section", SECTIONS)
def test_malformed_json_400_nothing_stored(api, db, owner, owner_items, section, name):
    with db.unchanged():
        r = api("POST", d.path(owner["id"], section), key="frontdesk", body=MALFORMED[name])
        h.assert_problem(r, 400, "malformed-json")
        r = api("PATCH", d.path(owner["id"], section, owner_items[section]["id"]), key="frontdesk",
                body=MALFORMED[name])
        h.assert_problem(r, 400, "malformed-json")


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"42", b"null", b"true"], ids=str)
@pytest.mark.parametrize("section", SECTIONS)
def test_body_not_an_object_422_root(api, db, owner, owner_items, section, raw):
    with db.unchanged():
        r = api("POST", d.path(owner["id"], section), key="frontdesk", body=raw)
        h.assert_problem(r, 422, "invalid-field", fields=[""])
        r = api("PATCH", d.path(owner["id"], section, owner_items[section]["id"]), key="frontdesk", body=raw)
        h.assert_problem(r, 422, "invalid-field", fields=[""])


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/xml", "application/merge-patch+json"], ids=str)
@pytest.mark.parametrize("section", SECTIONS)
def test_post_wrong_content_type_415(api, db, owner, section, ctype):
    with db.unchanged():
        r = api("POST", d.path(owner["id"], section), key="frontdesk", body=d.minimal(section),
                headers={"Content-Type": ctype})
        h.assert_problem(r, 415, "unsupported-media-type")


@pytest.mark.parametrize("ctype", [None, "text/plain", "application/x-www-form-urlencoded"], ids=str)
@pytest.mark.parametrize("section", SECTIONS)
def test_patch_wrong_content_type_415(api, db, owner, owner_items, section, ctype):
    item = owner_items[section]
    before = db.item_row(d.TABLE[section], item["id"])
    with db.unchanged():
        r = api("PATCH", d.path(owner["id"], section, item["id"]), key="frontdesk", body=PATCHES[section][0],
                headers={"Content-Type": ctype})
        h.assert_problem(r, 415, "unsupported-media-type")
    assert db.item_row(d.TABLE[section], item["id"]) == before


@pytest.mark.parametrize("section", SECTIONS)
def test_post_charset_parameter_accepted(api, make_guest, section):
    g = make_guest()
    r = api("POST", d.path(g["id"], section), key="frontdesk", body=d.minimal(section),
            headers={"Content-Type": "application/json; charset=utf-8"})
    assert r.status == 201, r


# ---------------------------------------------------------------- money and decimals


def post_raw(api, gid, section, raw_json):
    return api("POST", d.path(gid, section), key="frontdesk", body=raw_json.encode())


@pytest.mark.parametrize("raw,expected", [
    ('"245.5"', "245.50"), ("245.5", "245.50"), ('"245.50"', "245.50"), ("245.50", "245.50"), ("1e2", "100.00"),
    ("100", "100.00"), ('"0"', "0.00"), ("0.1", "0.10"), ('"999999999999.99"', "999999999999.99"),
    ("123456789012.34", "123456789012.34"), ("1.10", "1.10"), ('"12"', "12.00"),
])
def test_amount_forms(api, make_guest, raw, expected):
    g = make_guest()
    r = post_raw(api, g["id"], "consumptions",
                 '{"occurred_at": "2025-01-01T10:00:00Z", "category": "bar", "currency": "EUR", "amount": %s}' % raw)
    assert r.status == 201, r
    assert r.json()["amount"] == expected and r.json()["per_person"] == expected, r.json()
    r = post_raw(api, g["id"], "stays",
                 '{"check_in": "2025-01-01", "check_out": "2025-01-02", "currency": "EUR", "rate_amount": %s}' % raw)
    assert r.status == 201, r
    assert r.json()["rate_amount"] == expected


@pytest.mark.parametrize("raw", ['"245.505"', "245.505", '"0.001"', "1e-3", '"1234567890123"', "1234567890123",
                                 "1234567890.123456", '"12,50"', '""', '"1.2.3"', '"+"', "[]", "null-ish",
                                 # more than 15 significant digits in a JSON number: refused, even when the
                                 # double it reads as is exactly 245.5 or 0.1 ("send it as a string")
                                 "245.50000000000000001", "0.10000000000000001", "12.3400000000000000001"])
def test_amount_refused_never_rounded(api, db, owner, raw):
    if raw == "null-ish":
        raw = '"NaN"'
    with db.unchanged():
        r = post_raw(api, owner["id"], "consumptions",
                     '{"occurred_at": "2025-01-01T10:00:00Z", "category": "bar", "currency": "EUR", "amount": %s}'
                     % raw)
        h.assert_problem(r, 422, "invalid-field", fields=["/amount"])


@pytest.mark.parametrize("amount,covers,expected", [
    ("100.00", 3, "33.33"), ("200.00", 3, "66.67"), ("0.05", 2, "0.03"), ("0.01", 3, "0.00"), ("10", 4, "2.50"),
    ("0.15", 2, "0.08"), ("999999999999.99", 1, "999999999999.99"), ("1", 1000, "0.00"), ("5", 1000, "0.01"),
])
def test_per_person_rounded_half_away_from_zero(api, make_guest, amount, covers, expected):
    g = make_guest()
    c = d.charge(api, g["id"], "2025-01-01T10:00:00Z", amount=amount, covers=covers)
    assert c["per_person"] == expected, c


@pytest.mark.parametrize("raw,expected", [("0.15", "0.1500"), ('"0.15"', "0.1500"), ("1", "1.0000"),
                                          ("0", "0.0000"), ('"0.1234"', "0.1234"), ("0.5", "0.5000"),
                                          ('"1.0000"', "1.0000")])
def test_discount_rate_forms(api, make_guest, raw, expected):
    g = make_guest()
    r = post_raw(api, g["id"], "consumptions",
                 '{"occurred_at": "2025-01-01T10:00:00Z", "category": "bar", "currency": "EUR", "amount": "1", '
                 '"discount_rate": %s}' % raw)
    assert r.status == 201, r
    assert r.json()["discount_rate"] == expected


@pytest.mark.parametrize("raw", ["1.0001", '"1.5"', "-0.0001", '"0.12345"', "0.00001", '"x"', "true"])
def test_discount_rate_refused(api, db, owner, raw):
    with db.unchanged():
        r = post_raw(api, owner["id"], "consumptions",
                     '{"occurred_at": "2025-01-01T10:00:00Z", "category": "bar", "currency": "EUR", "amount": "1", '
                     '"discount_rate": %s}' % raw)
        h.assert_problem(r, 422, "invalid-field", fields=["/discount_rate"])


def test_money_canonical_in_list(api, make_guest):
    g = make_guest()
    c = d.charge(api, g["id"], "2025-01-01T10:00:00Z", amount=245.5, revenue="7", covers=3, discount_rate=0.15)
    listed = d.list_all(api, g["id"], "consumptions")
    assert listed == [c]
    assert (c["amount"], c["revenue"], c["per_person"], c["discount_rate"]) == ("245.50", "7.00", "81.83", "0.1500")


# ---------------------------------------------------------------- stay_id


@pytest.mark.parametrize("section", ["consumptions", "complaints"])
def test_stay_id_of_same_guest_accepted_and_patchable(api, make_guest, section):
    g = make_guest()
    s1 = d.stay(api, g["id"], "2024-02-01")
    s2 = d.stay(api, g["id"], "2024-03-01")
    item = d.create(api, g["id"], section, stay_id=s1["id"])
    assert item["stay_id"] == s1["id"]
    p = d.patch(api, g["id"], section, item["id"], {"stay_id": s2["id"]})
    assert p["stay_id"] == s2["id"]
    p = d.patch(api, g["id"], section, item["id"], {"stay_id": None})
    assert p["stay_id"] is None


@pytest.mark.parametrize("section", ["consumptions", "complaints"])
def test_stay_id_of_another_guest_422_nothing_stored(api, db, owner, other_stay, section):
    with db.unchanged():
        r = api("POST", d.path(owner["id"], section), key="frontdesk",
                body=dict(d.minimal(section), stay_id=other_stay["id"]))
        h.assert_problem(r, 422, "invalid-field", fields=["/stay_id"])


# ---------------------------------------------------------------- preferences


def test_preference_same_category_key_409_nothing_stored(api, make_guest, db):
    g = make_guest()
    first = d.create(api, g["id"], "preferences", category="room", key="pillow", value="firm")
    before = db.item_row("preference", first["id"])
    with db.unchanged():
        r = api("POST", d.path(g["id"], "preferences"), key="frontdesk",
                body={"category": "room", "key": "pillow", "value": "soft", "source": "guest"})
        h.assert_problem(r, 409, "conflict", fields=["/key"])
    assert db.item_row("preference", first["id"]) == before
    # same key in another category, and another key in the same category, are fine
    d.create(api, g["id"], "preferences", category="amenity", key="pillow", value="extra")
    d.create(api, g["id"], "preferences", category="room", key="view", value="sea")
    assert len(d.preferences(api, g["id"])) == 3
    # the same (category, key) on another guest is fine
    g2 = make_guest()
    d.create(api, g2["id"], "preferences", category="room", key="pillow", value="soft")


def test_preference_patch_collision_409_row_unchanged(api, make_guest, db):
    g = make_guest()
    d.create(api, g["id"], "preferences", category="room", key="pillow", value="firm")
    other = d.create(api, g["id"], "preferences", category="room", key="view", value="sea")
    before = db.item_row("preference", other["id"])
    with db.unchanged():
        r = api("PATCH", d.path(g["id"], "preferences", other["id"]), key="frontdesk", body={"key": "pillow"})
        h.assert_problem(r, 409, "conflict", fields=["/key"])
    assert db.item_row("preference", other["id"]) == before
    # changing to a free (category, key) works
    p = d.patch(api, g["id"], "preferences", other["id"], {"category": "amenity", "key": "pillow"})
    assert (p["category"], p["key"], p["version"]) == ("amenity", "pillow", 2)


def test_preference_patch_onto_inferred_key_409(api, make_guest, db):
    """Only a POST replaces an inferred preference; a PATCH onto its (category, key) collides like any other."""
    g = make_guest()
    gid = g["id"]
    inferred = _deluxe_history(api, gid)
    other = d.create(api, gid, "preferences", category="room", key="floor", value="high")
    before = db.item_row("preference", other["id"])
    with db.unchanged():
        r = api("PATCH", d.path(gid, "preferences", other["id"]), key="frontdesk", body={"key": "room_type"})
        h.assert_problem(r, 409, "conflict", fields=["/key"])
    assert db.item_row("preference", other["id"]) == before
    assert d.get(api, gid, "preferences", inferred["id"]) == inferred


def test_text_lengths_count_code_points(api, make_guest, db, owner):
    g = make_guest()
    p = d.create(api, g["id"], "preferences", key="é" * 50, value="日" * 200, note="🙂" * 500)
    assert (p["key"], p["value"], p["note"]) == ("é" * 50, "日" * 200, "🙂" * 500)
    with db.unchanged():
        r = api("POST", d.path(owner["id"], "preferences"), key="frontdesk",
                body={"category": "other", "key": "é" * 51, "value": "v"})
        h.assert_problem(r, 422, "invalid-field", fields=["/key"])


def test_preference_source_guest_and_staff(api, make_guest):
    g = make_guest()
    p = d.create(api, g["id"], "preferences", source="guest")
    assert p["source"] == "guest" and p["evidence"] is None
    p = d.patch(api, g["id"], "preferences", p["id"], {"source": "staff"})
    assert p["source"] == "staff"


def _deluxe_history(api, gid):
    for i in range(3):
        d.stay(api, gid, f"2023-0{i + 1}-10", nights=2, room_type="deluxe", adults=i + 1)
    inferred = d.pref(api, gid, "room", "room_type")
    assert inferred is not None and inferred["source"] == "inferred" and inferred["value"] == "deluxe", inferred
    return inferred


def test_preference_post_over_inferred_replaces_it(api, make_guest, db):
    g = make_guest()
    gid = g["id"]
    inferred = _deluxe_history(api, gid)
    r = api("POST", d.path(gid, "preferences"), key="frontdesk",
            body={"category": "room", "key": "room_type", "value": "suite", "source": "guest"})
    assert r.status == 201, r
    new = r.json()
    assert new["id"] != inferred["id"] and new["value"] == "suite" and new["source"] == "guest"
    assert new["evidence"] is None
    r = api("GET", d.path(gid, "preferences", inferred["id"]), key="frontdesk")
    h.assert_problem(r, 404, "not-found")
    assert db.item_row("preference", inferred["id"]) is None
    assert d.pref(api, gid, "room", "room_type")["id"] == new["id"]


def test_preference_source_inferred_refused(api, db, owner, owner_items):
    with db.unchanged():
        r = api("POST", d.path(owner["id"], "preferences"), key="frontdesk",
                body={"category": "room", "key": "room_type", "value": "deluxe", "source": "inferred"})
        h.assert_problem(r, 422, "invalid-field", fields=["/source"])


# ---------------------------------------------------------------- complaints


def test_complaint_workflow_forward_and_resolved_at(api, make_guest):
    g = make_guest()
    c = d.complaint(api, g["id"])
    assert c["status"] == "open" and c["resolved_at"] is None
    c = d.patch(api, g["id"], "complaints", c["id"], {"status": "in_progress"})
    assert c["status"] == "in_progress" and c["resolved_at"] is None and c["version"] == 2
    t0 = now_utc()
    c = d.patch(api, g["id"], "complaints", c["id"], {"status": "resolved", "resolution": "moved room",
                                                      "feedback_score": 4})
    assert c["status"] == "resolved" and c["feedback_score"] == 4
    assert c["resolved_at"] is not None and h.TS_RE.match(c["resolved_at"]), c
    resolved_at = h.parse_ts(c["resolved_at"])
    assert abs((resolved_at - t0).total_seconds()) < 120
    c = d.patch(api, g["id"], "complaints", c["id"], {"status": "closed"})
    assert c["status"] == "closed" and c["resolved_at"] == h.fmt_ts(resolved_at), "resolved_at is set only once"
    c = d.patch(api, g["id"], "complaints", c["id"], {"feedback_score": 5, "status": "closed"})
    assert c["feedback_score"] == 5 and c["resolved_at"] == h.fmt_ts(resolved_at)


@pytest.mark.parametrize("start,target", [("open", "resolved"), ("open", "closed"), ("in_progress", "closed"),
                                          ("open", "open"), ("resolved", "resolved")])
def test_complaint_forward_jumps_allowed(api, make_guest, start, target):
    g = make_guest()
    c = d.complaint(api, g["id"], status=start)
    c = d.patch(api, g["id"], "complaints", c["id"], {"status": target})
    assert c["status"] == target
    if target in ("resolved", "closed"):
        assert c["resolved_at"] is not None
    else:
        assert c["resolved_at"] is None


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_complaint_created_resolved_has_resolved_at(api, make_guest, status):
    g = make_guest()
    c = d.complaint(api, g["id"], status=status, feedback_score=3)
    assert c["resolved_at"] is not None and abs((h.parse_ts(c["resolved_at"]) - now_utc()).total_seconds()) < 120


@pytest.mark.parametrize("start,target", [("in_progress", "open"), ("resolved", "in_progress"), ("resolved", "open"),
                                          ("closed", "resolved"), ("closed", "open")])
def test_complaint_backwards_422_row_unchanged(api, make_guest, db, start, target):
    g = make_guest()
    c = d.complaint(api, g["id"], status=start)
    before = db.item_row("complaint", c["id"])
    with db.unchanged():
        r = api("PATCH", d.path(g["id"], "complaints", c["id"]), key="frontdesk", body={"status": target})
        h.assert_problem(r, 422, "invalid-field", fields=["/status"])
    assert db.item_row("complaint", c["id"]) == before


def test_complaint_feedback_score_needs_resolved_or_closed(api, make_guest, db):
    g = make_guest()
    c = d.complaint(api, g["id"], status="in_progress")
    before = db.item_row("complaint", c["id"])
    with db.unchanged():
        r = api("PATCH", d.path(g["id"], "complaints", c["id"]), key="frontdesk", body={"feedback_score": 2})
        h.assert_problem(r, 422, "invalid-field", fields=["/feedback_score"])
    assert db.item_row("complaint", c["id"]) == before
    c = d.patch(api, g["id"], "complaints", c["id"], {"feedback_score": 2, "status": "resolved"})
    assert c["feedback_score"] == 2


def test_ops_may_use_complaints(api, make_guest):
    g = make_guest()
    gid = g["id"]
    c = d.complaint(api, gid, role="ops", severity="critical")
    assert c["severity"] == "critical"
    assert d.get(api, gid, "complaints", c["id"], key="ops") == c
    c = d.patch(api, gid, "complaints", c["id"], {"status": "resolved"}, key="ops")
    assert c["status"] == "resolved"
    assert [i["id"] for i in d.list_all(api, gid, "complaints", key="ops")] == [c["id"]]
    r = api("DELETE", d.path(gid, "complaints", c["id"]), key="ops")
    assert r.status == 204, r


@pytest.mark.parametrize("section", ["stays", "consumptions", "preferences", "special-dates"])
def test_ops_403_on_other_sections(api, db, owner, owner_items, section):
    item = owner_items[section]
    with db.unchanged():
        for method, p, body in (("GET", d.path(owner["id"], section), None),
                                ("POST", d.path(owner["id"], section), d.minimal(section)),
                                ("GET", d.path(owner["id"], section, item["id"]), None),
                                ("PATCH", d.path(owner["id"], section, item["id"]), {}),
                                ("DELETE", d.path(owner["id"], section, item["id"]), None)):
            r = api(method, p, key="ops", body=body)
            h.assert_problem(r, 403, "forbidden")


@pytest.mark.parametrize("section", SECTIONS)
def test_marketing_403_and_anonymous_401(api, db, owner, owner_items, section):
    with db.unchanged():
        r = api("POST", d.path(owner["id"], section), key="marketing", body=d.minimal(section))
        h.assert_problem(r, 403, "forbidden")
        r = api("GET", d.path(owner["id"], section, owner_items[section]["id"]), key="marketing")
        h.assert_problem(r, 403, "forbidden")
        r = api("POST", d.path(owner["id"], section), key=None, body=d.minimal(section))
        h.assert_problem(r, 401, "unauthorized")


# ---------------------------------------------------------------- more merge-patch, lists, methods


def test_stay_amenities_merge_patch(api, make_guest):
    """amenities_used is an object: a merge patch merges into it and null removes one name (RFC 7386)."""
    g = make_guest()
    st = d.stay(api, g["id"], "2024-04-01", amenities_used={"minibar": 2, "spa": 1})
    p = d.patch(api, g["id"], "stays", st["id"], {"amenities_used": {"spa": None, "gym": 3}})
    assert p["amenities_used"] == {"minibar": 2, "gym": 3}, p
    p = d.patch(api, g["id"], "stays", st["id"], {"amenities_used": {"minibar": 0}})
    assert p["amenities_used"] == {"minibar": 0, "gym": 3}, p


def test_deleting_a_referenced_stay(api, make_guest):
    g = make_guest()
    gid = g["id"]
    st = d.stay(api, gid, "2024-04-01")
    ch = d.charge(api, gid, "2024-04-01T20:00:00Z", stay_id=st["id"])
    cp = d.complaint(api, gid, stay_id=st["id"])
    r = api("DELETE", d.path(gid, "stays", st["id"]), key="frontdesk")
    assert r.status == 204, r
    assert d.get(api, gid, "consumptions", ch["id"])["stay_id"] is None
    assert d.get(api, gid, "complaints", cp["id"])["stay_id"] is None


@pytest.mark.parametrize("section", ["stays", "complaints"])
def test_concurrent_patches_same_if_match_one_wins(api, make_guest, section):
    g = make_guest()
    item = d.create(api, g["id"], section)
    patch = {"stays": lambda i: {"room_number": f"R{i}"}, "complaints": lambda i: {"resolution": f"writer {i}"}}
    barrier = threading.Barrier(4)
    results = [None] * 4

    def worker(i):
        barrier.wait(5)
        results[i] = api("PATCH", d.path(g["id"], section, item["id"]), key="frontdesk", body=patch[section](i),
                         headers={"If-Match": '"1"'})

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    statuses = sorted(r.status for r in results)
    assert statuses == [200, 412, 412, 412], results
    winner = next(r for r in results if r.status == 200).json()
    assert d.get(api, g["id"], section, item["id"]) == winner and winner["version"] == 2


def test_list_default_limit_50(api, make_guest):
    g = make_guest()
    for i in range(51):
        d.create(api, g["id"], "special-dates", date=f"19{i + 10}-01-01")
    r = api("GET", d.path(g["id"], "special-dates"), key="frontdesk")
    assert r.status == 200, r
    assert len(r.json()["items"]) == 50 and r.json()["next_cursor"]
    assert len(d.list_all(api, g["id"], "special-dates")) == 51
    assert len(d.list_all(api, g["id"], "special-dates", limit=1)) == 51


@pytest.mark.parametrize("section", SECTIONS)
def test_method_not_allowed_405(api, db, owner, owner_items, section):
    item = owner_items[section]
    with db.unchanged():
        for method, p in (("PUT", d.path(owner["id"], section)), ("DELETE", d.path(owner["id"], section)),
                          ("PUT", d.path(owner["id"], section, item["id"])),
                          ("POST", d.path(owner["id"], section, item["id"]))):
            r = api(method, p, key="frontdesk", body={} if method in ("PUT", "POST") else None, unknown_route=True)
            h.assert_problem(r, 405, "method-not-allowed")
            allow = {m.strip() for m in (r.headers.get("Allow") or "").split(",")}
            expected = {"GET", "POST"} if p.endswith(section) else {"GET", "PATCH", "DELETE"}
            assert expected <= allow and method not in allow, (p, r.headers.get("Allow"))


def test_patch_rules_apply_to_the_merged_item(api, make_guest, db):
    """Cross-field rules are checked on the stored item with the patch applied."""
    g = make_guest()
    gid = g["id"]
    ch = d.charge(api, gid, "2024-04-01T08:00:00Z", category="dining", dining_type="breakfast")
    st = d.stay(api, gid, "2024-04-01", rate_amount="120", currency="EUR")
    cp = d.complaint(api, gid, status="resolved", feedback_score=4)
    cases = [("consumptions", ch, {"category": "bar"}, "/dining_type"),
             ("stays", st, {"currency": None}, "/currency"),
             ("stays", st, {"check_in": "2024-04-03"}, "/check_out"),
             ("complaints", cp, {"status": "in_progress", "feedback_score": None}, "/status")]
    for section, item, patch, pointer in cases:
        before = db.item_row(d.TABLE[section], item["id"])
        with db.unchanged():
            r = api("PATCH", d.path(gid, section, item["id"]), key="frontdesk", body=patch)
            h.assert_problem(r, 422, "invalid-field", fields=[pointer])
        assert db.item_row(d.TABLE[section], item["id"]) == before
    # both members together are fine
    p = d.patch(api, gid, "consumptions", ch["id"], {"category": "bar", "dining_type": None})
    assert (p["category"], p["dining_type"]) == ("bar", None)
    p = d.patch(api, gid, "stays", st["id"], {"currency": None, "rate_amount": None})
    assert (p["currency"], p["rate_amount"]) == (None, None)
