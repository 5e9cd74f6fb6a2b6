"""Helpers for the loyalty routes (issue 4): the loyalty object, the configuration, changes that are always
restored. Everything goes through the validating Api of gd_helpers."""

import contextlib
import copy

import gd_helpers as h

COMPONENTS = ("recency", "frequency", "monetary", "satisfaction", "credit")
LOYALTY_KEYS = {"score", "tier", "colour", "vip_lifted", "components", "formula_version", "computed_at", "tier_since",
                "tier_changes"}
COMPONENT_KEYS = {
    "recency": {"value", "weight", "days_since_last_stay"},
    "frequency": {"value", "weight", "completed_stays"},
    "monetary": {"value", "weight", "spend", "currency"},
    "satisfaction": {"value", "weight", "complaints_low_medium", "complaints_high_critical",
                     "resolved_with_good_feedback"},
    "credit": {"value", "weight", "billed", "paid", "no_shows"},
}
CONFIG_KEYS = {"formula_version", "updated_at", "base_currency", "fx_rates", "window_days", "recency_days",
               "frequency_cap", "monetary_cap", "weights", "tiers", "vip_floor_tier"}
SUMMARY_KEYS = {"guests", "tier_changes", "batches", "formula_version", "duration_ms"}
READ_ONLY = ("formula_version", "updated_at")


def loyalty(api, gid, key="frontdesk"):
    r = api("GET", f"/v1/guests/{gid}/loyalty", key=key)
    assert r.status == 200, r
    return r.json()


def config(api, key="admin"):
    r = api("GET", "/v1/loyalty/config", key=key)
    assert r.status == 200, r
    return r.json()


def put_config(api, body, key="admin"):
    return api("PUT", "/v1/loyalty/config", key=key, body=body)


def comparable(cfg):
    """The configuration without its read-only members (and a PUT's rescore summary), numbers as floats."""

    def norm(v):
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        if isinstance(v, bool) or v is None or isinstance(v, str):
            return v
        return float(v)

    return norm({k: v for k, v in cfg.items() if k not in READ_ONLY + ("rescore",)})


def assert_summary(s, what="rescore summary"):
    assert isinstance(s, dict) and set(s) == SUMMARY_KEYS, f"{what}: members {s!r}"
    assert set(s["tier_changes"]) == {"up", "down"}, f"{what}: {s!r}"
    for k in ("guests", "batches", "formula_version", "duration_ms"):
        assert isinstance(s[k], int) and not isinstance(s[k], bool) and s[k] >= 0, f"{what}: {k} {s!r}"
    for k in ("up", "down"):
        v = s["tier_changes"][k]
        assert isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= s["guests"], f"{what}: {k} {s!r}"


@contextlib.contextmanager
def changed_config(api, change):
    """PUTs the current configuration with change(body) applied (asserts 200), yields the PUT's answer, and
    PUTs back exactly what GET returned before, whatever happens; checks the restore took."""
    before = config(api)
    body = change(copy.deepcopy(before))
    r = put_config(api, body)
    try:
        assert r.status == 200, f"setup: config PUT failed: {r!r}"
        yield r.json()
    finally:
        back = put_config(api, before)
        assert back.status == 200, f"restoring the loyalty configuration failed: {back!r}"
        assert comparable(config(api)) == comparable(before), "the loyalty configuration was not restored"
