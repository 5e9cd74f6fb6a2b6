"""Inferred preferences ("the system notices"): room type, party size, dining type, amenities."""

import datetime

import pytest

import gd_dossier as d
import gd_helpers as h

# after test_reconnect.py the session server may give one 503 per killed connection
pytestmark = pytest.mark.usefixtures("server_warm")


def stays(api, gid, specs, start="2020-01-05"):
    """Creates stays oldest first, one month apart; spec = dict of stay fields (status defaults to completed)."""
    day = datetime.date.fromisoformat(start)
    out = []
    for i, spec in enumerate(specs):
        spec = dict(spec)
        ci = datetime.date(day.year + (day.month - 1 + i) // 12, (day.month - 1 + i) % 12 + 1, day.day)
        out.append(d.stay(api, gid, ci, nights=spec.pop("nights", 2), status=spec.pop("status", "completed"),
                          **spec))
    return out


def inferred(api, gid, category, key):
    p = d.pref(api, gid, category, key)
    if p is not None and p["source"] == "inferred":
        return p
    return None


def assert_inferred(api, gid, category, key, value, evidence):
    p = d.pref(api, gid, category, key)
    assert p is not None, f"no preference ({category}, {key}); all: {d.preferences(api, gid)}"
    assert (p["value"], p["source"], p["evidence"]) == (value, "inferred", evidence), p
    assert p["guest_id"] == gid and p["note"] is None, p
    return p


# party sizes 1, 2, 3, 4, 5 ... never repeat, so no party_size preference gets in the way
def distinct_party(i):
    return {"adults": i + 1}


# ---------------------------------------------------------------- room type


def test_three_deluxe_stays_infer_room_type(api, make_guest):
    g = make_guest()
    gid = g["id"]
    stays(api, gid, [dict(room_type="deluxe", **distinct_party(i)) for i in range(2)])
    assert d.pref(api, gid, "room", "room_type") is None, "two stays are not enough"
    d.stay(api, gid, "2021-06-01", room_type="deluxe", adults=3)
    p = assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 3 of the last 3 stays")
    assert h.UUID_RE.match(p["id"]) and p["version"] >= 1
    # the card shows it too
    assert p["id"] in [x["id"] for x in d.card(api, gid)["preferences"]]
    # and nothing else was inferred
    assert [(x["category"], x["key"]) for x in d.preferences(api, gid)] == [("room", "room_type")]


def test_three_of_five_then_majority_changes(api, make_guest):
    g = make_guest()
    gid = g["id"]
    types = ["deluxe", "standard", "deluxe", "standard", "deluxe"]
    stays(api, gid, [dict(room_type=t, **distinct_party(i)) for i, t in enumerate(types)])
    assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 3 of the last 5 stays")
    # a newer standard stay: the last five are standard, deluxe, standard, deluxe, standard
    d.stay(api, gid, "2021-01-05", room_type="standard", adults=6)
    assert_inferred(api, gid, "room", "room_type", "standard", "standard on 3 of the last 5 stays")
    assert len([p for p in d.preferences(api, gid) if p["category"] == "room"]) == 1


def test_evidence_updated_on_fourth_stay(api, make_guest):
    g = make_guest()
    gid = g["id"]
    stays(api, gid, [dict(room_type="deluxe", **distinct_party(i)) for i in range(3)])
    assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 3 of the last 3 stays")
    d.stay(api, gid, "2021-01-05", room_type="deluxe", adults=9)
    assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 4 of the last 4 stays")
    d.stay(api, gid, "2021-03-05", room_type="suite", adults=10)
    assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 4 of the last 5 stays")
    d.stay(api, gid, "2021-05-05", room_type="suite", adults=11)
    # last five: suite, suite, deluxe, deluxe, deluxe (the oldest deluxe dropped out)
    assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 3 of the last 5 stays")


def test_stays_without_room_type_are_not_counted(api, make_guest):
    """M counts the completed stays that have a room type, among the last five completed stays."""
    g = make_guest()
    gid = g["id"]
    specs = [dict(room_type="deluxe", adults=1), dict(adults=2), dict(room_type="deluxe", adults=3),
             dict(room_type="deluxe", adults=4), dict(adults=5)]
    stays(api, gid, specs)
    assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 3 of the last 3 stays")


def test_only_the_last_five_completed_stays_count(api, make_guest):
    """Three deluxe stays, then three newer completed stays without a room type: among the last five completed
    stays only two have a room type, so nothing is inferred."""
    g = make_guest()
    gid = g["id"]
    specs = [dict(room_type="deluxe", adults=i + 1) for i in range(3)] + [dict(adults=i + 4) for i in range(3)]
    stays(api, gid, specs)
    assert d.pref(api, gid, "room", "room_type") is None, d.preferences(api, gid)


def test_only_completed_stays_count(api, make_guest):
    g = make_guest()
    gid = g["id"]
    made = stays(api, gid, [dict(room_type="deluxe", adults=1), dict(room_type="deluxe", adults=2),
                            dict(room_type="deluxe", adults=3, status="reserved"),
                            dict(room_type="deluxe", adults=4, status="cancelled"),
                            dict(room_type="deluxe", adults=5, status="in_house"),
                            dict(room_type="deluxe", adults=6, status="no_show")])
    assert d.pref(api, gid, "room", "room_type") is None, d.preferences(api, gid)
    # the reserved stay is completed later: now three of three
    d.patch(api, gid, "stays", made[2]["id"], {"status": "completed"})
    assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 3 of the last 3 stays")


def test_room_type_change_of_a_completed_stay_reruns_rules(api, make_guest):
    g = make_guest()
    gid = g["id"]
    made = stays(api, gid, [dict(room_type="deluxe", **distinct_party(i)) for i in range(3)])
    assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 3 of the last 3 stays")
    d.patch(api, gid, "stays", made[0]["id"], {"room_type": "suite"})
    assert d.pref(api, gid, "room", "room_type") is None, "evidence no longer holds (2 of 3)"


def test_inferred_removed_when_stays_are_cancelled(api, make_guest, db):
    g = make_guest()
    gid = g["id"]
    made = stays(api, gid, [dict(room_type="deluxe", **distinct_party(i)) for i in range(3)])
    p = assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 3 of the last 3 stays")
    d.patch(api, gid, "stays", made[1]["id"], {"status": "cancelled"})
    assert d.pref(api, gid, "room", "room_type") is None, d.preferences(api, gid)
    assert db.item_row("preference", p["id"]) is None
    r = api("GET", d.path(gid, "preferences", p["id"]), key="frontdesk")
    h.assert_problem(r, 404, "not-found")
    # completed again: inferred again
    d.patch(api, gid, "stays", made[1]["id"], {"status": "completed"})
    assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 3 of the last 3 stays")


def test_staff_preference_never_overwritten(api, make_guest):
    g = make_guest()
    gid = g["id"]
    staff = d.create(api, gid, "preferences", category="room", key="room_type", value="suite")
    stays(api, gid, [dict(room_type="deluxe", **distinct_party(i)) for i in range(4)])
    p = d.pref(api, gid, "room", "room_type")
    assert p == staff, f"a staff preference was touched by inference: {p}"


def test_guest_preference_never_overwritten(api, make_guest):
    g = make_guest()
    gid = g["id"]
    mine = d.create(api, gid, "preferences", category="room", key="room_type", value="family", source="guest")
    stays(api, gid, [dict(room_type="deluxe", **distinct_party(i)) for i in range(3)])
    assert d.pref(api, gid, "room", "room_type") == mine


def test_patch_of_inferred_makes_it_staff(api, make_guest):
    g = make_guest()
    gid = g["id"]
    stays(api, gid, [dict(room_type="deluxe", **distinct_party(i)) for i in range(3)])
    p = assert_inferred(api, gid, "room", "room_type", "deluxe", "deluxe on 3 of the last 3 stays")
    q = d.patch(api, gid, "preferences", p["id"], {"note": "confirmed with the guest"})
    assert q["source"] == "staff" and q["value"] == "deluxe" and q["note"] == "confirmed with the guest", q
    assert q["id"] == p["id"] and q["version"] == p["version"] + 1
    # from now on inference leaves it alone, whatever the history says
    stays(api, gid, [dict(room_type="standard", adults=10 + i) for i in range(5)], start="2022-01-05")
    r = d.pref(api, gid, "room", "room_type")
    assert (r["id"], r["source"], r["value"], r["note"]) == (p["id"], "staff", "deluxe", "confirmed with the guest"), r


def test_patch_of_inferred_with_source_guest(api, make_guest):
    g = make_guest()
    gid = g["id"]
    stays(api, gid, [dict(room_type="deluxe", **distinct_party(i)) for i in range(3)])
    p = d.pref(api, gid, "room", "room_type")
    q = d.patch(api, gid, "preferences", p["id"], {"source": "guest", "value": "suite"})
    assert (q["source"], q["value"]) == ("guest", "suite"), q


def test_deleting_an_inferred_preference(api, make_guest):
    g = make_guest()
    gid = g["id"]
    stays(api, gid, [dict(room_type="deluxe", **distinct_party(i)) for i in range(3)])
    p = d.pref(api, gid, "room", "room_type")
    r = api("DELETE", d.path(gid, "preferences", p["id"]), key="frontdesk")
    assert r.status == 204, r
    assert d.pref(api, gid, "room", "room_type") is None


# ---------------------------------------------------------------- party size


def test_party_size(api, make_guest):
    g = make_guest()
    gid = g["id"]
    stays(api, gid, [dict(adults=2), dict(adults=2, children=0), dict(adults=1, children=1)])
    assert_inferred(api, gid, "habit", "party_size", "2", "2 guests on 3 of the last 3 stays")
    stays(api, gid, [dict(adults=2, children=1), dict(adults=1, children=2)], start="2021-01-05")
    # sizes (newest first): 3, 3, 2, 2, 2
    assert_inferred(api, gid, "habit", "party_size", "2", "2 guests on 3 of the last 5 stays")
    d.stay(api, gid, "2022-01-05", adults=3)
    # 3, 3, 3, 2, 2
    assert_inferred(api, gid, "habit", "party_size", "3", "3 guests on 3 of the last 5 stays")


def test_party_size_needs_three(api, make_guest):
    g = make_guest()
    gid = g["id"]
    stays(api, gid, [dict(adults=2), dict(adults=2), dict(adults=3), dict(adults=4), dict(adults=5)])
    assert d.pref(api, gid, "habit", "party_size") is None


# ---------------------------------------------------------------- dining


def dining(api, gid, types, day=1, category="dining"):
    """Charges one hour apart from 2020-03-<day> 06:00 UTC, oldest first (None: a charge without dining_type)."""
    base = datetime.datetime(2020, 3, day, 6, 0, tzinfo=datetime.timezone.utc)
    out = []
    for i, t in enumerate(types):
        fields = {"dining_type": t} if t else {}
        out.append(d.charge(api, gid, h.fmt_ts(base + datetime.timedelta(hours=i)), amount="15.00",
                            category=category, **fields))
    return out


def test_three_breakfasts_infer_dining_type(api, make_guest):
    g = make_guest()
    gid = g["id"]
    dining(api, gid, ["breakfast", "breakfast"])
    dining(api, gid, [None, None], day=10)                          # dining without a type: not counted
    dining(api, gid, [None, None, None], day=15, category="bar")    # not dining
    assert d.pref(api, gid, "dining", "dining_type") is None
    dining(api, gid, ["breakfast"], day=20)
    assert_inferred(api, gid, "dining", "dining_type", "breakfast", "breakfast on 3 of the last 3 dining charges")
    assert [(x["category"], x["key"]) for x in d.preferences(api, gid)] == [("dining", "dining_type")]


def test_dining_needs_half_of_the_charges(api, make_guest):
    g = make_guest()
    gid = g["id"]
    dining(api, gid, ["breakfast", "dinner", "breakfast", "lunch", "breakfast", "dinner", "lunch"])
    # breakfast 3 of 7: not half
    assert d.pref(api, gid, "dining", "dining_type") is None
    dining(api, gid, ["breakfast"], day=20)
    # breakfast 4 of 8: half
    assert_inferred(api, gid, "dining", "dining_type", "breakfast", "breakfast on 4 of the last 8 dining charges")
    dining(api, gid, ["dinner", "dinner", "dinner", "dinner"], day=21)
    # 12 charges: dinner 6 of 12 is the most frequent and half
    assert_inferred(api, gid, "dining", "dining_type", "dinner", "dinner on 6 of the last 12 dining charges")


def test_dining_only_last_twenty(api, make_guest):
    g = make_guest()
    gid = g["id"]
    dining(api, gid, ["dinner", "breakfast", "room_service", "banquet"] * 5, day=1)
    dining(api, gid, ["lunch", "dinner"] * 9 + ["lunch", "lunch"], day=5)
    # over all 40 charges the most frequent is dinner, 14 of 40 (not half); over the last 20, lunch 11 of 20
    assert_inferred(api, gid, "dining", "dining_type", "lunch", "lunch on 11 of the last 20 dining charges")


def test_dining_consumption_change_reruns_rules(api, make_guest):
    g = make_guest()
    gid = g["id"]
    made = dining(api, gid, ["lunch", "lunch", "lunch"])
    assert_inferred(api, gid, "dining", "dining_type", "lunch", "lunch on 3 of the last 3 dining charges")
    d.patch(api, gid, "consumptions", made[0]["id"], {"dining_type": "dinner"})
    assert d.pref(api, gid, "dining", "dining_type") is None
    d.patch(api, gid, "consumptions", made[0]["id"], {"dining_type": "lunch"})
    assert_inferred(api, gid, "dining", "dining_type", "lunch", "lunch on 3 of the last 3 dining charges")


def test_dining_staff_preference_kept(api, make_guest):
    g = make_guest()
    gid = g["id"]
    staff = d.create(api, gid, "preferences", category="dining", key="dining_type", value="room_service")
    dining(api, gid, ["breakfast"] * 4)
    assert d.pref(api, gid, "dining", "dining_type") == staff


# ---------------------------------------------------------------- amenities


def test_amenities_used(api, make_guest):
    g = make_guest()
    gid = g["id"]
    stays(api, gid, [dict(amenities_used={"minibar": 2, "spa": 0, "gym": 1}, adults=1),
                     dict(amenities_used={"minibar": 1, "spa": 0}, adults=2),
                     dict(amenities_used={"minibar": 5, "gym": 1}, adults=3)])
    assert_inferred(api, gid, "amenity", "minibar", "used", "used on 3 of the last 3 stays")
    assert d.pref(api, gid, "amenity", "spa") is None, "a count of 0 is not a use"
    assert d.pref(api, gid, "amenity", "gym") is None, "2 of 3 is not enough"
    stays(api, gid, [dict(amenities_used={"gym": 3}, adults=4), dict(amenities_used={}, adults=5)],
          start="2021-01-05")
    # five stays: minibar on 3 of 5 (60 %), gym on 3 of 5
    assert_inferred(api, gid, "amenity", "minibar", "used", "used on 3 of the last 5 stays")
    assert_inferred(api, gid, "amenity", "gym", "used", "used on 3 of the last 5 stays")
    d.stay(api, gid, "2022-01-05", adults=6)
    # the oldest (minibar + gym) drops out: minibar 2 of 5, gym 2 of 5
    assert d.pref(api, gid, "amenity", "minibar") is None
    assert d.pref(api, gid, "amenity", "gym") is None


def test_amenities_of_non_completed_stays_ignored(api, make_guest):
    g = make_guest()
    gid = g["id"]
    stays(api, gid, [dict(amenities_used={"pool": 1}, adults=1, status="in_house"),
                     dict(amenities_used={"pool": 1}, adults=2, status="cancelled"),
                     dict(amenities_used={"pool": 1}, adults=3),
                     dict(amenities_used={"pool": 2}, adults=4)])
    assert d.pref(api, gid, "amenity", "pool") is None, "only 2 completed stays used the pool"


def test_inferred_preferences_of_other_guests_untouched(api, make_guest):
    g1, g2 = make_guest(), make_guest()
    stays(api, g1["id"], [dict(room_type="deluxe", **distinct_party(i)) for i in range(3)])
    stays(api, g2["id"], [dict(room_type="deluxe", **distinct_party(i)) for i in range(2)])
    assert d.pref(api, g2["id"], "room", "room_type") is None
    assert d.pref(api, g1["id"], "room", "room_type")["value"] == "deluxe"
