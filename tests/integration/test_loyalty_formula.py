"""The loyalty formula (DESIGN §6; openapi/openapi.yaml, "Loyalty"), tested directly: sql/0003_loyalty.sql's pure
loyalty_compute(days_since_last_stay, completed_stays, spend, complaints_low_medium, complaints_high_critical,
resolved_with_good_feedback, billed, paid, no_shows, has_vip_code, cfg) -> jsonb, called through psql.

Every expectation is computed here, in Python, from the formula as DESIGN §6 and the API document write it (math.exp/math.log),
and compared with the database's answer: the score and each component value exactly after rounding to one
decimal, the inputs echoed back, the tier and vip_lifted."""

import json
import math
from decimal import ROUND_HALF_UP, Decimal

import pytest

# The default configuration (GET /v1/loyalty/config on a new database), formula parameters only.
DEFAULT = {
    "window_days": 1095, "recency_days": 365, "frequency_cap": 20, "monetary_cap": "50000.00",
    "weights": {"recency": 0.25, "frequency": 0.25, "monetary": 0.30, "satisfaction": 0.10, "credit": 0.10},
    "tiers": [{"name": "standard", "min_score": 0, "colour": "#9E9E9E"},
              {"name": "silver", "min_score": 30, "colour": "#C0C0C0"},
              {"name": "gold", "min_score": 50, "colour": "#D4AF37"},
              {"name": "platinum", "min_score": 70, "colour": "#E5E4E2"},
              {"name": "diamond", "min_score": 85, "colour": "#B9F2FF"}],
    "vip_floor_tier": "gold"}

COMPONENTS = ("recency", "frequency", "monetary", "satisfaction", "credit")
TENTH = Decimal("0.1")


def with_weights(**w):
    cfg = json.loads(json.dumps(DEFAULT))
    cfg["weights"] = {c: float(w.get(c, 0)) for c in COMPONENTS}
    return cfg


ONLY_SATISFACTION = with_weights(satisfaction=1)
ONLY_CREDIT = with_weights(credit=1)
ONLY_RECENCY = with_weights(recency=1)


def round1(x):
    """round(x::numeric, 1) of PostgreSQL for a float8 x: the cast keeps 15 significant digits, round() goes
    half away from zero."""
    return Decimal(f"{x:.15g}").quantize(TENTH, rounding=ROUND_HALF_UP)


def clamp(x, lo=0.0, hi=100.0):
    return max(lo, min(hi, x))


def money(v):
    return str(Decimal(str(v)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def expected(days=None, stays=0, spend="0", low_medium=0, high_critical=0, good=0, billed="0", paid="0", no_shows=0,
             vip=False, cfg=DEFAULT):
    """The documented formula, written out independently of the SQL."""
    w = cfg["weights"]
    if stays == 0 or days is None:
        r = 0.0
    else:
        r = 100 * math.exp(-max(days, 0) / cfg["recency_days"])
    f = 100 * min(1.0, math.log(1 + stays) / math.log(1 + cfg["frequency_cap"]))
    spend_v = max(float(Decimal(spend)), 0.0)
    m = 100 * min(1.0, math.log(1 + spend_v) / math.log(1 + float(Decimal(str(cfg["monetary_cap"])))))
    s = clamp(100 - 10 * low_medium - 25 * high_critical + 5 * good)
    billed_d, paid_d = Decimal(billed), Decimal(paid)
    c = clamp((float(100 * paid_d / billed_d) if billed_d > 0 else 100.0) - 20 * no_shows)
    values = {"recency": r, "frequency": f, "monetary": m, "satisfaction": s, "credit": c}
    score = round1(sum(w[k] * values[k] for k in COMPONENTS))
    by_score = [i for i, t in enumerate(cfg["tiers"]) if Decimal(str(t["min_score"])) <= score][-1]
    floor = [i for i, t in enumerate(cfg["tiers"]) if t["name"] == cfg["vip_floor_tier"]][0]
    lifted = bool(vip and by_score < floor)
    tier = cfg["tiers"][floor if lifted else by_score]["name"]
    return {
        "score": score, "tier": tier, "vip_lifted": lifted,
        "values": {k: round1(v) for k, v in values.items()},
        "raw": values,
        "inputs": {
            "recency": {"days_since_last_stay": days if stays > 0 else None},
            "frequency": {"completed_stays": stays},
            "monetary": {"spend": money(spend)},
            "satisfaction": {"complaints_low_medium": low_medium, "complaints_high_critical": high_critical,
                             "resolved_with_good_feedback": good},
            "credit": {"billed": money(billed), "paid": money(paid), "no_shows": no_shows},
        },
    }


def sql_num(v, cast):
    return "NULL::" + cast if v is None else f"'{v}'::{cast}"


def compute(db, days=None, stays=0, spend="0", low_medium=0, high_critical=0, good=0, billed="0", paid="0",
            no_shows=0, vip=False, cfg=None):
    """Calls loyalty_compute; cfg None means the stored configuration (SELECT loyalty FROM settings)."""
    cfg_sql = "(SELECT loyalty FROM settings)" if cfg is None else \
        "'" + json.dumps(cfg).replace("'", "''") + "'::jsonb"
    args = [sql_num(days, "integer"), sql_num(stays, "bigint"), sql_num(spend, "numeric"),
            sql_num(low_medium, "bigint"), sql_num(high_critical, "bigint"), sql_num(good, "bigint"),
            sql_num(billed, "numeric"), sql_num(paid, "numeric"), sql_num(no_shows, "bigint"),
            "true" if vip else "false", cfg_sql]
    text = db.scalar(f"SELECT loyalty_compute({', '.join(args)})::text")
    return json.loads(text, parse_float=Decimal)


def check(db, cfg=None, **inputs):
    """Computes both ways and compares everything; returns the database's answer."""
    got = compute(db, cfg=cfg, **inputs)
    exp = expected(cfg=cfg or DEFAULT, **inputs)
    what = f"inputs {inputs} (raw components {exp['raw']})"
    assert set(got) == {"score", "tier", "vip_lifted", "components"}, f"{what}: members {sorted(got)}"
    assert Decimal(str(got["score"])) == exp["score"], f"{what}: score {got['score']}, expected {exp['score']}"
    assert got["tier"] == exp["tier"], f"{what}: tier {got['tier']}, expected {exp['tier']} (score {got['score']})"
    assert got["vip_lifted"] is exp["vip_lifted"], f"{what}: vip_lifted {got['vip_lifted']}"
    comps = got["components"]
    assert set(comps) == set(COMPONENTS), f"{what}: components {sorted(comps)}"
    weights = (cfg or DEFAULT)["weights"]
    for name in COMPONENTS:
        c = comps[name]
        assert Decimal(str(c["value"])) == exp["values"][name], \
            f"{what}: {name} value {c['value']}, expected {exp['values'][name]}"
        assert math.isclose(float(c["weight"]), weights[name], abs_tol=1e-12), f"{what}: {name} weight {c}"
        for k, v in exp["inputs"][name].items():
            assert k in c, f"{what}: {name} lacks {k}: {c}"
            assert c[k] == v, f"{what}: {name}.{k} is {c[k]!r}, expected {v!r}"
    return got


@pytest.fixture(scope="module")
def stored_default(db):
    """The stored configuration must be the default one (other modules restore what they change)."""
    stored = json.loads(db.scalar("SELECT loyalty::text FROM settings"))
    assert stored["window_days"] == DEFAULT["window_days"] and stored["recency_days"] == DEFAULT["recency_days"]
    assert stored["frequency_cap"] == DEFAULT["frequency_cap"]
    assert Decimal(str(stored["monetary_cap"])) == Decimal(DEFAULT["monetary_cap"])
    assert {k: float(v) for k, v in stored["weights"].items()} == DEFAULT["weights"], stored
    assert [(t["name"], float(t["min_score"]), t["colour"]) for t in stored["tiers"]] == \
        [(t["name"], float(t["min_score"]), t["colour"]) for t in DEFAULT["tiers"]], stored
    assert stored["vip_floor_tier"] == "gold"
    return stored


# ------------------------------------------------------------------ default configuration


def test_no_history(db, stored_default):
    got = check(db)
    assert Decimal(str(got["score"])) == Decimal("20.0") and got["tier"] == "standard"
    assert Decimal(str(got["components"]["recency"]["value"])) == 0
    assert Decimal(str(got["components"]["frequency"]["value"])) == 0
    assert got["components"]["recency"]["days_since_last_stay"] is None
    assert got["vip_lifted"] is False


def test_nulls_are_zeros(db, stored_default):
    """NULL aggregates (no rows at all) mean 0 / nothing, as for a guest without history."""
    got = compute(db, days=None, stays=None, spend=None, low_medium=None, high_critical=None, good=None,
                  billed=None, paid=None, no_shows=None)
    assert Decimal(str(got["score"])) == Decimal("20.0"), got
    assert got["tier"] == "standard"
    c = got["components"]
    assert c["frequency"]["completed_stays"] == 0 and c["monetary"]["spend"] == "0.00"
    assert c["credit"]["billed"] == "0.00" and c["credit"]["paid"] == "0.00" and c["credit"]["no_shows"] == 0
    assert Decimal(str(c["credit"]["value"])) == 100 and Decimal(str(c["satisfaction"]["value"])) == 100


@pytest.mark.parametrize("no_shows", range(1, 7))
def test_only_no_shows(db, stored_default, no_shows):
    got = check(db, no_shows=no_shows)
    assert Decimal(str(got["components"]["credit"]["value"])) == Decimal(max(0, 100 - 20 * no_shows))


@pytest.mark.parametrize("spend,m", [("0", Decimal("0.0")), ("1000000000", Decimal("100.0")),
                                     ("50000.00", Decimal("100.0")), ("50001.00", Decimal("100.0")),
                                     ("49999.99", None), ("1234.50", None), ("0.01", None), ("1", None),
                                     ("100", None), ("999.99", None)])
def test_spend(db, stored_default, spend, m):
    got = check(db, spend=spend, billed=spend, paid=spend)
    if m is not None:
        assert Decimal(str(got["components"]["monetary"]["value"])) == m, got


def test_spend_is_not_negative(db, stored_default):
    got = compute(db, spend="-100")
    assert Decimal(str(got["components"]["monetary"]["value"])) == 0, got


@pytest.mark.parametrize("low_medium,high_critical,good,s", [
    (0, 0, 0, 100), (1, 0, 0, 90), (2, 0, 0, 80), (0, 1, 0, 75), (0, 2, 0, 50), (1, 1, 0, 65), (2, 1, 0, 55),
    (0, 4, 0, 0), (0, 5, 0, 0), (10, 0, 0, 0), (11, 0, 0, 0), (1, 0, 1, 95), (1, 0, 2, 100), (0, 0, 3, 100),
    (3, 3, 2, 5), (4, 3, 1, 0), (0, 1, 1, 80), (0, 3, 4, 45), (10, 10, 10, 0)])
def test_complaint_mixes(db, stored_default, low_medium, high_critical, good, s):
    got = check(db, low_medium=low_medium, high_critical=high_critical, good=good)
    assert Decimal(str(got["components"]["satisfaction"]["value"])) == Decimal(s), got


@pytest.mark.parametrize("billed,paid,no_shows,credit", [
    ("100.00", "100.00", 0, 100), ("100.00", "0.00", 0, 0), ("200.00", "50.00", 0, 25), ("300.00", "100.00", 0, None),
    ("100.00", "100.00", 2, 60), ("100.00", "50.00", 1, 30), ("100.00", "50.00", 3, 0), ("0.00", "0.00", 1, 80),
    ("1234.56", "1000.00", 0, None), ("99.99", "33.33", 0, None)])
def test_unpaid_charges(db, stored_default, billed, paid, no_shows, credit):
    got = check(db, billed=billed, paid=paid, spend=billed, no_shows=no_shows)
    if credit is not None:
        assert Decimal(str(got["components"]["credit"]["value"])) == Decimal(credit), got


def test_billed_with_nothing_paid(db, stored_default):
    """refresh_loyalty passes paid = sum(...) FILTER (WHERE paid): NULL when no charge is paid. With something
    billed, nothing paid is a credit of 0, not 100."""
    got = compute(db, billed="100.00", paid=None, spend="100.00")
    assert Decimal(str(got["components"]["credit"]["value"])) == 0, \
        f"billed 100, paid NULL (no paid charge): credit {got['components']['credit']}"


@pytest.mark.parametrize("days,r", [(0, Decimal("100.0")), (365, Decimal("36.8")), (730, Decimal("13.5")),
                                    (1, None), (30, None), (124, Decimal("71.2")), (1095, Decimal("5.0")),
                                    (2000, None)])
def test_recency(db, stored_default, days, r):
    got = check(db, days=days, stays=1)
    if r is not None:
        assert Decimal(str(got["components"]["recency"]["value"])) == r, got
    assert got["components"]["recency"]["days_since_last_stay"] == days


def test_recency_needs_a_completed_stay(db, stored_default):
    got = check(db, days=10, stays=0)
    assert Decimal(str(got["components"]["recency"]["value"])) == 0
    assert got["components"]["recency"]["days_since_last_stay"] is None


@pytest.mark.parametrize("stays,f", [(0, Decimal("0.0")), (1, None), (3, Decimal("45.5")), (20, Decimal("100.0")),
                                     (21, Decimal("100.0")), (500, Decimal("100.0")), (7, None)])
def test_frequency(db, stored_default, stays, f):
    got = check(db, stays=stays, days=10)
    if f is not None:
        assert Decimal(str(got["components"]["frequency"]["value"])) == f, got


@pytest.mark.parametrize("inputs", [
    dict(days=124, stays=3, spend="1234.50", low_medium=1, billed="1234.50", paid="1234.50"),
    dict(days=0, stays=20, spend="50000.00", billed="50000.00", paid="50000.00"),
    dict(days=3, stays=12, spend="20000.00", billed="20000.00", paid="20000.00", good=1),
    dict(days=45, stays=8, spend="8000.00", high_critical=1, billed="9000.00", paid="8000.00", no_shows=1),
    dict(days=700, stays=1, spend="150.00", billed="150.00", paid="0.00", no_shows=2, low_medium=2),
    dict(days=200, stays=5, spend="3000.00", billed="3000.00", paid="3000.00"),
], ids=["example", "perfect", "frequent", "mixed", "poor", "middle"])
def test_whole_guests(db, stored_default, inputs):
    check(db, **inputs)


def test_perfect_guest_is_diamond(db, stored_default):
    got = check(db, days=0, stays=20, spend="50000.00", billed="50000.00", paid="50000.00")
    assert Decimal(str(got["score"])) == Decimal("100.0") and got["tier"] == "diamond"


# ------------------------------------------------------------------ vip_code


def test_vip_lifts_standard_to_gold(db, stored_default):
    got = check(db, vip=True)
    assert got["tier"] == "gold" and got["vip_lifted"] is True
    assert Decimal(str(got["score"])) == Decimal("20.0"), "the vip_code lifts the tier, not the score"


def test_vip_lifts_silver_to_gold(db, stored_default):
    inputs = dict(days=700, stays=1, spend="150.00", billed="150.00", paid="150.00")  # 43.3
    plain = check(db, **inputs)
    assert plain["tier"] == "silver", plain
    got = check(db, vip=True, **inputs)
    assert got["tier"] == "gold" and got["vip_lifted"] is True and got["score"] == plain["score"]


def test_vip_does_not_lower_platinum(db, stored_default):
    inputs = dict(days=3, stays=12, spend="20000.00", billed="20000.00", paid="20000.00")
    plain = check(db, **inputs)
    assert plain["tier"] in ("platinum", "diamond"), plain
    got = check(db, vip=True, **inputs)
    assert got["tier"] == plain["tier"] and got["vip_lifted"] is False


def test_vip_keeps_platinum_by_satisfaction(db):
    got = check(db, vip=True, cfg=ONLY_SATISFACTION, low_medium=3)  # score 70.0: platinum by score
    assert got["tier"] == "platinum" and got["vip_lifted"] is False


def test_vip_on_gold_is_not_a_lift(db, stored_default):
    got = check(db, vip=True, cfg=ONLY_SATISFACTION, low_medium=5)  # score 50.0: gold by score
    assert got["tier"] == "gold" and got["vip_lifted"] is False


def test_vip_floor_from_the_configuration(db):
    cfg = json.loads(json.dumps(DEFAULT))
    cfg["vip_floor_tier"] = "platinum"
    got = check(db, vip=True, cfg=cfg, days=700, stays=1, spend="150.00", billed="150.00", paid="150.00")
    assert got["tier"] == "platinum" and got["vip_lifted"] is True
    cfg["vip_floor_tier"] = "standard"
    got = check(db, vip=True, cfg=cfg)
    assert got["tier"] == "standard" and got["vip_lifted"] is False


# ------------------------------------------------------------------ tier boundaries (custom weights)


@pytest.mark.parametrize("low_medium,high_critical,good,score,tier", [
    (5, 0, 0, "50.0", "gold"), (7, 0, 0, "30.0", "silver"), (3, 0, 0, "70.0", "platinum"), (0, 0, 0, "100.0", "diamond"),
    (1, 1, 1, "70.0", "platinum"), (0, 2, 0, "50.0", "gold"), (10, 0, 0, "0.0", "standard"),
    (8, 0, 1, "25.0", "standard"), (3, 0, 3, "85.0", "diamond"), (4, 0, 1, "65.0", "gold")])
def test_satisfaction_only(db, low_medium, high_critical, good, score, tier):
    got = check(db, cfg=ONLY_SATISFACTION, low_medium=low_medium, high_critical=high_critical, good=good)
    assert Decimal(str(got["score"])) == Decimal(score) and got["tier"] == tier, got


@pytest.mark.parametrize("paid,tier", [
    ("0.00", "standard"), ("29.90", "standard"), ("30.00", "silver"), ("30.01", "silver"),
    ("49.90", "silver"), ("50.00", "gold"), ("69.90", "gold"), ("70.00", "platinum"), ("84.90", "platinum"),
    ("85.00", "diamond"), ("100.00", "diamond")])
def test_tier_boundaries(db, paid, tier):
    """credit = 100 * paid / 100.00 = paid: exact scores on both sides of every boundary."""
    got = check(db, cfg=ONLY_CREDIT, billed="100.00", paid=paid, spend="100.00")
    assert got["tier"] == tier, got


def test_score_29_95_rounds_up_to_silver(db):
    got = compute(db, cfg=ONLY_CREDIT, billed="100.00", paid="29.95")
    assert Decimal(str(got["score"])) == Decimal("30.0") and got["tier"] == "silver", got


def test_score_is_rounded_before_the_tier(db):
    """29.96 rounds to 30.0: the tier is read from the rounded score."""
    got = compute(db, cfg=ONLY_CREDIT, billed="100.00", paid="29.96")
    assert Decimal(str(got["score"])) == Decimal("30.0") and got["tier"] == "silver", got
    got = compute(db, cfg=ONLY_CREDIT, billed="100.00", paid="29.94")
    assert Decimal(str(got["score"])) == Decimal("29.9") and got["tier"] == "standard", got


@pytest.mark.parametrize("days,value", [(0, "100.0"), (365, "36.8"), (1, None), (100, None), (3650, None)])
def test_recency_only(db, days, value):
    got = check(db, cfg=ONLY_RECENCY, days=days, stays=1)
    if value is not None:
        assert Decimal(str(got["score"])) == Decimal(value)


def test_recency_days_from_the_configuration(db):
    cfg = json.loads(json.dumps(ONLY_RECENCY))
    cfg["recency_days"] = 30
    got = check(db, cfg=cfg, days=30, stays=1)
    assert Decimal(str(got["score"])) == Decimal("36.8")


def test_caps_from_the_configuration(db):
    cfg = json.loads(json.dumps(DEFAULT))
    cfg["frequency_cap"] = 3
    cfg["monetary_cap"] = "1000.00"
    got = check(db, cfg=cfg, days=0, stays=3, spend="1000.00", billed="1000.00", paid="1000.00")
    assert Decimal(str(got["components"]["frequency"]["value"])) == 100
    assert Decimal(str(got["components"]["monetary"]["value"])) == 100
    assert Decimal(str(got["score"])) == Decimal("100.0")


def test_tiers_from_the_configuration(db):
    cfg = json.loads(json.dumps(ONLY_SATISFACTION))
    cfg["tiers"] = [{"name": "bronze", "min_score": 0, "colour": "#CD7F32"},
                    {"name": "gold", "min_score": 95.5, "colour": "#D4AF37"}]
    got = check(db, cfg=cfg, low_medium=1, good=1)   # 95.0
    assert got["tier"] == "bronze"
    got = check(db, cfg=cfg)                          # 100.0
    assert got["tier"] == "gold"


def test_same_inputs_same_result(db, stored_default):
    inputs = dict(days=45, stays=8, spend="8000.00", high_critical=1, billed="9000.00", paid="8000.00", no_shows=1)
    assert compute(db, **inputs) == compute(db, **inputs)
