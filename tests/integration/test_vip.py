"""GET /v1/vip: the VIP list for marketing (JSON pages, filters, keyset pages, the marketing view) and its CSV
download (RFC 4180, formula-injection prefix, streamed with flat memory).

The database is shared with the other modules: each test gives its guests a nationality no other module uses
(Pacific states) and looks at its own guests only, so guests made elsewhere cannot disturb the assertions."""

import calendar
import csv
import datetime
import http.client
import io
import json
import socket
import subprocess
import time
import urllib.parse

import pytest

import gd_dossier as d
import gd_helpers as h

pytestmark = pytest.mark.usefixtures("server_warm")

# the columns of the CSV export, in order (vip_columns of src/http/h_vip.c)
VIP_COLUMNS = ["id", "family_name", "given_name", "tier", "score", "colour", "nationality", "language", "birthday",
               "email", "phone", "marketing_consent", "vip_code", "next_occasion.kind", "next_occasion.date"]
ENTRY_KEYS = {"id", "family_name", "given_name", "nationality", "language", "marketing_consent", "vip_code", "score",
              "tier", "colour", "next_occasion", "birthday"}
CONTACT_KEYS = {"email", "phone"}
NEVER_IN_ENTRY = {"ethnicity", "id_document", "notes", "birth_date", "address", "native_place", "gender",
                  "legal_hold", "version", "created_at", "updated_at", "deleted_at", "external_refs", "loyalty",
                  "stats", "preferences", "special_dates", "recent_stays"}
CSV_TYPE = "text/csv; charset=utf-8"
DISPOSITION = 'attachment; filename="vip.csv"'


# ------------------------------------------------------------------ helpers


def url(**params):
    params = {k: v for k, v in params.items() if v is not None}
    return "/v1/vip" + ("?" + urllib.parse.urlencode(params) if params else "")


def page(api, key="marketing", **params):
    r = api("GET", url(**params), key=key)
    assert r.status == 200, r
    assert r.media_type == "application/json", r.headers.get("Content-Type")
    assert r.headers.get("Content-Disposition") is None, "a JSON page must not be an attachment"
    return r.json()


def walk(api, key="marketing", limit=500, **params):
    """Every entry of the list for these filters, page by page (asserts no duplicates, cursors advance)."""
    items, cursor, seen = [], None, set()
    for _ in range(1000):
        body = page(api, key=key, limit=limit, cursor=cursor, **params)
        assert len(body["items"]) <= limit, body
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert body["items"], "a page with a next_cursor must not be empty"
        assert cursor not in seen, f"cursor repeated: {cursor}"
        seen.add(cursor)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)), f"duplicates in the VIP walk: {ids}"
    return items


def mine(items, ids):
    """The entries of `ids`, in list order."""
    ids = set(ids)
    return [i for i in items if i["id"] in ids]


def by_id(items):
    return {i["id"]: i for i in items}


def export(api, key="marketing", accept="text/csv", **params):
    """The CSV download for these filters: (response, header row, rows as dicts)."""
    r = api("GET", url(**params), key=key, headers={"Accept": accept}, timeout=60)
    assert r.status == 200, r
    return r, *parse_csv(r)


def parse_csv(r):
    assert r.headers.get("Content-Type") == CSV_TYPE, r.headers.get("Content-Type")
    assert r.headers.get("Content-Disposition") == DISPOSITION, r.headers.get("Content-Disposition")
    body = r.body
    assert not body.startswith(b"\xef\xbb\xbf"), "the CSV must not start with a byte order mark"
    assert body.endswith(b"\r\n"), f"the CSV must end with CRLF: {body[-40:]!r}"
    text = body.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    assert rows, "the CSV has no header row"
    header = rows[0]
    for row in rows[1:]:
        assert len(row) == len(header), f"row with {len(row)} fields, header has {len(header)}: {row}"
    return header, [dict(zip(header, row)) for row in rows[1:]]


def formula_safe(text):
    """What the export writes for a string: an apostrophe first when it could start a formula."""
    return "'" + text if text and text[0] in "=+-@\t\r" else text


def expected_cell(value):
    if value is None:
        return ""
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, str):
        return formula_safe(value)
    raise AssertionError(f"not a plain value: {value!r}")


def assert_row_matches(row, entry):
    """One CSV row against the JSON entry of the same guest (the same marketing view)."""
    for col in VIP_COLUMNS:
        if col == "score":
            # a plain decimal: 78.4, 64
            assert row[col] == f"{entry['score']:.15g}", (row[col], entry["score"])
            continue
        if col.startswith("next_occasion."):
            occ = entry["next_occasion"]
            value = None if occ is None else occ[col.split(".", 1)[1]]
        elif col in CONTACT_KEYS:
            value = entry.get(col)
        else:
            value = entry[col]
        assert row[col] == expected_cell(value), f"column {col}: CSV {row[col]!r}, JSON {value!r}\nrow {row}"


def loyalty(api, gid):
    r = api("GET", f"/v1/guests/{gid}/loyalty", key="frontdesk")
    assert r.status == 200, r
    return r.json()


def config(api):
    r = api("GET", "/v1/loyalty/config", key="marketing")
    assert r.status == 200, r
    return r.json()


def recurrence_in(day, year):
    """The day `day` recurs in `year`; 29 February falls on the 28th in other years."""
    return datetime.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def next_recurrence(day, frm):
    r = recurrence_in(day, frm.year)
    return r if r >= frm else recurrence_in(day, frm.year + 1)


def born(md_of):
    """A 1980 birth date on the month and day of `md_of` (1980 is a leap year: 29 February exists)."""
    return datetime.date(1980, md_of.month, md_of.day)


@pytest.fixture(scope="module")
def today():
    return h.utc_today()


# ------------------------------------------------------------------ order


def test_best_first_then_id(api, make_guest, today):
    nat = "TV"
    plain = [make_guest(nationality=nat)["id"] for _ in range(3)]
    recent = make_guest(nationality=nat)["id"]
    d.stay(api, recent, today - datetime.timedelta(days=12), nights=2)
    rich = make_guest(nationality=nat)["id"]
    d.stay(api, rich, today - datetime.timedelta(days=12), nights=2)
    d.charge(api, rich, (today - datetime.timedelta(days=11)).isoformat() + "T20:00:00Z", amount="2500.00",
             payment_status="paid")
    old = make_guest(nationality=nat)["id"]
    d.stay(api, old, today - datetime.timedelta(days=400), nights=3)
    ids = plain + [recent, rich, old]
    scores = {g: loyalty(api, g)["score"] for g in ids}
    assert all(scores[g] == 20.0 for g in plain), scores
    assert len({scores[recent], scores[rich], scores[old], 20.0}) == 4, f"setup: scores not distinct: {scores}"
    expected = sorted(ids, key=lambda g: (-scores[g], g))

    items = walk(api, nationality=nat)
    got = [i["id"] for i in mine(items, ids)]
    assert got == expected, f"VIP order {got} != score desc, id asc {expected} (scores {scores})"
    # the whole list (other modules' guests too) is best first, then by id
    everything = walk(api)
    keys = [(-i["score"], i["id"]) for i in everything]
    assert keys == sorted(keys), "the unfiltered VIP list is not ordered by score desc, then id"
    assert [i["id"] for i in mine(everything, ids)] == expected


def test_entry_score_tier_and_colour_match_loyalty(api, make_guest, today):
    nat = "TV"
    gid = make_guest(nationality=nat)["id"]
    d.stay(api, gid, today - datetime.timedelta(days=5), nights=1)
    l = loyalty(api, gid)
    colours = {t["name"]: t["colour"] for t in config(api)["tiers"]}
    entry = by_id(walk(api, nationality=nat))[gid]
    assert entry["score"] == l["score"], (entry, l)
    assert entry["tier"] == l["tier"], (entry, l)
    assert entry["colour"] == colours[l["tier"]], (entry, colours)
    assert entry["next_occasion"] is None, "without upcoming_days next_occasion is null"


# ------------------------------------------------------------------ filters


@pytest.fixture(scope="module")
def tier_guests(api, make_guest, today):
    """NR guests: plain (standard, 20.0), lifted (vip_code: the floor tier, still 20.0), strong (history)."""
    nat = "NR"
    plain = make_guest(nationality=nat)["id"]
    lifted = make_guest(nationality=nat, vip_code="GOLD-" + h.tok(6).upper())["id"]
    strong = make_guest(nationality=nat)["id"]
    d.stay(api, strong, today - datetime.timedelta(days=3), nights=2)
    d.charge(api, strong, (today - datetime.timedelta(days=3)).isoformat() + "T20:00:00Z", amount="5000.00",
             payment_status="paid")
    return {"nat": nat, "plain": plain, "lifted": lifted, "strong": strong,
            "scores": {g: loyalty(api, g)["score"] for g in (plain, lifted, strong)},
            "tiers": {g: loyalty(api, g)["tier"] for g in (plain, lifted, strong)}}


def test_vip_code_lifts_tier_not_score(api, tier_guests):
    t = tier_guests
    floor = config(api)["vip_floor_tier"]
    entries = by_id(walk(api, nationality=t["nat"]))
    assert entries[t["plain"]]["tier"] == "standard" and entries[t["plain"]]["score"] == 20.0, entries[t["plain"]]
    lifted = entries[t["lifted"]]
    assert lifted["tier"] == floor and lifted["score"] == 20.0, lifted
    assert lifted["vip_code"] is not None


@pytest.mark.parametrize("min_tier, plain, lifted", [
    ("standard", True, True),
    ("silver", False, True),
    ("gold", False, True),
    ("platinum", False, False),
    ("diamond", False, False),
])
def test_min_tier(api, tier_guests, min_tier, plain, lifted):
    t = tier_guests
    ids = {i["id"] for i in walk(api, nationality=t["nat"], min_tier=min_tier)}
    assert (t["plain"] in ids) == plain, f"min_tier={min_tier}: plain standard guest in list: {t['plain'] in ids}"
    assert (t["lifted"] in ids) == lifted, \
        f"min_tier={min_tier}: vip_code-lifted guest (tier gold, score 20.0) in list: {t['lifted'] in ids}"


def test_min_tier_compares_by_configuration_rank(api, tier_guests):
    """Every entry of min_tier=gold is gold or above in the configuration's order, not by name."""
    names = [x["name"] for x in config(api)["tiers"]]
    items = walk(api, min_tier="gold")
    assert all(names.index(i["tier"]) >= names.index("gold") for i in items), \
        sorted({i["tier"] for i in items})
    strong = tier_guests["strong"]
    expected = names.index(tier_guests["tiers"][strong]) >= names.index("gold")
    assert (strong in {i["id"] for i in items}) == expected


def test_min_score(api, tier_guests):
    t = tier_guests
    strong_score = t["scores"][t["strong"]]
    assert strong_score > 20.1, f"setup: the strong guest scores {strong_score}"

    def ids(**params):
        return {i["id"] for i in walk(api, nationality=t["nat"], **params)}

    assert {t["plain"], t["lifted"], t["strong"]} <= ids(min_score="0")
    assert {t["plain"], t["lifted"], t["strong"]} <= ids(min_score="20")
    assert {t["plain"], t["lifted"], t["strong"]} <= ids(min_score="20.0")
    got = ids(min_score="20.1")
    assert t["plain"] not in got and t["lifted"] not in got and t["strong"] in got, got
    # the bound is inclusive
    assert t["strong"] in ids(min_score=f"{strong_score:.1f}")
    assert t["strong"] not in ids(min_score=f"{strong_score + 0.1:.1f}")
    assert t["strong"] not in ids(min_score="100")
    # all filters must hold
    got = ids(min_tier="gold", min_score="20.1")
    assert t["lifted"] not in got and t["plain"] not in got
    for i in walk(api, min_score="55.5"):
        assert i["score"] >= 55.5, i


def test_nationality(api, make_guest):
    a = make_guest(nationality="VU")["id"]
    b = make_guest(nationality="SB")["id"]
    vu = walk(api, nationality="VU")
    assert a in {i["id"] for i in vu} and b not in {i["id"] for i in vu}
    assert all(i["nationality"] == "VU" for i in vu), [i["nationality"] for i in vu]
    sb = {i["id"] for i in walk(api, nationality="SB")}
    assert b in sb and a not in sb


def test_soft_deleted_guests_are_left_out(api, make_guest):
    nat = "SB"
    g = make_guest(nationality=nat, vip_code="V" + h.tok(5))
    assert g["id"] in by_id(walk(api, nationality=nat))
    r = api("DELETE", f"/v1/guests/{g['id']}", key="frontdesk")
    assert r.status == 204, r
    assert g["id"] not in by_id(walk(api, nationality=nat)), "a soft-deleted guest is in the VIP list"
    assert g["id"] not in by_id(walk(api, min_tier="gold"))
    _, _, rows = export(api, nationality=nat)
    assert g["id"] not in {row["id"] for row in rows}, "a soft-deleted guest is in the CSV download"
    r = api("POST", f"/v1/guests/{g['id']}/restore", key="ops")
    assert r.status == 200, r
    assert g["id"] in by_id(walk(api, nationality=nat))


def test_consent(api, make_guest):
    nat = "PW"
    yes = make_guest(nationality=nat, marketing_consent=True, email=f"{h.tok(8)}@example.org",
                     phone="+4144" + h.digits(7))
    no = make_guest(nationality=nat, marketing_consent=False, email=f"{h.tok(8)}@example.org",
                    phone="+4144" + h.digits(7))
    every = by_id(walk(api, nationality=nat))
    assert {yes["id"], no["id"]} <= set(every)
    consenting = walk(api, nationality=nat, consent="true")
    assert yes["id"] in {i["id"] for i in consenting} and no["id"] not in {i["id"] for i in consenting}
    assert all(i["marketing_consent"] is True for i in consenting)
    refusing = walk(api, nationality=nat, consent="false")
    assert no["id"] in {i["id"] for i in refusing} and yes["id"] not in {i["id"] for i in refusing}
    assert all(i["marketing_consent"] is False for i in refusing)
    # the marketing view: contact details only with consent
    e = every[yes["id"]]
    assert e["email"] == yes["email"] and e["phone"] == yes["phone"], e
    assert not CONTACT_KEYS & set(every[no["id"]]), every[no["id"]]


# ------------------------------------------------------------------ upcoming occasions


@pytest.fixture(scope="module")
def occasion_guests(api, make_guest, today):
    nat = "TO"
    day = datetime.timedelta(days=1)
    g = {"nat": nat}
    g["today"] = make_guest(nationality=nat, birth_date=born(today).isoformat())["id"]
    g["tomorrow"] = make_guest(nationality=nat, birth_date=born(today + day).isoformat())["id"]
    g["in40"] = make_guest(nationality=nat, birth_date=born(today + 40 * day).isoformat())["id"]
    g["none"] = make_guest(nationality=nat)["id"]
    g["jan"] = make_guest(nationality=nat)["id"]
    g["jan_label"] = "Wedding " + h.tok(6)
    d.create(api, g["jan"], "special-dates", body={"kind": "anniversary", "date": "2015-01-05",
                                                   "label": g["jan_label"]})
    # nearest wins: an anniversary in 5 days before the birthday in 10
    g["near"] = make_guest(nationality=nat, birth_date=born(today + 10 * day).isoformat())["id"]
    d.create(api, g["near"], "special-dates", body={"kind": "anniversary", "date": born(today + 5 * day).isoformat()})
    # same day: by kind in alphabetical order ("anniversary" before "birthday" and "other")
    g["tie"] = make_guest(nationality=nat, birth_date=born(today + 3 * day).isoformat())["id"]
    d.create(api, g["tie"], "special-dates", body={"kind": "other", "date": born(today + 3 * day).isoformat()})
    d.create(api, g["tie"], "special-dates", body={"kind": "anniversary", "date": born(today + 3 * day).isoformat(),
                                                   "label": "tie"})
    return g


def upcoming(api, g, days):
    return by_id(walk(api, nationality=g["nat"], upcoming_days=str(days)))


def test_upcoming_birthday_tomorrow_included(api, occasion_guests, today):
    g = occasion_guests
    got = upcoming(api, g, 30)
    assert g["tomorrow"] in got, "a birthday tomorrow is within upcoming_days=30"
    tomorrow = today + datetime.timedelta(days=1)
    assert got[g["tomorrow"]]["next_occasion"] == {"kind": "birthday", "date": tomorrow.isoformat(), "label": None}
    assert got[g["tomorrow"]]["birthday"] == f"{tomorrow.month:02d}-{tomorrow.day:02d}"
    assert g["in40"] not in got, "a birthday in 40 days is outside upcoming_days=30"
    assert g["none"] not in got, "a guest without birthday or special dates has no upcoming occasion"
    for e in got.values():
        assert e["next_occasion"] is not None, e


def test_upcoming_bounds_are_inclusive(api, occasion_guests, today):
    g = occasion_guests
    assert g["in40"] in upcoming(api, g, 40), "today + upcoming_days is included"
    expected = next_recurrence(born(today + datetime.timedelta(days=40)), today)
    assert upcoming(api, g, 40)[g["in40"]]["next_occasion"]["date"] == expected.isoformat()
    assert g["in40"] not in upcoming(api, g, 39)
    zero = upcoming(api, g, 0)
    assert g["today"] in zero, "upcoming_days=0 is today"
    assert zero[g["today"]]["next_occasion"] == {"kind": "birthday", "date": today.isoformat(), "label": None}
    assert g["tomorrow"] not in zero


def test_upcoming_wraps_the_year_end(api, occasion_guests, today):
    g = occasion_guests
    expected = next_recurrence(datetime.date(2015, 1, 5), today)
    if today > datetime.date(today.year, 1, 5):
        assert expected.year == today.year + 1
    days = (expected - today).days
    assert 0 <= days <= 366
    got = upcoming(api, g, days)
    assert g["jan"] in got, f"a 01-05 special date is {days} days away ({expected}): upcoming_days={days} includes it"
    assert got[g["jan"]]["next_occasion"] == {"kind": "anniversary", "date": expected.isoformat(),
                                              "label": g["jan_label"]}
    if days > 0:
        assert g["jan"] not in upcoming(api, g, days - 1)


def test_upcoming_nearest_occasion_wins(api, occasion_guests, today):
    g = occasion_guests
    got = upcoming(api, g, 30)
    near = got[g["near"]]["next_occasion"]
    assert near["kind"] == "anniversary" and near["date"] == (today + datetime.timedelta(days=5)).isoformat(), near
    tie = got[g["tie"]]["next_occasion"]
    assert tie == {"kind": "anniversary", "date": (today + datetime.timedelta(days=3)).isoformat(), "label": "tie"}, \
        f"on a tie the kind in alphabetical order wins: {tie}"


def test_no_upcoming_filter_means_null_occasion(api, occasion_guests):
    g = occasion_guests
    got = by_id(walk(api, nationality=g["nat"]))
    for key in ("today", "tomorrow", "in40", "none", "jan", "near", "tie"):
        assert got[g[key]]["next_occasion"] is None, got[g[key]]


def test_feb_29_recurrence_in_sql(db):
    assert db.scalar("SELECT next_recurrence('2000-02-29', '2027-02-01')") == "2027-02-28"
    assert db.scalar("SELECT next_recurrence('2000-02-29', '2028-02-01')") == "2028-02-29"
    assert db.scalar("SELECT next_recurrence('2000-02-29', '2027-03-01')") == "2028-02-29"
    assert db.scalar("SELECT next_recurrence('2000-02-29', '2028-03-01')") == "2029-02-28"
    assert db.scalar("SELECT next_recurrence('1990-12-31', '2026-12-31')") == "2026-12-31"
    assert db.scalar("SELECT next_recurrence('1990-01-01', '2026-12-31')") == "2027-01-01"
    assert db.scalar("SELECT recurrence_in('2000-02-29', 2100)") == "2100-02-28"
    assert db.scalar("SELECT recurrence_in('2000-02-29', 2000)") == "2000-02-29"
    assert db.scalar("SELECT recurrence_in('1999-01-31', 2027)") == "2027-01-31"


def test_feb_29_birthday_upcoming(api, make_guest, db, today):
    """A 29 February birthday's next occasion is the 28th in a common year (as next_recurrence says)."""
    gid = make_guest(nationality="TK", birth_date="1992-02-29")["id"]
    expected = next_recurrence(datetime.date(1992, 2, 29), today)
    assert db.scalar(f"SELECT next_recurrence('1992-02-29', '{today.isoformat()}')") == expected.isoformat()
    days = (expected - today).days
    got = by_id(walk(api, nationality="TK", upcoming_days=str(days)))
    assert gid in got
    assert got[gid]["next_occasion"]["date"] == expected.isoformat()
    assert got[gid]["birthday"] == "02-29"


# ------------------------------------------------------------------ pages


def test_keyset_pages(api, make_guest, today):
    nat = "WS"
    ids = [make_guest(nationality=nat)["id"] for _ in range(4)]
    for n, gid in enumerate(ids[:2]):
        d.stay(api, gid, today - datetime.timedelta(days=20 + 100 * n), nights=1)
    one = walk(api, nationality=nat, limit=500)
    two = walk(api, nationality=nat, limit=2)
    assert [i["id"] for i in two] == [i["id"] for i in one]
    assert set(ids) <= {i["id"] for i in one}
    assert walk(api, nationality=nat, limit=1) == one, "limit=1 walk differs"
    assert walk(api, nationality=nat, limit=2) == two, "a second walk differs (unstable order)"
    first = page(api, nationality=nat, limit=2)
    assert len(first["items"]) == 2 and first["next_cursor"] is not None
    last = page(api, nationality=nat, limit=len(one))
    assert last["next_cursor"] is None, "a page holding the rest has no next_cursor"
    # the cursor keeps the filters' place: the rest after the first page
    rest = page(api, nationality=nat, limit=500, cursor=first["next_cursor"])
    assert [i["id"] for i in first["items"] + rest["items"]] == [i["id"] for i in one]


def test_keyset_walk_across_score_ties(api, make_guest):
    """Many guests at 20.0: the walk over ties goes by id and loses nothing."""
    nat = "FM"
    ids = [make_guest(nationality=nat)["id"] for _ in range(5)]
    got = [i["id"] for i in walk(api, nationality=nat, limit=2) if i["id"] in set(ids)]
    assert got == sorted(ids)


@pytest.mark.parametrize("cursor", ["garbage", "", "eyJ4IjoxfQ"])
def test_bad_cursor(api, cursor):
    h.assert_problem(api("GET", url(cursor=cursor), key="marketing"), 400, "bad-request", fields={"cursor"})


def test_cursor_of_another_list_is_refused(api, make_guest):
    for _ in range(2):
        make_guest(nationality="SB", marketing_consent=True, birth_date="1970-06-15")
    r = api("GET", "/v1/special-dates?from=2030-06-15&to=2030-06-15&limit=1", key="marketing")
    assert r.status == 200, r
    body = r.json()
    assert body["next_cursor"] is not None, body
    h.assert_problem(api("GET", url(cursor=body["next_cursor"]), key="marketing"), 400, "bad-request",
                     fields={"cursor"})


# ------------------------------------------------------------------ bad parameters


@pytest.mark.parametrize("query, fields", [
    ("min_tier=unknown", {"min_tier"}),
    ("min_tier=GOLD", {"min_tier"}),
    ("min_tier=", {"min_tier"}),
    ("min_score=101", {"min_score"}),
    ("min_score=100.1", {"min_score"}),
    ("min_score=abc", {"min_score"}),
    ("min_score=50.55", {"min_score"}),
    ("min_score=-1", {"min_score"}),
    ("min_score=", {"min_score"}),
    ("nationality=XX", {"nationality"}),
    ("nationality=fr", {"nationality"}),
    ("nationality=FRA", {"nationality"}),
    ("consent=maybe", {"consent"}),
    ("consent=TRUE", {"consent"}),
    ("consent=1", {"consent"}),
    ("upcoming_days=367", {"upcoming_days"}),
    ("upcoming_days=-1", {"upcoming_days"}),
    ("upcoming_days=abc", {"upcoming_days"}),
    ("upcoming_days=1.5", {"upcoming_days"}),
    ("upcoming_days=", {"upcoming_days"}),
    ("limit=0", {"limit"}),
    ("limit=501", {"limit"}),
    ("bogus=1", {""}),
    ("min_score=1&min_score=2", {"min_score"}),
    ("min_score=101&nationality=XX&consent=maybe&upcoming_days=400",
     {"min_score", "nationality", "consent", "upcoming_days"}),
])
def test_bad_parameters(api, query, fields):
    r = api("GET", "/v1/vip?" + query, key="marketing")
    h.assert_problem(r, 400, "bad-request", fields=fields)


def test_unknown_tier_is_listed_with_other_broken_filters(api):
    """Every broken filter is listed in errors: an unknown tier as well as a bad nationality."""
    r = api("GET", "/v1/vip?min_tier=nosuchtier&nationality=XX", key="marketing")
    h.assert_problem(r, 400, "bad-request", fields={"min_tier", "nationality"})


@pytest.mark.parametrize("query", ["min_score=100", "min_score=100.0", "min_score=0", "min_score=0.0",
                                   "min_score=99.9", "upcoming_days=0", "upcoming_days=366", "consent=true",
                                   "consent=false", "min_tier=standard", "limit=1", "limit=500"])
def test_edge_values_are_accepted(api, query):
    r = api("GET", "/v1/vip?" + query + "&nationality=AQ", key="marketing")
    assert r.status == 200, r


# ------------------------------------------------------------------ roles


@pytest.mark.parametrize("role, status", [("marketing", 200), ("admin", 200), ("frontdesk", 403), ("ops", 403),
                                          ("anonymous", 401)])
def test_roles(api, role, status):
    r = api("GET", url(nationality="AQ"), key=role)
    if status == 200:
        assert r.status == 200, r
    else:
        h.assert_problem(r, status, "forbidden" if status == 403 else "unauthorized")


@pytest.mark.parametrize("role, status", [("frontdesk", 403), ("ops", 403), ("anonymous", 401)])
def test_roles_csv(api, role, status):
    r = api("GET", url(nationality="AQ"), key=role, headers={"Accept": "text/csv"})
    h.assert_problem(r, status, "forbidden" if status == 403 else "unauthorized")


# ------------------------------------------------------------------ the marketing view


@pytest.fixture(scope="module")
def masked_guests(make_guest):
    nat = "MH"
    full = dict(nationality=nat, given_name="Ana", gender="female", birth_date="1975-08-09", ethnicity="Some",
                native_place="Somewhere", notes="private note",
                address={"line1": "1 Main St", "city": "Majuro", "country": "MH", "postal_code": "96960"},
                id_document={"type": "passport", "number": "P" + h.digits(8), "country": "MH"},
                email=f"{h.tok(8)}@example.org", phone="+69262" + h.digits(5), language="en")
    without = make_guest(marketing_consent=False, **full)
    with_ = make_guest(marketing_consent=True, **full)
    bare = make_guest(nationality=nat)
    return {"nat": nat, "without": without, "with": with_, "bare": bare}


@pytest.mark.parametrize("role", ["marketing", "admin"])
def test_marketing_view(api, masked_guests, role):
    m = masked_guests
    got = by_id(walk(api, key=role, nationality=m["nat"]))
    without, with_ = got[m["without"]["id"]], got[m["with"]["id"]]
    for e in (without, with_, got[m["bare"]["id"]]):
        assert not NEVER_IN_ENTRY & set(e), f"{role}: entry shows {sorted(NEVER_IN_ENTRY & set(e))}: {e}"
        assert ENTRY_KEYS <= set(e) <= ENTRY_KEYS | CONTACT_KEYS, sorted(e)
    assert without["birthday"] == "08-09" and with_["birthday"] == "08-09"
    assert "1975" not in json.dumps(without) and "1975" not in json.dumps(with_)
    assert got[m["bare"]["id"]]["birthday"] is None
    assert not CONTACT_KEYS & set(without), f"contact details without consent: {without}"
    assert with_["email"] == m["with"]["email"] and with_["phone"] == m["with"]["phone"], with_
    assert with_["given_name"] == "Ana" and with_["language"] == "en" and with_["nationality"] == m["nat"]


# ------------------------------------------------------------------ CSV


def test_csv_download(api, masked_guests, occasion_guests):
    nat = masked_guests["nat"]
    r, header, rows = export(api, nationality=nat)
    assert header == VIP_COLUMNS
    assert r.headers.get("Transfer-Encoding", "").lower() == "chunked", dict(r.headers)
    assert b"\r\n" in r.body and b"\n" not in r.body.replace(b"\r\n", b""), "records must end with CRLF"
    entries = walk(api, nationality=nat)
    assert [row["id"] for row in rows] == [e["id"] for e in entries], "CSV rows differ from the JSON list"
    for row, entry in zip(rows, entries):
        assert_row_matches(row, entry)
    rows = {row["id"]: row for row in rows}
    assert rows[masked_guests["without"]["id"]]["email"] == "" and rows[masked_guests["without"]["id"]]["phone"] == ""
    w = rows[masked_guests["with"]["id"]]
    assert w["email"] == masked_guests["with"]["email"]
    assert w["phone"] == "'" + masked_guests["with"]["phone"], "a phone number starting with + gets the apostrophe"
    assert w["birthday"] == "08-09" and w["marketing_consent"] == "true"
    assert "1975" not in r.body.decode(), "the year of birth leaks into the CSV"
    for secret in ("private note", "Somewhere", "1 Main St", masked_guests["with"]["id_document"]["number"]):
        assert secret not in r.body.decode(), f"{secret!r} leaks into the CSV"


def test_csv_dates_whatever_the_servers_datestyle(api, db, masked_guests, occasion_guests):
    """The export reads dates as text from its columns: a database whose default DateStyle writes 09/08/1975
    must not change the CSV (guestd sets its sessions' DateStyle)."""
    nat = masked_guests["nat"]
    _, _, before = export(api, nationality=nat)
    _, _, upcoming_before = export(api, upcoming_days=366)
    dbname = db.scalar("SELECT current_database()")
    db.rows(f'ALTER DATABASE "{dbname}" SET DateStyle = \'SQL, DMY\'')
    try:
        _, _, after = export(api, nationality=nat)
        _, _, upcoming_after = export(api, upcoming_days=366)
    finally:
        db.rows(f'ALTER DATABASE "{dbname}" RESET DateStyle')
    assert after == before
    assert upcoming_after == upcoming_before
    w = {row["id"]: row for row in after}[masked_guests["with"]["id"]]
    assert w["birthday"] == "08-09", w
    assert any(row["next_occasion.date"] for row in upcoming_after), "no occasion in the list to compare"
    assert all(len(row["next_occasion.date"]) in (0, 10) and "/" not in row["next_occasion.date"]
               for row in upcoming_after)


@pytest.mark.parametrize("accept", ["text/csv", "text/csv; charset=utf-8", "application/json, text/csv;q=0.1",
                                    "text/html, text/csv"])
def test_csv_whatever_the_accept_form(api, masked_guests, accept):
    _, header, rows = export(api, accept=accept, nationality=masked_guests["nat"])
    assert header == VIP_COLUMNS and len(rows) >= 3


def test_json_without_csv_accept(api, masked_guests):
    r = api("GET", url(nationality=masked_guests["nat"]), key="marketing", headers={"Accept": "application/json"})
    assert r.status == 200 and r.media_type == "application/json", r


def test_csv_with_filters_matches_json(api, occasion_guests, tier_guests):
    for params in ({"nationality": occasion_guests["nat"], "upcoming_days": "30"},
                   {"nationality": occasion_guests["nat"], "upcoming_days": "366"},
                   {"nationality": tier_guests["nat"], "min_tier": "gold"},
                   {"nationality": tier_guests["nat"], "min_score": "20.1"},
                   {"min_tier": "gold", "consent": "false"}):
        _, header, rows = export(api, **params)
        assert header == VIP_COLUMNS
        entries = walk(api, **params)
        assert [row["id"] for row in rows] == [e["id"] for e in entries], f"{params}: CSV rows differ from JSON"
        for row, entry in zip(rows, entries):
            assert_row_matches(row, entry)
    _, _, rows = export(api, nationality=occasion_guests["nat"], upcoming_days="30")
    row = {r["id"]: r for r in rows}[occasion_guests["tomorrow"]]
    tomorrow = h.utc_today() + datetime.timedelta(days=1)
    assert row["next_occasion.kind"] == "birthday" and row["next_occasion.date"] == tomorrow.isoformat(), row


def test_csv_ignores_limit_but_checks_it(api, masked_guests):
    nat = masked_guests["nat"]
    _, _, rows = export(api, nationality=nat, limit="1")
    assert len(rows) == len(walk(api, nationality=nat)) >= 3, "limit must not cut the CSV download"
    r = api("GET", url(nationality=nat, limit="0"), key="marketing", headers={"Accept": "text/csv"})
    h.assert_problem(r, 400, "bad-request", fields={"limit"})


def test_csv_ignores_cursor_but_checks_it(api, masked_guests):
    nat = masked_guests["nat"]
    everything = [e["id"] for e in walk(api, nationality=nat)]
    first = page(api, nationality=nat, limit=1)
    assert first["next_cursor"], first
    _, _, rows = export(api, nationality=nat, cursor=first["next_cursor"])
    assert [row["id"] for row in rows] == everything, "the export is the whole list, whatever the cursor"
    r = api("GET", url(nationality=nat, cursor="garbage"), key="marketing", headers={"Accept": "text/csv"})
    h.assert_problem(r, 400, "bad-request", fields={"cursor"})


def test_csv_bad_filters_are_problems(api):
    r = api("GET", url(min_score="abc", nationality="XX"), key="marketing", headers={"Accept": "text/csv"})
    h.assert_problem(r, 400, "bad-request", fields={"min_score", "nationality"})
    r = api("GET", "/v1/vip?bogus=1", key="marketing", headers={"Accept": "text/csv"})
    h.assert_problem(r, 400, "bad-request", fields={""})


def test_csv_empty_list_is_just_the_header(api):
    r, header, rows = export(api, nationality="AQ", min_score="100")
    assert header == VIP_COLUMNS and rows == []
    assert r.body == (",".join(VIP_COLUMNS) + "\r\n").encode()


@pytest.fixture(scope="module")
def tricky_guests(api, make_guest, db):
    """NU guests whose names need quoting or the formula prefix; control characters go in through SQL (the API
    refuses them in names)."""
    nat = "NU"
    names = {
        "comma": ("Lefèvre, dit Le Fèvre", "Claire"),
        "quote": ('O"Neil "the great"', 'Ann "Nan"'),
        "both": ('Smith, "Jr."', "a,b,c"),
        "hyperlink": ('=HYPERLINK("http://x")', "=1+1"),
        "plus": ("+1", "@x"),
        "minus": ("-1", "-"),
        "at": ("@x", "+33612345678"),
        "sum": ("=SUM(A1,B1)", "Eve"),
        "inner": ("x=1", "a@b"),
    }
    out = {"nat": nat, "names": {}}
    for k, (fam, given) in names.items():
        out[k] = make_guest(nationality=nat, family_name=fam, given_name=given)["id"]
        out["names"][k] = (fam, given)
    sql_names = {
        "newline": ("Line1\nLine2", "CR\r\nLF"),
        "tab": ("\tTabbed", "\rCarriage"),
        "mixed": ('multi\n"line", with comma', "=cmd|' /C calc'!A0"),
    }
    for k, (fam, given) in sql_names.items():
        gid = make_guest(nationality=nat)["id"]

        def lit(s):
            return "E'" + s.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n").replace(
                "\r", "\\r").replace("\t", "\\t") + "'"

        db.rows(f"UPDATE guest SET family_name = {lit(fam)}, given_name = {lit(given)} WHERE id = '{gid}'")
        out[k] = gid
        out["names"][k] = (fam, given)
    return out


def test_csv_rfc4180_round_trip(api, tricky_guests):
    t = tricky_guests
    r, header, rows = export(api, nationality=t["nat"])
    assert header == VIP_COLUMNS
    rows = {row["id"]: row for row in rows}
    for k, (fam, given) in t["names"].items():
        row = rows[t[k]]
        assert row["family_name"] == formula_safe(fam), f"{k}: {row['family_name']!r} != {formula_safe(fam)!r}"
        assert row["given_name"] == formula_safe(given), f"{k}: {row['given_name']!r} != {formula_safe(given)!r}"
    # and the JSON list has the names exactly as stored
    entries = by_id(walk(api, nationality=t["nat"]))
    for k, (fam, given) in t["names"].items():
        assert entries[t[k]]["family_name"] == fam and entries[t[k]]["given_name"] == given


def test_csv_formula_injection(api, tricky_guests):
    t = tricky_guests
    _, _, rows = export(api, nationality=t["nat"])
    rows = {row["id"]: row for row in rows}
    expect = {
        "hyperlink": ("'=HYPERLINK(\"http://x\")", "'=1+1"),
        "plus": ("'+1", "'@x"),
        "minus": ("'-1", "'-"),
        "at": ("'@x", "'+33612345678"),
        "sum": ("'=SUM(A1,B1)", "Eve"),
        "inner": ("x=1", "a@b"),
        "tab": ("'\tTabbed", "'\rCarriage"),
        "mixed": ('multi\n"line", with comma', "'=cmd|' /C calc'!A0"),
    }
    for k, (fam, given) in expect.items():
        assert (rows[t[k]]["family_name"], rows[t[k]]["given_name"]) == (fam, given), (k, rows[t[k]])
    for row in rows.values():
        for col in VIP_COLUMNS:
            assert not (row[col] and row[col][0] in "=+-@\t\r"), f"cell {col} starts a formula: {row[col]!r}"


# ------------------------------------------------------------------ a large download


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


BULK = 3000


@pytest.fixture(scope="module")
def bulk(db):
    nat = "KI"
    db.rows("INSERT INTO guest (family_name, given_name, nationality, language, birth_date, email, phone,"
            " marketing_consent, vip_code)"
            " SELECT 'Bulk, ' || n || ' \"q\"', CASE WHEN n % 7 = 0 THEN '=x' || n ELSE 'Given' || n END, 'KI',"
            " 'en-GB', date '1960-01-01' + n, 'bulk' || n || '@example.org', '+4144' || lpad(n::text, 7, '0'),"
            f" n % 2 = 0, CASE WHEN n % 10 = 0 THEN 'V' || n END FROM generate_series(1, {BULK}) n")
    count = int(db.scalar("SELECT count(*) FROM guest WHERE nationality = 'KI' AND deleted_at IS NULL"))
    assert count >= BULK
    assert int(db.scalar("SELECT count(*) FROM guest g JOIN guest_loyalty l ON l.guest_id = g.id"
                         " WHERE g.nationality = 'KI'")) == count, "setup: the trigger did not score the guests"
    yield {"nat": nat, "count": count}
    db.rows("DELETE FROM guest WHERE nationality = 'KI'")


def stream_export(server, query, on_chunk):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    try:
        conn.request("GET", "/v1/vip?" + query, headers={"Authorization": f"Bearer {server.keys['marketing']}",
                                                         "Accept": "text/csv"})
        r = conn.getresponse()
        assert r.status == 200, (r.status, r.read()[:500])
        assert r.getheader("Content-Type") == CSV_TYPE
        parts = []
        while True:
            chunk = r.read(16384)
            if not chunk:
                break
            parts.append(chunk)
            on_chunk()
        return b"".join(parts)
    finally:
        conn.close()


def test_csv_large_export_streams_with_flat_memory(api, server, bulk, db):
    pid = server.proc.pid
    since = db.scalar("SELECT now()::text")
    query = urllib.parse.urlencode({"nationality": bulk["nat"]})
    stream_export(server, query, lambda: None)  # warm up: allocator pools, statement, connection code
    before = rss_kb(pid)
    peak = [before]
    t0 = time.monotonic()
    body = stream_export(server, query, lambda: peak.append(rss_kb(pid)))
    elapsed = time.monotonic() - t0
    after = rss_kb(pid)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline=""), strict=True))
    assert rows[0] == VIP_COLUMNS
    data = rows[1:]
    assert len(data) == bulk["count"], f"{len(data)} rows, SQL counts {bulk['count']}"
    ids = [row[0] for row in data]
    assert len(set(ids)) == len(ids)
    sql_ids = {r[0] for r in db.rows("SELECT id::text FROM guest WHERE nationality = 'KI' AND deleted_at IS NULL")}
    assert set(ids) == sql_ids
    # all the bulk guests score 20.0 (vip_code lifts only the tier): by id
    assert ids == sorted(ids)
    deadline = time.monotonic() + 5
    while new_sessions(db, since) > 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert new_sessions(db, since) == 0, "a finished export left its database session open"
    growth_mb = (max(peak + [after]) - before) / 1024
    print(f"export of {len(data)} rows, {len(body)} bytes in {elapsed:.2f}s; server VmRSS {before} kB before, "
          f"{max(peak)} kB peak, {after} kB after")
    limit_mb = 20 + sanitizer_slack_mb(server.binary)
    assert growth_mb < limit_mb, f"server RSS grew by {growth_mb:.1f} MB during a {len(body)} byte export"
    assert elapsed < 30, f"the export of {len(data)} rows took {elapsed:.1f}s"
    # the same rows as the JSON list, in the same order
    assert ids == [e["id"] for e in walk(api, nationality=bulk["nat"])]
    # spot checks: the marketing view and the quoting hold at scale
    for row in data[:50]:
        rec = dict(zip(VIP_COLUMNS, row))
        assert rec["family_name"].startswith("Bulk, ") and rec["family_name"].endswith(' "q"'), rec
        if rec["marketing_consent"] == "false":
            assert rec["email"] == "" and rec["phone"] == "", rec
        else:
            assert rec["email"].endswith("@example.org") and rec["phone"].startswith("'+4144"), rec
        assert not rec["given_name"].startswith("="), rec
        assert rec["tier"] in ("standard", "gold"), rec


def test_csv_via_api_is_documented(api, bulk, db):
    """A filtered bulk download through the validating client (status, headers and media type per the OpenAPI)."""
    r, header, rows = export(api, nationality=bulk["nat"], min_tier="gold")
    assert header == VIP_COLUMNS
    assert all(row["vip_code"] and row["tier"] == "gold" for row in rows), \
        "min_tier=gold: only the vip_code-lifted bulk guests"
    assert len(rows) == int(db.scalar("SELECT count(*) FROM guest WHERE nationality = 'KI' AND vip_code IS NOT NULL"
                                      " AND deleted_at IS NULL"))


def new_sessions(db, since):
    return int(db.scalar("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'guestd'"
                         f" AND backend_start > '{since}'::timestamptz"))


def hold_export(server, query):
    """Starts a CSV download and stops reading after the first bytes (a tiny receive buffer stalls the server)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(10)
    s.connect(("127.0.0.1", server.port))
    s.sendall(f"GET /v1/vip?{query} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {server.keys['marketing']}"
              "\r\nAccept: text/csv\r\n\r\n".encode())
    head = s.recv(512)
    assert head.startswith(b"HTTP/1.1 200"), head
    return s


def test_csv_at_most_four_exports_and_slots_come_back(api, server, fat, db):
    # the fat list: about 10 MB of CSV, more than the socket buffers hold, so a client that stops
    # reading keeps its export (and database session) open
    query = urllib.parse.urlencode({"nationality": fat["nat"]})
    since = db.scalar("SELECT now()::text")
    held = []
    try:
        for _ in range(4):
            held.append(hold_export(server, query))
        deadline = time.monotonic() + 5
        while new_sessions(db, since) < 4 and time.monotonic() < deadline:
            time.sleep(0.05)
        if new_sessions(db, since) < 4:
            pytest.skip("the four downloads finished into socket buffers: cannot hold four exports open")
        # JSON pages are not exports: they still work while four exports run
        assert page(api, nationality=fat["nat"], limit=1)["items"]
        r = api("GET", url(nationality=fat["nat"]), key="marketing", headers={"Accept": "text/csv"})
        h.assert_problem(r, 503, "unavailable")
        assert r.headers.get("Retry-After"), "a 503 needs Retry-After"
        holding = new_sessions(db, since)
    finally:
        for s in held:
            s.close()
    # the aborted downloads give their database sessions back ...
    deadline = time.monotonic() + 10
    while new_sessions(db, since) > holding - 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert new_sessions(db, since) <= holding - 4, "the sessions of aborted exports were left open"
    # ... and their slots: a download works again
    while True:
        r = api("GET", url(nationality=fat["nat"]), key="marketing", headers={"Accept": "text/csv"}, timeout=60)
        if r.status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert r.status == 200, f"after the clients went away the export slots did not come back: {r!r}"
    _, rows = parse_csv(r)
    assert len(rows) == fat["count"]


FAT = 20000


@pytest.fixture(scope="module")
def fat(db):
    """PN: 20,000 guests with long names and e-mail addresses (a CSV of ~8 MB). For speed they are inserted with
    triggers off (session_replication_role = replica, this psql session only) and given their loyalty row
    directly: a standard guest without history scores 20.0."""
    nat = "PN"
    db.rows("SET session_replication_role = replica; "
            "WITH g AS (INSERT INTO guest (family_name, given_name, nationality, language, email, phone,"
            "  marketing_consent)"
            f" SELECT 'Fat ' || n || ', ' || repeat('x', 80), repeat('y', 100), '{nat}', 'en-GB',"
            "  repeat('e', 180) || n || '@example.org', '+4144' || lpad(n::text, 7, '0'), true"
            f" FROM generate_series(1, {FAT}) n RETURNING id)"
            " INSERT INTO guest_loyalty (guest_id, score, tier, tier_rank, vip_lifted, components, formula_version,"
            "  computed_at, tier_since)"
            " SELECT id, 20.0, 'standard', 1, false, '{}', (SELECT formula_version FROM settings), now(), now() FROM g")
    count = int(db.scalar(f"SELECT count(*) FROM guest WHERE nationality = '{nat}' AND deleted_at IS NULL"))
    assert count >= FAT
    yield {"nat": nat, "count": count}
    db.rows(f"DELETE FROM guest WHERE nationality = '{nat}'")


def read_all(s, timeout=30):
    s.settimeout(timeout)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    parts = []
    while True:
        try:
            chunk = s.recv(1 << 20)
        except socket.timeout:
            break
        if not chunk:
            break
        parts.append(chunk)
        if b"".join(parts[-2:]).endswith(b"\r\n0\r\n\r\n"):
            break
    return b"".join(parts)


def sanitizer_slack_mb(binary):
    """AddressSanitizer holds freed memory in a quarantine (scripts/test caps it at 8 MB) and maps
    shadow memory: an instrumented server's RSS grows by that much whatever it does."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True).stdout
    return 16 if "libasan" in out else 0


def test_csv_big_export_memory_stays_flat(server, fat):
    """An ~8 MB download read at full speed: the server's RSS grows by far less than the list."""
    pid = server.proc.pid
    query = urllib.parse.urlencode({"nationality": fat["nat"]})
    before = rss_kb(pid)
    peak = [before]
    body = stream_export(server, query, lambda: peak.append(rss_kb(pid)))
    after = rss_kb(pid)
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline=""), strict=True))
    assert len(rows) - 1 == fat["count"], f"{len(rows) - 1} rows of {fat['count']} ({len(body)} bytes)"
    growth_mb = (max(peak + [after]) - before) / 1024
    print(f"big export: {len(body)} bytes; server VmRSS {before} kB before, {max(peak)} kB peak, {after} kB after")
    limit_mb = 4 + sanitizer_slack_mb(server.binary)
    assert growth_mb < limit_mb, f"server RSS grew by {growth_mb:.1f} MB during a {len(body) / 1e6:.1f} MB export"


def test_csv_slow_client_gets_the_whole_list(server, fat):
    """A client that pauses for a few seconds (a slow network, a busy spreadsheet) still gets every row: the
    download is not cut off in the middle."""
    s = hold_export(server, urllib.parse.urlencode({"nationality": fat["nat"]}))
    try:
        time.sleep(6)
        raw = read_all(s)
    finally:
        s.close()
    complete = raw.endswith(b"\r\n0\r\n\r\n")
    tail = server.stderr_tail(3000)
    assert complete, (f"the download was cut off after {len(raw)} bytes (no final chunk) for {fat['count']} guests; "
                      f"server log: {[l for l in tail.splitlines() if 'export' in l][-3:]}")
