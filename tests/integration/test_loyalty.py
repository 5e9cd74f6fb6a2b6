"""Loyalty over HTTP (DESIGN §6; openapi/openapi.yaml, "Loyalty"): GET /v1/guests/{id}/loyalty and the card's "loyalty", scores that
follow the history in the same request cycle, vip_code lifts, tier change history, the configuration (GET/PUT)
and the rescore (POST /v1/loyalty/rescore and `guestd rescore`).

The database is shared with the other modules: every configuration change is restored to exactly what GET
returned before (gd_loyalty.changed_config), and the module checks at its end that the configuration is the one
it found."""

import datetime
import json
import math

import pytest

import gd_dossier as d
import gd_helpers as h
import gd_loyalty as L

# after test_reconnect.py the session server may give one 503 per killed connection
pytestmark = pytest.mark.usefixtures("server_warm")

DEFAULT_COLOURS = {"standard": "#9E9E9E", "silver": "#C0C0C0", "gold": "#D4AF37", "platinum": "#E5E4E2",
                   "diamond": "#B9F2FF"}
ONLY_SATISFACTION = {"recency": 0, "frequency": 0, "monetary": 0, "satisfaction": 1, "credit": 0}


@pytest.fixture(scope="module", autouse=True)
def config_untouched(server_warm, api):
    """The configuration this module found is the one it leaves."""
    before = L.config(api)
    yield
    after = L.config(api)
    assert L.comparable(after) == L.comparable(before), "test_loyalty.py left the loyalty configuration changed"


@pytest.fixture(scope="module")
def today(db):
    """The server session's current_date (UTC: what days_since_last_stay counts from)."""
    return datetime.date.fromisoformat(db.scalar("SELECT (now() AT TIME ZONE 'UTC')::date"))


def days_ago(today, n):
    return today - datetime.timedelta(days=n)


def recent_ts(days=1):
    return h.fmt_ts(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=days))


def completed_stay(api, gid, today, ended_days_ago, nights=2):
    return d.stay(api, gid, days_ago(today, ended_days_ago + nights), nights=nights, status="completed")


def value(lo, component):
    return lo["components"][component]["value"]


def assert_loyalty_shape(lo, what="loyalty"):
    assert isinstance(lo, dict) and set(lo) == L.LOYALTY_KEYS, f"{what}: members {sorted(lo)}"
    assert isinstance(lo["score"], (int, float)) and 0 <= lo["score"] <= 100, f"{what}: {lo}"
    assert round(lo["score"], 1) == lo["score"], f"{what}: score not rounded to 1 decimal: {lo['score']}"
    assert isinstance(lo["tier"], str) and isinstance(lo["colour"], str), lo
    assert isinstance(lo["vip_lifted"], bool), lo
    assert set(lo["components"]) == set(L.COMPONENTS), f"{what}: {lo['components']}"
    for name, comp in lo["components"].items():
        assert set(comp) == L.COMPONENT_KEYS[name], f"{what}: {name} members {sorted(comp)}"
        assert 0 <= comp["value"] <= 100 and round(comp["value"], 1) == comp["value"], f"{what}: {name} {comp}"
        assert 0 <= comp["weight"] <= 1, f"{what}: {name} {comp}"
    dsl = lo["components"]["recency"]["days_since_last_stay"]
    assert dsl is None or (isinstance(dsl, int) and dsl >= 0), f"{what}: days_since_last_stay {dsl!r}"
    for k in ("spend",):
        assert isinstance(lo["components"]["monetary"][k], str), lo
    for k in ("billed", "paid"):
        assert isinstance(lo["components"]["credit"][k], str), lo
    assert isinstance(lo["formula_version"], int) and lo["formula_version"] >= 1, lo
    assert h.TS_RE.match(lo["computed_at"]) and h.TS_RE.match(lo["tier_since"]), lo
    changes = lo["tier_changes"]
    assert isinstance(changes, list) and 1 <= len(changes) <= 10, f"{what}: tier_changes {changes}"
    for c in changes:
        assert set(c) == {"from", "to", "reason", "score", "at"}, f"{what}: tier change {c}"
        assert c["reason"] in ("history", "rescore", "config", "vip_code", "created"), c
        assert h.TS_RE.match(c["at"]), c
    ats = [h.parse_ts(c["at"]) for c in changes]
    assert ats == sorted(ats, reverse=True), f"{what}: tier_changes not newest first: {changes}"
    assert changes[0]["to"] == lo["tier"], f"{what}: the newest tier change does not lead to the tier: {lo}"


# ------------------------------------------------------------------ the loyalty object


def test_new_guest(api, make_guest):
    g = make_guest()
    lo = L.loyalty(api, g["id"])
    assert_loyalty_shape(lo)
    assert lo["score"] == 20.0 and lo["tier"] == "standard" and lo["colour"] == DEFAULT_COLOURS["standard"], lo
    assert lo["vip_lifted"] is False
    c = lo["components"]
    assert c["recency"]["value"] == 0 and c["recency"]["days_since_last_stay"] is None
    assert c["frequency"]["value"] == 0 and c["frequency"]["completed_stays"] == 0
    assert c["monetary"]["value"] == 0 and c["monetary"]["spend"] == "0.00" and c["monetary"]["currency"] == "EUR"
    assert c["satisfaction"]["value"] == 100 and c["satisfaction"]["complaints_low_medium"] == 0
    assert c["satisfaction"]["complaints_high_critical"] == 0 and c["satisfaction"]["resolved_with_good_feedback"] == 0
    assert c["credit"] == {"value": 100.0, "weight": 0.1, "billed": "0.00", "paid": "0.00", "no_shows": 0}, c
    assert {k: v["weight"] for k, v in c.items()} == {"recency": 0.25, "frequency": 0.25, "monetary": 0.3,
                                                       "satisfaction": 0.1, "credit": 0.1}
    assert lo["formula_version"] == L.config(api)["formula_version"]
    assert len(lo["tier_changes"]) == 1, lo["tier_changes"]
    first = lo["tier_changes"][0]
    assert first["from"] is None and first["to"] == "standard" and first["reason"] == "created", first
    assert first["score"] == 20.0
    assert lo["tier_since"] == first["at"], lo


@pytest.mark.parametrize("role", h.ROLES)
def test_every_role_reads_loyalty(api, make_guest, role):
    g = make_guest()
    lo = L.loyalty(api, g["id"], key=role)
    assert_loyalty_shape(lo)


def test_anonymous_cannot_read_loyalty(api, make_guest):
    g = make_guest()
    r = api("GET", f"/v1/guests/{g['id']}/loyalty")
    h.assert_problem(r, 401, "unauthorized")


@pytest.mark.parametrize("gid", ["00000000-0000-4000-8000-000000000000", "not-a-uuid"])
def test_unknown_guest_is_404(api, gid):
    r = api("GET", f"/v1/guests/{gid}/loyalty", key="frontdesk")
    h.assert_problem(r, 404)


def test_deleted_guest_is_404(api, make_guest):
    g = make_guest()
    r = api("DELETE", f"/v1/guests/{g['id']}", key="frontdesk")
    assert r.status == 204, r
    r = api("GET", f"/v1/guests/{g['id']}/loyalty", key="frontdesk")
    h.assert_problem(r, 404)


def test_restored_guest_has_loyalty_again(api, make_guest):
    g = make_guest()
    d.complaint(api, g["id"], severity="high")
    before = L.loyalty(api, g["id"])
    assert api("DELETE", f"/v1/guests/{g['id']}", key="frontdesk").status == 204
    h.assert_problem(api("GET", f"/v1/guests/{g['id']}/loyalty", key="ops"), 404)
    r = api("POST", f"/v1/guests/{g['id']}/restore", key="ops")
    assert r.status == 200, r
    after = L.loyalty(api, g["id"])
    assert after["score"] == before["score"] and after["components"] == before["components"], after
    assert r.json().get("loyalty") == after


def test_post_body_and_card_embed_the_loyalty_object(api, make_guest, today):
    g = make_guest()
    assert "loyalty" in g, f"POST /v1/guests body lacks loyalty: {sorted(g)}"
    assert g["loyalty"] == L.loyalty(api, g["id"])
    completed_stay(api, g["id"], today, 20)
    d.charge(api, g["id"], recent_ts(21), amount="250.00", payment_status="paid")
    lo = L.loyalty(api, g["id"])
    for role in ("frontdesk", "marketing", "ops", "admin"):
        card = d.card(api, g["id"], key=role)
        assert card.get("loyalty") == lo, f"card of {role}: {card.get('loyalty')} != {lo}"


def test_marketing_card_has_loyalty(api, make_guest):
    g = make_guest()
    card = d.card(api, g["id"], key="marketing")
    assert "loyalty" in card, sorted(card)
    assert_loyalty_shape(card["loyalty"], "marketing card loyalty")


# ------------------------------------------------------------------ the score follows the history


def test_recent_stay_scores_higher_recency(api, make_guest, today):
    recent, old = make_guest(), make_guest()
    completed_stay(api, recent["id"], today, 10)
    completed_stay(api, old["id"], today, 400)
    a, b = L.loyalty(api, recent["id"]), L.loyalty(api, old["id"])
    assert a["components"]["recency"]["days_since_last_stay"] == 10, a["components"]["recency"]
    assert b["components"]["recency"]["days_since_last_stay"] == 400, b["components"]["recency"]
    assert value(a, "recency") == round(100 * math.exp(-10 / 365), 1), a["components"]["recency"]
    assert value(b, "recency") == round(100 * math.exp(-400 / 365), 1), b["components"]["recency"]
    assert value(a, "recency") > value(b, "recency")
    assert value(a, "frequency") == value(b, "frequency")
    assert a["score"] > b["score"], (a["score"], b["score"])


def test_latest_completed_stay_counts(api, make_guest, today):
    g = make_guest()
    completed_stay(api, g["id"], today, 300)
    completed_stay(api, g["id"], today, 30)
    d.stay(api, g["id"], days_ago(today, 3), nights=1, status="cancelled")
    d.stay(api, g["id"], days_ago(today, 5), nights=1, status="reserved")
    lo = L.loyalty(api, g["id"])
    assert lo["components"]["recency"]["days_since_last_stay"] == 30, lo["components"]
    assert lo["components"]["frequency"]["completed_stays"] == 2, lo["components"]
    assert value(lo, "frequency") == round(100 * math.log(3) / math.log(21), 1)


def test_days_since_last_stay_is_never_negative(api, make_guest, today):
    """A completed stay whose check-out is after today (recorded early): days_since_last_stay is never negative."""
    g = make_guest()
    d.stay(api, g["id"], days_ago(today, 1), nights=3, status="completed")
    lo = L.loyalty(api, g["id"])
    rec = lo["components"]["recency"]
    assert rec["days_since_last_stay"] is not None and rec["days_since_last_stay"] >= 0, rec
    assert rec["value"] == 100.0, rec


def test_high_complaint_lowers_score_at_once(api, make_guest, today):
    g = make_guest()
    completed_stay(api, g["id"], today, 5)
    before = L.loyalty(api, g["id"])
    assert value(before, "satisfaction") == 100
    item = d.complaint(api, g["id"], severity="high", category="service", description="Rude staff")
    after = L.loyalty(api, g["id"])
    sat = after["components"]["satisfaction"]
    assert sat["value"] == 75 and sat["complaints_high_critical"] == 1 and sat["complaints_low_medium"] == 0, sat
    assert after["score"] == round(before["score"] - 2.5, 1), (before["score"], after["score"])
    assert d.card(api, g["id"])["loyalty"]["score"] == after["score"]
    # critical counts like high, low like medium
    d.complaint(api, g["id"], severity="critical")
    d.complaint(api, g["id"], severity="low")
    d.complaint(api, g["id"], severity="medium")
    sat = L.loyalty(api, g["id"])["components"]["satisfaction"]
    assert sat == {"value": 30.0, "weight": 0.1, "complaints_low_medium": 2, "complaints_high_critical": 2,
                   "resolved_with_good_feedback": 0}, sat
    # deleting the complaint gives the points back, again at once
    r = api("DELETE", d.path(g["id"], "complaints", item["id"]), key="frontdesk")
    assert r.status == 204, r
    assert value(L.loyalty(api, g["id"]), "satisfaction") == 55


def test_patches_of_history_rescore_at_once(api, make_guest, today):
    g = make_guest()
    c = d.complaint(api, g["id"], severity="low")
    assert value(L.loyalty(api, g["id"]), "satisfaction") == 90
    d.patch(api, g["id"], "complaints", c["id"], {"severity": "critical"})
    sat = L.loyalty(api, g["id"])["components"]["satisfaction"]
    assert sat["value"] == 75 and sat["complaints_high_critical"] == 1 and sat["complaints_low_medium"] == 0, sat
    stay = d.stay(api, g["id"], days_ago(today, 12), nights=2, status="reserved")
    assert L.loyalty(api, g["id"])["components"]["frequency"]["completed_stays"] == 0
    d.patch(api, g["id"], "stays", stay["id"], {"status": "completed"})
    lo = L.loyalty(api, g["id"])
    assert lo["components"]["frequency"]["completed_stays"] == 1, lo["components"]
    assert lo["components"]["recency"]["days_since_last_stay"] == 10, lo["components"]
    ch = d.charge(api, g["id"], recent_ts(), amount="80.00", payment_status="pending")
    assert L.loyalty(api, g["id"])["components"]["credit"]["paid"] == "0.00"
    d.patch(api, g["id"], "consumptions", ch["id"], {"payment_status": "paid"})
    credit = L.loyalty(api, g["id"])["components"]["credit"]
    assert credit["paid"] == "80.00" and credit["value"] == 100, credit


def test_good_feedback_adds_five(api, make_guest):
    g = make_guest()
    c = d.complaint(api, g["id"], severity="medium")
    assert value(L.loyalty(api, g["id"]), "satisfaction") == 90
    d.patch(api, g["id"], "complaints", c["id"], {"status": "resolved", "feedback_score": 4})
    sat = L.loyalty(api, g["id"])["components"]["satisfaction"]
    assert sat["value"] == 95 and sat["resolved_with_good_feedback"] == 1, sat
    d.complaint(api, g["id"], severity="low", status="closed", feedback_score=3)   # not good enough
    sat = L.loyalty(api, g["id"])["components"]["satisfaction"]
    assert sat["value"] == 85 and sat["resolved_with_good_feedback"] == 1, sat


def test_unpaid_charge_lowers_credit(api, make_guest):
    paid, unpaid = make_guest(), make_guest()
    d.charge(api, paid["id"], recent_ts(), amount="100.00", payment_status="paid")
    d.charge(api, unpaid["id"], recent_ts(), amount="100.00", payment_status="unpaid")
    a, b = L.loyalty(api, paid["id"]), L.loyalty(api, unpaid["id"])
    assert a["components"]["credit"] == {"value": 100.0, "weight": 0.1, "billed": "100.00", "paid": "100.00",
                                         "no_shows": 0}, a["components"]["credit"]
    assert b["components"]["credit"]["billed"] == "100.00" and b["components"]["credit"]["paid"] == "0.00", \
        b["components"]["credit"]
    assert value(b, "credit") == 0, f"billed 100.00, paid 0.00: credit {b['components']['credit']}"
    assert value(b, "credit") < value(a, "credit")
    assert b["score"] < a["score"]
    assert value(a, "monetary") == value(b, "monetary")


def test_partly_paid_charges(api, make_guest):
    g = make_guest()
    d.charge(api, g["id"], recent_ts(), amount="150.00", payment_status="paid")
    d.charge(api, g["id"], recent_ts(), amount="50.00", payment_status="pending")
    credit = L.loyalty(api, g["id"])["components"]["credit"]
    assert credit["billed"] == "200.00" and credit["paid"] == "150.00" and credit["value"] == 75, credit
    d.charge(api, g["id"], recent_ts(), amount="100.00", payment_status="written_off")
    lo = L.loyalty(api, g["id"])
    assert lo["components"]["credit"]["billed"] == "300.00" and lo["components"]["credit"]["value"] == 50, lo
    assert lo["components"]["monetary"]["spend"] == "200.00", "written_off charges are no spend"


def test_no_shows_lower_credit(api, make_guest, today):
    g = make_guest()
    for i in range(3):
        d.stay(api, g["id"], days_ago(today, 30 + 5 * i), nights=1, status="no_show")
    credit = L.loyalty(api, g["id"])["components"]["credit"]
    assert credit["no_shows"] == 3 and credit["value"] == 40, credit


def test_history_outside_the_window_does_not_count(api, make_guest, today):
    window = L.config(api)["window_days"]
    g = make_guest()
    completed_stay(api, g["id"], today, window + 30)
    old = h.fmt_ts(datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=window + 30))
    d.charge(api, g["id"], old, amount="900.00", payment_status="unpaid")
    d.complaint(api, g["id"], severity="critical", received_at=old)
    d.stay(api, g["id"], days_ago(today, window + 40), nights=1, status="no_show")
    lo = L.loyalty(api, g["id"])
    c = lo["components"]
    assert c["frequency"]["completed_stays"] == 0 and c["recency"]["days_since_last_stay"] is None, c
    assert c["monetary"]["spend"] == "0.00" and c["credit"]["billed"] == "0.00" and c["credit"]["no_shows"] == 0, c
    assert c["satisfaction"]["complaints_high_critical"] == 0, c
    assert lo["score"] == 20.0, lo


# ------------------------------------------------------------------ vip_code and tier history


def patch_guest(api, gid, body):
    r = api("PATCH", f"/v1/guests/{gid}", key="frontdesk", body=body)
    assert r.status == 200, r
    return r.json()


def test_vip_code_lifts_to_gold_and_back(api, make_guest):
    g = make_guest()
    assert L.loyalty(api, g["id"])["tier"] == "standard"
    body = patch_guest(api, g["id"], {"vip_code": "VIP-" + h.tok(6).upper()})
    lo = L.loyalty(api, g["id"])
    assert lo["tier"] == "gold" and lo["vip_lifted"] is True and lo["colour"] == DEFAULT_COLOURS["gold"], lo
    assert lo["score"] == 20.0, "the vip_code lifts the tier, not the score"
    assert body.get("loyalty", {}).get("tier") == "gold", f"PATCH body loyalty: {body.get('loyalty')}"
    last = lo["tier_changes"][0]
    assert (last["from"], last["to"], last["reason"], last["score"]) == ("standard", "gold", "vip_code", 20.0), last
    assert lo["tier_since"] == last["at"]

    patch_guest(api, g["id"], {"vip_code": None})
    lo = L.loyalty(api, g["id"])
    assert lo["tier"] == "standard" and lo["vip_lifted"] is False, lo
    last = lo["tier_changes"][0]
    assert (last["from"], last["to"], last["reason"]) == ("gold", "standard", "vip_code"), last
    assert [c["reason"] for c in lo["tier_changes"]] == ["vip_code", "vip_code", "created"], lo["tier_changes"]


def test_vip_code_at_creation(api, make_guest):
    g = make_guest(vip_code="VIP-" + h.tok(6).upper())
    lo = L.loyalty(api, g["id"])
    assert lo["tier"] == "gold" and lo["vip_lifted"] is True, lo
    assert lo["tier_changes"][0]["from"] is None and lo["tier_changes"][0]["reason"] == "created"


def test_other_patches_record_no_tier_change(api, make_guest):
    g = make_guest(vip_code="VIP-" + h.tok(6).upper())
    before = L.loyalty(api, g["id"])
    patch_guest(api, g["id"], {"notes": "likes the sea view"})
    patch_guest(api, g["id"], {"vip_code": "VIP-" + h.tok(6).upper()})   # another code: still gold
    after = L.loyalty(api, g["id"])
    assert after["tier_changes"] == before["tier_changes"] and after["tier_since"] == before["tier_since"], after


def test_history_tier_changes(api, make_guest, today):
    g = make_guest()
    stay = completed_stay(api, g["id"], today, 1)
    lo = L.loyalty(api, g["id"])
    assert lo["score"] >= 30, f"a completed stay yesterday should leave standard: {lo}"
    last = lo["tier_changes"][0]
    assert last["from"] == "standard" and last["to"] == lo["tier"] and last["reason"] == "history", last
    assert last["score"] == lo["score"] and lo["tier_since"] == last["at"], lo
    up_tier = lo["tier"]
    r = api("DELETE", d.path(g["id"], "stays", stay["id"]), key="frontdesk")
    assert r.status == 204, r
    lo = L.loyalty(api, g["id"])
    assert lo["tier"] == "standard" and lo["score"] == 20.0, lo
    assert [(c["from"], c["to"], c["reason"]) for c in lo["tier_changes"]] == \
        [(up_tier, "standard", "history"), ("standard", up_tier, "history"), (None, "standard", "created")], \
        lo["tier_changes"]


def test_same_tier_keeps_tier_since(api, make_guest, today):
    g = make_guest()
    before = L.loyalty(api, g["id"])
    d.complaint(api, g["id"], severity="low")   # 19.0: still standard
    after = L.loyalty(api, g["id"])
    assert after["tier"] == "standard" and after["score"] < before["score"], after
    assert after["tier_since"] == before["tier_since"] and after["tier_changes"] == before["tier_changes"], after
    assert h.parse_ts(after["computed_at"]) >= h.parse_ts(before["computed_at"])


def test_at_most_ten_tier_changes_newest_first(api, make_guest):
    g = make_guest()
    for i in range(6):
        patch_guest(api, g["id"], {"vip_code": f"VIP-{i}"})
        patch_guest(api, g["id"], {"vip_code": None})
    lo = L.loyalty(api, g["id"])
    assert len(lo["tier_changes"]) == 10, lo["tier_changes"]
    assert [c["to"] for c in lo["tier_changes"]] == ["standard", "gold"] * 5, lo["tier_changes"]
    assert all(c["reason"] == "vip_code" for c in lo["tier_changes"])


# ------------------------------------------------------------------ configuration


@pytest.mark.parametrize("role", h.ROLES)
def test_every_role_reads_config(api, role):
    cfg = L.config(api, key=role)
    assert set(cfg) == L.CONFIG_KEYS, sorted(cfg)
    assert isinstance(cfg["formula_version"], int) and cfg["formula_version"] >= 1
    assert h.TS_RE.match(cfg["updated_at"]), cfg
    assert isinstance(cfg["fx_rates"], dict) and all(isinstance(v, str) for v in cfg["fx_rates"].values()), cfg
    assert isinstance(cfg["monetary_cap"], str), cfg
    assert set(cfg["weights"]) == set(L.COMPONENTS), cfg
    assert 2 <= len(cfg["tiers"]) <= 10 and any(t["name"] == cfg["vip_floor_tier"] for t in cfg["tiers"]), cfg


def test_default_config(api):
    cfg = L.config(api)
    expected = {"base_currency": "EUR", "window_days": 1095, "recency_days": 365, "frequency_cap": 20,
                "monetary_cap": "50000.00",
                "weights": {"recency": 0.25, "frequency": 0.25, "monetary": 0.3, "satisfaction": 0.1, "credit": 0.1},
                "tiers": [{"name": n, "min_score": s, "colour": DEFAULT_COLOURS[n]}
                          for n, s in (("standard", 0), ("silver", 30), ("gold", 50), ("platinum", 70),
                                       ("diamond", 85))],
                "vip_floor_tier": "gold"}
    got = L.comparable(cfg)
    got.pop("fx_rates")
    assert got == L.comparable(expected), cfg


def test_anonymous_cannot_read_config(api):
    h.assert_problem(api("GET", "/v1/loyalty/config"), 401, "unauthorized")


def test_put_same_config_bumps_version_and_rescores(api, db, make_guest):
    make_guest()
    before = L.config(api)
    r = L.put_config(api, before)
    assert r.status == 200, r
    body = r.json()
    assert set(body) == L.CONFIG_KEYS | {"rescore"}, sorted(body)
    assert body["formula_version"] == before["formula_version"] + 1, (before["formula_version"], body)
    assert L.comparable(body) == L.comparable(before)
    assert h.parse_ts(body["updated_at"]) >= h.parse_ts(before["updated_at"])
    s = body["rescore"]
    L.assert_summary(s, "PUT rescore")
    guests = int(db.scalar("SELECT count(*) FROM guest"))
    assert s["guests"] >= 1 and s["guests"] == guests, (s, guests)
    assert s["batches"] >= 1 and s["formula_version"] == body["formula_version"], s
    after = L.config(api)
    assert after["formula_version"] == body["formula_version"] and after["updated_at"] == body["updated_at"]
    assert L.comparable(after) == L.comparable(before)
    # every guest carries the new version
    stale = int(db.scalar(f"SELECT count(*) FROM guest_loyalty WHERE formula_version <> {body['formula_version']}"))
    assert stale == 0, f"{stale} guests not rescored with the new formula_version"


@pytest.mark.parametrize("role", ["frontdesk", "marketing", "ops"])
def test_put_config_forbidden(api, role):
    before = L.config(api)
    r = L.put_config(api, before, key=role)
    h.assert_problem(r, 403, "forbidden")
    after = L.config(api)
    assert after == before


def test_put_config_anonymous(api):
    before = L.config(api)
    h.assert_problem(L.put_config(api, before, key=None), 401, "unauthorized")
    assert L.config(api) == before


def _set(path, value):
    """change(cfg) setting a member at a simple pointer ("/tiers/1/colour"); value ... removes it."""
    def change(cfg):
        parts = path.strip("/").split("/")
        node = cfg
        for p in parts[:-1]:
            node = node[int(p)] if isinstance(node, list) else node[p]
        last = parts[-1]
        if value is ...:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
        return cfg
    return change


def _chain(*changes):
    def change(cfg):
        for c in changes:
            cfg = c(cfg)
        return cfg
    return change


BAD_PUTS = [
    ("weights_sum_1_1", _set("/weights/credit", 0.2), ["/weights"]),
    ("weights_sum_0_9", _set("/weights/credit", 0), ["/weights"]),
    ("weight_negative", _set("/weights/credit", -0.1), ["/weights/credit"]),
    ("weight_1_5", _set("/weights/monetary", 1.5), ["/weights/monetary"]),
    ("weight_missing", _set("/weights/satisfaction", ...), ["/weights/satisfaction"]),
    ("one_tier", _set("/tiers", [{"name": "standard", "min_score": 0, "colour": "#9E9E9E"}]), ["/tiers"]),
    ("eleven_tiers", _set("/tiers", [{"name": "gold" if i == 1 else f"t{i}", "min_score": 5 * i,
                                      "colour": "#A0A0A0"} for i in range(11)]), ["/tiers"]),
    ("first_min_score_5", _set("/tiers/0/min_score", 5), ["/tiers/0/min_score"]),
    ("equal_scores", _set("/tiers/2/min_score", 30), ["/tiers/2/min_score"]),
    ("decreasing_scores", _set("/tiers/2/min_score", 20), ["/tiers/2/min_score"]),
    ("colour_red", _set("/tiers/1/colour", "red"), ["/tiers/1/colour"]),
    ("colour_bad_hex", _set("/tiers/1/colour", "#12345G"), ["/tiers/1/colour"]),
    ("name_capital", _set("/tiers/0/name", "Standard"), ["/tiers/0/name"]),
    ("name_digit_first", _set("/tiers/0/name", "1x"), ["/tiers/0/name"]),
    ("name_duplicate", _set("/tiers/1/name", "gold"), ["/tiers/2/name"]),
    ("vip_floor_unknown", _set("/vip_floor_tier", "bronze"), ["/vip_floor_tier"]),
    ("window_days_0", _set("/window_days", 0), ["/window_days"]),
    ("window_days_3651", _set("/window_days", 3651), ["/window_days"]),
    ("recency_days_0", _set("/recency_days", 0), ["/recency_days"]),
    ("recency_days_3651", _set("/recency_days", 3651), ["/recency_days"]),
    ("frequency_cap_0", _set("/frequency_cap", 0), ["/frequency_cap"]),
    ("frequency_cap_1001", _set("/frequency_cap", 1001), ["/frequency_cap"]),
    ("monetary_cap_0", _set("/monetary_cap", "0.00"), ["/monetary_cap"]),
    ("base_currency_XXX", _set("/base_currency", "XXX"), ["/base_currency"]),
    ("rate_unknown_currency", _set("/fx_rates/ABC", "1.5"), ["/fx_rates/ABC"]),
    ("rate_base_currency", _set("/fx_rates/EUR", "1"), ["/fx_rates/EUR"]),
    ("rate_0", _set("/fx_rates/USD", "0"), ["/fx_rates/USD"]),
    ("rate_negative", _set("/fx_rates/USD", -1), ["/fx_rates/USD"]),
    ("rate_7_decimals", _set("/fx_rates/USD", "0.1234567"), ["/fx_rates/USD"]),
    ("unknown_member", _set("/foo", 1), ["/foo"]),
    ("several", _chain(_set("/weights/credit", 0.2), _set("/tiers/1/colour", "red"), _set("/window_days", 0),
                       _set("/foo", True)),
     ["/weights", "/tiers/1/colour", "/window_days", "/foo"]),
]


@pytest.mark.parametrize("name,change,fields", BAD_PUTS, ids=[b[0] for b in BAD_PUTS])
def test_bad_put_is_422_and_changes_nothing(api, db, name, change, fields):
    import copy

    before = L.config(api)
    stored = db.scalar("SELECT row_to_json(s)::text FROM settings s")
    body = change(copy.deepcopy(before))
    r = L.put_config(api, body)
    if r.status == 200:  # put the configuration back before failing
        L.put_config(api, before)
    h.assert_problem(r, 422, fields=fields, fields_subset=True)
    after = L.config(api)
    assert after == before, f"{name}: the configuration changed: {after}"
    assert db.scalar("SELECT row_to_json(s)::text FROM settings s") == stored


@pytest.mark.parametrize("body", [b"[]", b"null", b"{", b"\"config\""], ids=["array", "null", "broken", "string"])
def test_put_not_a_config(api, body):
    before = L.config(api)
    r = L.put_config(api, body)
    if r.status == 200:
        L.put_config(api, before)
    assert r.status in (400, 422), r
    h.assert_problem(r, r.status)
    assert L.config(api) == before


@pytest.mark.parametrize("garbage", [{"formula_version": "garbage", "updated_at": 42},
                                     {"formula_version": -7, "updated_at": "yesterday"},
                                     {"formula_version": None, "updated_at": None},
                                     {"formula_version": 99999}],
                         ids=["string_and_number", "negative", "nulls", "big_version"])
def test_put_ignores_read_only_members(api, garbage):
    def change(cfg):
        cfg.update(garbage)
        return cfg

    before = L.config(api)
    with L.changed_config(api, change) as body:
        assert body["formula_version"] == before["formula_version"] + 1, body
        assert h.TS_RE.match(body["updated_at"]), body
        assert L.comparable(body) == L.comparable(before)
        assert L.config(api)["formula_version"] == before["formula_version"] + 1


def test_put_without_read_only_members(api):
    before = L.config(api)

    def change(cfg):
        del cfg["formula_version"], cfg["updated_at"]
        return cfg

    with L.changed_config(api, change) as body:
        assert body["formula_version"] == before["formula_version"] + 1


def test_config_change_rescores_guests(api, make_guest):
    g = make_guest()
    d.complaint(api, g["id"], severity="low")
    d.complaint(api, g["id"], severity="medium")
    before = L.loyalty(api, g["id"])
    assert before["score"] == 18.0 and before["tier"] == "standard", before
    with L.changed_config(api, _set("/weights", ONLY_SATISFACTION)) as body:
        assert body["rescore"]["guests"] >= 1 and body["rescore"]["tier_changes"]["up"] >= 1, body["rescore"]
        lo = L.loyalty(api, g["id"])
        assert lo["score"] == 80.0 and lo["tier"] == "platinum", lo
        assert lo["formula_version"] == body["formula_version"], lo
        assert {k: v["weight"] for k, v in lo["components"].items()} == ONLY_SATISFACTION, lo["components"]
        last = lo["tier_changes"][0]
        assert (last["from"], last["to"], last["reason"], last["score"]) == ("standard", "platinum", "config", 80.0)
        assert d.card(api, g["id"], key="marketing")["loyalty"]["score"] == 80.0
    lo = L.loyalty(api, g["id"])
    assert lo["score"] == before["score"] and lo["tier"] == "standard", lo
    assert lo["tier_changes"][0]["reason"] == "config" and lo["tier_changes"][0]["to"] == "standard"
    assert lo["formula_version"] == L.config(api)["formula_version"]


def test_config_change_of_vip_floor(api, make_guest):
    g = make_guest(vip_code="VIP-" + h.tok(6).upper())
    assert L.loyalty(api, g["id"])["tier"] == "gold"
    with L.changed_config(api, _set("/vip_floor_tier", "platinum")):
        lo = L.loyalty(api, g["id"])
        assert lo["tier"] == "platinum" and lo["vip_lifted"] is True, lo
        last = lo["tier_changes"][0]
        assert (last["from"], last["to"], last["reason"]) == ("gold", "platinum", "config"), last
    lo = L.loyalty(api, g["id"])
    assert lo["tier"] == "gold" and lo["vip_lifted"] is True, lo


def test_config_change_of_tiers_and_colours(api, make_guest):
    g = make_guest()
    tiers = [{"name": "basic", "min_score": 0, "colour": "#111111"},
             {"name": "member", "min_score": 15, "colour": "#222222"},
             {"name": "gold", "min_score": 90, "colour": "#333333"}]
    with L.changed_config(api, _set("/tiers", tiers)):
        lo = L.loyalty(api, g["id"])
        assert lo["tier"] == "member" and lo["colour"] == "#222222", lo
        cfg = L.config(api, key="marketing")
        assert [t["name"] for t in cfg["tiers"]] == ["basic", "member", "gold"]
    lo = L.loyalty(api, g["id"])
    assert lo["tier"] == "standard" and lo["colour"] == DEFAULT_COLOURS["standard"], lo


def test_config_change_of_fx_rates(api, make_guest):
    """Charges in another currency count at the configured rate; a currency without a rate does not count."""
    g = make_guest()
    d.charge(api, g["id"], recent_ts(), amount="100.00", currency="GBP", payment_status="paid")
    d.charge(api, g["id"], recent_ts(), amount="50.00", currency="EUR", payment_status="paid")
    cfg = L.config(api)
    before = L.loyalty(api, g["id"])
    if "GBP" not in cfg["fx_rates"]:
        assert before["components"]["monetary"]["spend"] == "50.00", before["components"]
        assert before["components"]["credit"]["billed"] == "50.00", before["components"]

    def change(cfg):
        cfg["fx_rates"]["GBP"] = "1.2"
        return cfg

    with L.changed_config(api, change) as body:
        assert body["fx_rates"]["GBP"] in ("1.2", "1.20", "1.200000"), body["fx_rates"]
        lo = L.loyalty(api, g["id"])
        assert lo["components"]["monetary"]["spend"] == "170.00", lo["components"]
        assert lo["components"]["credit"]["billed"] == "170.00", lo["components"]
        assert lo["components"]["credit"]["paid"] == "170.00", lo["components"]
        assert lo["score"] > before["score"], (before["score"], lo["score"])
    assert L.loyalty(api, g["id"])["components"]["monetary"] == before["components"]["monetary"]


def test_config_change_of_base_currency(api, make_guest):
    g = make_guest()
    d.charge(api, g["id"], recent_ts(), amount="100.00", currency="USD", payment_status="paid")
    d.charge(api, g["id"], recent_ts(), amount="30.00", currency="EUR", payment_status="paid")

    def change(cfg):
        cfg["base_currency"] = "USD"
        cfg["fx_rates"] = {"EUR": "1.1"}
        return cfg

    with L.changed_config(api, change):
        m = L.loyalty(api, g["id"])["components"]["monetary"]
        assert m["currency"] == "USD" and m["spend"] == "133.00", m


def test_config_numbers_as_numbers_or_strings(api):
    """Rates and the cap may be sent as numbers or strings; GET shows rates as decimal strings and the cap as money
    (two decimals)."""
    def change(cfg):
        cfg["fx_rates"] = {"GBP": 1.25, "USD": "0.920000", "CHF": 1}
        cfg["monetary_cap"] = 40000
        cfg["weights"] = {k: str(v) for k, v in cfg["weights"].items()}
        return cfg

    with L.changed_config(api, change) as body:
        for cfg in (body, L.config(api, key="frontdesk")):
            rates = cfg["fx_rates"]
            assert set(rates) == {"GBP", "USD", "CHF"} and all(isinstance(v, str) for v in rates.values()), rates
            assert {k: float(v) for k, v in rates.items()} == {"GBP": 1.25, "USD": 0.92, "CHF": 1.0}, rates
            assert cfg["monetary_cap"] == "40000.00", cfg["monetary_cap"]
            assert all(isinstance(v, (int, float)) for v in cfg["weights"].values()), cfg["weights"]


def test_config_read_back_as_written(api):
    """The stored numbers read back as they were sent (0.3, not 0.29999999999999999)."""
    import re

    with L.changed_config(api, lambda cfg: cfg):
        r = api("GET", "/v1/loyalty/config", key="ops")
        assert r.status == 200, r
        long_numbers = re.findall(rb"\d+\.\d{8,}", r.body)
        assert not long_numbers, f"numbers with float noise in GET /v1/loyalty/config: {long_numbers}: {r.body!r}"


# ------------------------------------------------------------------ rescore


@pytest.mark.parametrize("role", ["ops", "admin"])
def test_rescore_http(api, db, make_guest, role):
    make_guest()
    r = api("POST", "/v1/loyalty/rescore", key=role)
    assert r.status == 200, r
    s = r.json()
    L.assert_summary(s)
    guests = int(db.scalar("SELECT count(*) FROM guest WHERE deleted_at IS NULL"))
    assert s["guests"] == guests and s["batches"] == max(1, math.ceil(guests / 5000)), (s, guests)
    assert s["formula_version"] == L.config(api)["formula_version"], s
    again = api("POST", "/v1/loyalty/rescore", key=role).json()
    assert again["tier_changes"] == {"up": 0, "down": 0}, f"a second rescore moved guests: {again}"


@pytest.mark.parametrize("role", ["frontdesk", "marketing"])
def test_rescore_forbidden(api, role):
    h.assert_problem(api("POST", "/v1/loyalty/rescore", key=role), 403, "forbidden")


def test_rescore_anonymous(api):
    h.assert_problem(api("POST", "/v1/loyalty/rescore"), 401, "unauthorized")


def test_rescore_keeps_scores(api, make_guest, today):
    g = make_guest()
    completed_stay(api, g["id"], today, 40)
    d.complaint(api, g["id"], severity="high")
    before = L.loyalty(api, g["id"])
    r = api("POST", "/v1/loyalty/rescore", key="ops")
    assert r.status == 200, r
    after = L.loyalty(api, g["id"])
    assert after["score"] == before["score"] and after["components"] == before["components"]
    assert after["tier_changes"] == before["tier_changes"]
    assert h.parse_ts(after["computed_at"]) >= h.parse_ts(before["computed_at"])


def test_rescore_records_drift(api, db, make_guest):
    """Scores drift with time (recency): a stale stored row is put right by the rescore with reason "rescore"."""
    g = make_guest()
    gid = g["id"]
    db.rows(f"UPDATE guest_loyalty SET tier = 'gold', score = 55.0 WHERE guest_id = '{gid}'")
    r = api("POST", "/v1/loyalty/rescore", key="ops")
    assert r.status == 200, r
    assert r.json()["tier_changes"]["down"] >= 1, r.json()
    lo = L.loyalty(api, gid)
    assert lo["tier"] == "standard" and lo["score"] == 20.0, lo
    last = lo["tier_changes"][0]
    assert (last["from"], last["to"], last["reason"]) == ("gold", "standard", "rescore"), last


def cli(guestd_bin, *args):
    return h.run_cli(guestd_bin, "rescore", *args, timeout=120)


def test_cli_rescore(guestd_bin, db_url, db, api):
    p = cli(guestd_bin, "--database-url", db_url)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    lines = [line for line in p.stdout.decode().split("\n") if line.strip()]
    assert len(lines) == 1, f"expected one JSON line, got {p.stdout!r}"
    s = json.loads(lines[0])
    L.assert_summary(s, "guestd rescore")
    assert s["guests"] == int(db.scalar("SELECT count(*) FROM guest WHERE deleted_at IS NULL")), s
    assert s["formula_version"] == L.config(api)["formula_version"], s


def test_cli_rescore_batches(guestd_bin, db_url, db):
    p = cli(guestd_bin, "--batch-size", "97", "--database-url", db_url)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    s = json.loads(p.stdout.decode().strip())
    L.assert_summary(s)
    assert s["batches"] == math.ceil(s["guests"] / 97), s
    assert s["guests"] == int(db.scalar("SELECT count(*) FROM guest WHERE deleted_at IS NULL")), s


def test_cli_rescore_batch_size_divides_guests(guestd_bin, db_url, db):
    """When the batch size divides the number of guests, no empty batch is counted."""
    n = int(db.scalar("SELECT count(*) FROM guest WHERE deleted_at IS NULL"))
    p = cli(guestd_bin, "--batch-size", str(n), "--database-url", db_url)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    s = json.loads(p.stdout.decode().strip())
    assert s["guests"] == n and s["batches"] == 1, s


@pytest.mark.parametrize("size", ["0", "-1", "abc", "100001", "", "1.5"])
def test_cli_bad_batch_size(guestd_bin, db_url, size):
    p = cli(guestd_bin, "--batch-size", size, "--database-url", db_url)
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = [line for line in p.stderr.decode().splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("guestd: "), p.stderr
    assert p.stdout == b"", p.stdout


@pytest.mark.parametrize("jobs", ["0", "-1", "17", "two", "", "1.5"])
def test_cli_bad_jobs(guestd_bin, db_url, jobs):
    p = cli(guestd_bin, "--jobs", jobs, "--database-url", db_url)
    assert p.returncode == 2, (p.returncode, p.stderr)
    lines = [line for line in p.stderr.decode().splitlines() if line.strip()]
    assert len(lines) == 1 and "--jobs" in lines[0], p.stderr
    assert p.stdout == b"", p.stdout


def test_cli_jobs_share_the_guests(guestd_bin, db_url, db, make_guest):
    """Sessions side by side take disjoint ranges: every live guest is scored exactly once, and the result is
    the one a single session computes."""
    for _ in range(30):
        make_guest()
    live = int(db.scalar("SELECT count(*) FROM guest WHERE deleted_at IS NULL"))
    p = cli(guestd_bin, "--jobs", "4", "--batch-size", "3", "--database-url", db_url)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    s = json.loads(p.stdout.decode().strip())
    assert s["guests"] == live and s["batches"] == math.ceil(live / 3), (s, live)
    scored = db.scalar("SELECT string_agg(guest_id || ':' || score || ':' || tier, ',' ORDER BY guest_id)"
                       " FROM guest_loyalty l JOIN guest g ON g.id = l.guest_id WHERE g.deleted_at IS NULL")
    p = cli(guestd_bin, "--jobs", "1", "--database-url", db_url)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    assert json.loads(p.stdout.decode().strip())["guests"] == live
    again = db.scalar("SELECT string_agg(guest_id || ':' || score || ':' || tier, ',' ORDER BY guest_id)"
                      " FROM guest_loyalty l JOIN guest g ON g.id = l.guest_id WHERE g.deleted_at IS NULL")
    assert scored == again


def test_cli_help(guestd_bin):
    p = cli(guestd_bin, "--help")
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert out.startswith("Usage: guestd rescore"), out
    assert "--batch-size" in out and "--jobs" in out and "Exit codes" in out


def test_cli_unreachable_database(guestd_bin, tmp_path):
    p = cli(guestd_bin, "--database-url", f"host={tmp_path} dbname=nothing connect_timeout=2")
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert p.stderr.decode().startswith("guestd: "), p.stderr
    assert p.stdout == b""


# ------------------------------------------------------------------ a write during a rescore


@pytest.mark.parametrize("via", ["rescore", "config"])
def test_write_during_rescore_is_not_lost(api, db, db_url, make_guest, via):
    """A charge committed while a rescore batch is running must not be overwritten by the batch's older view.

    Deterministic interleaving: a psql session inserts a charge for the guest (its trigger updates the guest's
    score row and holds that row's lock), the rescore starts (its snapshot does not see the charge) and waits for
    the lock, then the session commits. Afterwards the stored loyalty must include the charge: "scores change in
    the same transaction as the history they come from", and a rescore must not undo that. via "config": the
    rescore of a configuration PUT (which refreshes the card's stats too)."""
    import subprocess
    import threading
    import time

    g = make_guest()
    gid = g["id"]
    assert h.UUID_RE.match(gid)
    body = L.config(api) if via == "config" else None
    args = ["psql", "-XAtq", "-v", "ON_ERROR_STOP=1", "-d", db_url]
    session = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    result = {}
    try:
        session.stdin.write("BEGIN;\n"
                            "INSERT INTO consumption (guest_id, occurred_at, category, amount, currency, payment_status)"
                            f" VALUES ('{gid}', now() - interval '1 day', 'bar', 40.00, 'EUR', 'paid');\n"
                            "\\echo ready\n")
        session.stdin.flush()
        line = session.stdout.readline().strip()
        assert line == "ready", f"psql session: {line!r} {session.stderr.read() if session.poll() is not None else ''}"

        def rescore():
            if via == "config":
                result["r"] = api("PUT", "/v1/loyalty/config", key="admin", body=body, timeout=60)
            else:
                result["r"] = api("POST", "/v1/loyalty/rescore", key="ops", timeout=60)

        t = threading.Thread(target=rescore)
        t.start()
        deadline = time.monotonic() + 5
        waited = False
        while time.monotonic() < deadline and not waited:
            waited = db.scalar("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                               " AND query LIKE '%rescore_batch%'") != "0"
            time.sleep(0.02)
        session.stdin.write("COMMIT;\n\\q\n")
        session.stdin.flush()
        session.wait(timeout=30)
        assert session.returncode == 0, session.stderr.read()
        t.join(timeout=60)
        assert not t.is_alive(), "the rescore did not finish"
    finally:
        if session.poll() is None:
            session.kill()
            session.wait()
    assert result["r"].status == 200, result["r"]
    lo = L.loyalty(api, gid)
    m, c = lo["components"]["monetary"], lo["components"]["credit"]
    stats = d.card(api, gid)["stats"]
    assert m["spend"] == "40.00" and c["billed"] == "40.00", \
        (f"the rescore (which waited for the lock: {waited}) overwrote the score written with the charge: "
         f"monetary {m}, credit {c}")
    assert stats["total_spend"] == "40.00", \
        f"the {via} rescore (which waited for the lock: {waited}) overwrote the card's stats: {stats}"


def test_rescore_leaves_deleted_guests_as_they_were(api, db, make_guest, guestd_bin, db_url):
    """A nightly rescore skips soft-deleted guests, so a restore brings back the score it had; a configuration
    change still reaches them (their tier must be one of the configuration's)."""
    g = make_guest()["id"]
    r = api("DELETE", f"/v1/guests/{g}", key="frontdesk")
    assert r.status == 204, r
    before = db.scalar(f"SELECT computed_at::text || ' ' || formula_version FROM guest_loyalty WHERE guest_id = '{g}'")
    p = cli(guestd_bin, "--database-url", db_url)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    after = db.scalar(f"SELECT computed_at::text || ' ' || formula_version FROM guest_loyalty WHERE guest_id = '{g}'")
    assert after == before, (before, after)
    r = api("POST", "/v1/loyalty/rescore", key="ops")
    assert r.status == 200, r
    assert db.scalar(f"SELECT computed_at::text || ' ' || formula_version FROM guest_loyalty WHERE guest_id = '{g}'") \
        == before
    r = L.put_config(api, L.config(api))
    assert r.status == 200, r
    version = db.scalar(f"SELECT formula_version FROM guest_loyalty WHERE guest_id = '{g}'")
    assert int(version) == r.json()["formula_version"], (version, r.json()["formula_version"])
