"""The profile card: GET /v1/guests/{id} (and the bodies of POST/PATCH/restore) with stats, preferences,
special dates and recent stays; the marketing card; search items without the card."""

import urllib.parse

import pytest

import gd_dossier as d
import gd_helpers as h

# after test_reconnect.py the session server may give one 503 per killed connection
pytestmark = pytest.mark.usefixtures("server_warm")

EMPTY_STATS = {"stays": 0, "nights": 0, "total_spend": "0.00", "currency": "EUR", "average_spend_per_stay": None,
               "last_stay_at": None, "complaints": 0, "open_complaints": 0, "complaint_ratio": None}

SENSITIVE = ("allergy", "taboo", "hygiene")


def test_new_guest_card_is_empty(api, make_guest):
    g = make_guest()
    for k in d.CARD_KEYS:
        assert k in g, f"POST /v1/guests body lacks the card member {k}: {g}"
    assert g["stats"] == EMPTY_STATS
    assert g["preferences"] == [] and g["special_dates"] == [] and g["recent_stays"] == []
    c = d.card(api, g["id"])
    assert c["stats"] == EMPTY_STATS
    assert c["preferences"] == [] and c["special_dates"] == [] and c["recent_stays"] == []
    c = d.card(api, g["id"], key="ops")
    assert c["stats"] == EMPTY_STATS and c["recent_stays"] == []


def test_stats_after_completed_stays_and_charges(api, make_guest):
    g = make_guest()
    gid = g["id"]
    a = d.stay(api, gid, "2025-01-10", nights=3)                     # completed
    d.stay(api, gid, "2025-02-01", nights=2)                         # completed, latest completed check_out 02-03
    d.stay(api, gid, "2025-06-01", nights=4, status="reserved")      # later, does not count
    d.stay(api, gid, "2025-05-01", nights=3, status="cancelled")
    d.stay(api, gid, "2025-04-01", nights=1, status="no_show")
    d.stay(api, gid, "2025-04-10", nights=2, status="in_house")

    ts = "2025-01-11T20:00:00Z"
    d.charge(api, gid, ts, amount="100.00", payment_status="paid")
    d.charge(api, gid, ts, amount="50.50")                                   # pending counts
    d.charge(api, gid, ts, amount="10.25", payment_status="disputed")        # counts
    d.charge(api, gid, ts, amount="4.95", payment_status="unpaid", category="minibar")  # counts
    d.charge(api, gid, ts, amount="20.00", payment_status="written_off")     # left out
    d.charge(api, gid, ts, amount="30.00", currency="USD", payment_status="paid")  # no rate: left out
    d.charge(api, gid, ts, amount="1000", currency="GBP")                    # no rate: left out

    d.complaint(api, gid)                                   # open
    d.complaint(api, gid, status="in_progress")
    d.complaint(api, gid, status="resolved", feedback_score=4)
    d.complaint(api, gid, status="closed")

    expected = {"stays": 2, "nights": 5, "total_spend": "165.70", "currency": "EUR",
                "average_spend_per_stay": "82.85", "last_stay_at": "2025-02-03", "complaints": 4,
                "open_complaints": 2, "complaint_ratio": 2}
    c = d.card(api, gid)
    assert c["stats"] == expected, c["stats"]
    assert d.card(api, gid, key="ops")["stats"] == expected
    assert d.card(api, gid, key="marketing")["stats"] == expected

    # a third completed stay: ratio 4/3 rounded to 4 decimals
    d.stay(api, gid, "2024-12-01", nights=1)
    s = d.card(api, gid)["stats"]
    assert s["stays"] == 3 and s["nights"] == 6 and s["last_stay_at"] == "2025-02-03"
    assert s["complaint_ratio"] == 1.3333 and s["average_spend_per_stay"] == "55.23", s

    # deleting a stay updates the stats at once
    r = api("DELETE", d.path(gid, "stays", a["id"]), key="frontdesk")
    assert r.status == 204, r
    s = d.card(api, gid)["stats"]
    assert (s["stays"], s["nights"], s["average_spend_per_stay"], s["complaint_ratio"]) == (2, 3, "82.85", 2), s


def test_stats_follow_changes_at_once(api, make_guest):
    g = make_guest()
    gid = g["id"]
    st = d.stay(api, gid, "2025-03-01", nights=2, status="reserved")
    ch = d.charge(api, gid, "2025-03-01T20:00:00Z", amount="40.00")
    cp = d.complaint(api, gid)
    s = d.card(api, gid)["stats"]
    assert s == dict(EMPTY_STATS, total_spend="40.00", complaints=1, open_complaints=1), s

    d.patch(api, gid, "stays", st["id"], {"status": "completed"})
    s = d.card(api, gid)["stats"]
    assert (s["stays"], s["nights"], s["last_stay_at"], s["average_spend_per_stay"], s["complaint_ratio"]) == \
        (1, 2, "2025-03-03", "40.00", 1), s

    d.patch(api, gid, "stays", st["id"], {"check_out": "2025-03-05"})
    assert d.card(api, gid)["stats"]["nights"] == 4
    assert d.card(api, gid)["stats"]["last_stay_at"] == "2025-03-05"

    d.patch(api, gid, "consumptions", ch["id"], {"payment_status": "written_off"})
    s = d.card(api, gid)["stats"]
    assert s["total_spend"] == "0.00" and s["average_spend_per_stay"] == "0.00", s
    d.patch(api, gid, "consumptions", ch["id"], {"payment_status": "paid", "amount": "12.34"})
    assert d.card(api, gid)["stats"]["total_spend"] == "12.34"

    d.patch(api, gid, "complaints", cp["id"], {"status": "resolved"})
    s = d.card(api, gid)["stats"]
    assert s["complaints"] == 1 and s["open_complaints"] == 0

    r = api("DELETE", d.path(gid, "complaints", cp["id"]), key="frontdesk")
    assert r.status == 204, r
    r = api("DELETE", d.path(gid, "consumptions", ch["id"]), key="frontdesk")
    assert r.status == 204, r
    d.patch(api, gid, "stays", st["id"], {"status": "cancelled"})
    assert d.card(api, gid)["stats"] == EMPTY_STATS


def test_stats_other_guests_do_not_leak(api, make_guest):
    g1, g2 = make_guest(), make_guest()
    d.stay(api, g1["id"], "2025-03-01", nights=2)
    d.charge(api, g1["id"], "2025-03-01T20:00:00Z", amount="40.00")
    d.complaint(api, g1["id"])
    assert d.card(api, g2["id"])["stats"] == EMPTY_STATS


def test_complaint_ratio_rounding(api, make_guest):
    g = make_guest()
    gid = g["id"]
    for i in range(3):
        d.stay(api, gid, f"2024-0{i + 1}-01", nights=1)
    d.complaint(api, gid, status="closed")
    s = d.card(api, gid)["stats"]
    assert s["complaint_ratio"] == 0.3333 and s["open_complaints"] == 0 and s["complaints"] == 1, s
    d.complaint(api, gid)
    assert d.card(api, gid)["stats"]["complaint_ratio"] == 0.6667


def test_card_preferences_and_special_dates(api, make_guest):
    g = make_guest()
    gid = g["id"]
    # categories chosen so that alphabetical and declaration order agree
    made = [d.create(api, gid, "preferences", category=c, key=k, value="v")
            for c, k in (("taboo", "pork"), ("dining", "wine"), ("travel_purpose", "main"), ("dining", "diet"),
                         ("hygiene", "towels"), ("dining", "bread"))]
    c = d.card(api, gid)
    assert [(p["category"], p["key"]) for p in c["preferences"]] == [
        ("dining", "bread"), ("dining", "diet"), ("dining", "wine"), ("hygiene", "towels"), ("taboo", "pork"),
        ("travel_purpose", "main")]
    by_id = {p["id"]: p for p in made}
    for p in c["preferences"]:
        assert p == by_id[p["id"]], "card preferences are the full preference items"

    dates = [d.create(api, gid, "special-dates", kind=k, date=dt)
             for k, dt in (("birthday", "1980-12-24"), ("anniversary", "2001-03-05"), ("other", "1990-03-05"),
                           ("anniversary", "2024-02-29"), ("other", "2000-01-31"))]
    c = d.card(api, gid)
    tie = sorted([x for x in dates if x["date"].endswith("03-05")], key=lambda x: x["id"])
    expected = [dates[4], dates[3]] + tie + [dates[0]]
    assert [x["id"] for x in c["special_dates"]] == [x["id"] for x in expected], c["special_dates"]
    assert c["special_dates"] == expected


def test_card_recent_stays_five_newest_by_check_in(api, make_guest):
    g = make_guest()
    gid = g["id"]
    stays = []
    for ci, status in (("2024-05-01", "completed"), ("2025-01-01", "reserved"), ("2023-01-01", "completed"),
                       ("2024-09-01", "cancelled"), ("2022-06-01", "completed"), ("2024-07-01", "no_show"),
                       ("2024-08-01", "completed")):
        stays.append(d.stay(api, gid, ci, nights=2, status=status))
    c = d.card(api, gid)
    newest = sorted(stays, key=lambda s: s["check_in"], reverse=True)[:5]
    assert [s["id"] for s in c["recent_stays"]] == [s["id"] for s in newest]
    assert c["recent_stays"] == newest, "recent_stays are the full stay items"
    assert c["stats"]["stays"] == 4 and c["stats"]["last_stay_at"] == "2024-08-03"

    # fewer than five
    g2 = make_guest()
    s1 = d.stay(api, g2["id"], "2024-01-01", status="reserved")
    assert [s["id"] for s in d.card(api, g2["id"])["recent_stays"]] == [s1["id"]]


def test_card_in_patch_and_restore_bodies(api, make_guest):
    g = make_guest()
    gid = g["id"]
    d.stay(api, gid, "2025-03-01", nights=2)
    p = d.create(api, gid, "preferences", category="room", key="floor", value="high")
    r = api("PATCH", f"/v1/guests/{gid}", key="frontdesk", body={"notes": "card"})
    assert r.status == 200, r
    body = r.json()
    assert body["stats"]["stays"] == 1 and [x["id"] for x in body["preferences"]] == [p["id"]]
    assert len(body["recent_stays"]) == 1
    r = api("DELETE", f"/v1/guests/{gid}", key="frontdesk")
    assert r.status == 204, r
    r = api("POST", f"/v1/guests/{gid}/restore", key="ops")
    assert r.status == 200, r
    assert r.json()["stats"]["stays"] == 1 and len(r.json()["recent_stays"]) == 1


def test_marketing_card(api, make_guest):
    g = make_guest(ethnicity="sentinel", notes="secret note", birth_date="1985-03-14", marketing_consent=False,
                   phone="+33612345678", email=f"m.{h.tok(6)}@example.com",
                   id_document={"type": "passport", "number": "P1234567"},
                   address={"line1": "1 Rue A", "city": "Paris", "country": "FR"})
    gid = g["id"]
    d.stay(api, gid, "2025-03-01", nights=2)
    d.stay(api, gid, "2025-04-01", nights=1, status="reserved")
    for cat in ("allergy", "taboo", "hygiene", "room", "dining", "hobby"):
        d.create(api, gid, "preferences", category=cat, key="k", value="v")
    d.create(api, gid, "special-dates", kind="birthday", date="1985-03-14")
    full = d.card(api, gid)
    m = d.card(api, gid, key="marketing")
    assert "recent_stays" not in m, m
    assert [(p["category"], p["key"]) for p in m["preferences"]] == \
        [(p["category"], p["key"]) for p in full["preferences"] if p["category"] not in SENSITIVE]
    assert {p["category"] for p in m["preferences"]} == {"room", "dining", "hobby"}
    assert m["stats"] == full["stats"]
    # the birthday among the special dates shows no year, as birth_date does (DESIGN §14)
    [birthday] = full["special_dates"]
    assert m["special_dates"] == [{**{k: v for k, v in birthday.items() if k != "date"}, "birthday": "03-14"}]
    # basic masking as before
    for k in ("ethnicity", "id_document", "notes", "birth_date", "phone", "email"):
        assert k not in m, f"marketing card shows {k}: {m}"
    assert m["birthday"] == "03-14"
    assert m["address"] == {"city": "Paris", "country": "FR"}
    text = str(m)
    assert "sentinel" not in text and "secret note" not in text and "P1234567" not in text


def test_search_items_have_no_card(api, make_guest):
    name = "Cardless" + h.tok(8).capitalize()
    g = make_guest(family_name=name)
    d.stay(api, g["id"], "2025-03-01", nights=2)
    d.create(api, g["id"], "preferences")
    d.create(api, g["id"], "special-dates")
    for key in ("frontdesk", "ops"):
        r = api("GET", "/v1/guests?" + urllib.parse.urlencode({"q": name}), key=key)
        assert r.status == 200, r
        items = [i for i in r.json()["items"] if i["id"] == g["id"]]
        assert len(items) == 1, r.json()
        for k in d.CARD_KEYS:
            assert k not in items[0], f"search item carries {k}: {items[0]}"
