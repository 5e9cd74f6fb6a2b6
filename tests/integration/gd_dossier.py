"""Helpers for the dossier sections (issue 3): paths, minimal bodies, creation shortcuts.

Everything goes through the validating Api of gd_helpers, so every response is checked against the
OpenAPI document as well."""

import datetime
import urllib.parse

import gd_helpers as h

SECTIONS = ("stays", "consumptions", "preferences", "special-dates", "complaints")
TABLE = {"stays": "stay", "consumptions": "consumption", "preferences": "preference",
         "special-dates": "special_date", "complaints": "complaint"}
COMMON_READ_ONLY = ("id", "guest_id", "version", "created_at", "updated_at")
DERIVED_READ_ONLY = {"stays": ("nights", "month"), "consumptions": ("per_person",), "preferences": ("evidence",),
                     "special-dates": (), "complaints": ("resolved_at",)}
ITEM_KEYS = {
    "stays": {"check_in", "check_out", "status", "room_type", "room_number", "booking_channel", "purpose", "adults",
              "children", "rate_amount", "currency", "amenities_used", "external_ref", "nights", "month"},
    "consumptions": {"occurred_at", "category", "dining_type", "covers", "amount", "currency", "discount_rate",
                     "payment_method", "payment_status", "revenue", "stay_id", "description", "per_person"},
    "preferences": {"category", "key", "value", "source", "note", "evidence"},
    "special-dates": {"kind", "date", "label"},
    "complaints": {"received_at", "stay_id", "category", "severity", "description", "status", "resolution",
                   "compensation_amount", "compensation_currency", "feedback_score", "resolved_at"},
}

CARD_KEYS = ("stats", "preferences", "special_dates", "recent_stays")
STATS_KEYS = {"stays", "nights", "total_spend", "currency", "average_spend_per_stay", "last_stay_at", "complaints",
              "open_complaints", "complaint_ratio"}


def minimal(section):
    """A minimal valid POST body for a section (preference keys are unique per call)."""
    if section == "stays":
        return {"check_in": "2025-03-01", "check_out": "2025-03-04"}
    if section == "consumptions":
        return {"occurred_at": "2025-03-02T19:30:00Z", "category": "bar", "amount": "12.50", "currency": "EUR"}
    if section == "preferences":
        return {"category": "other", "key": "k-" + h.tok(10), "value": "some value"}
    if section == "special-dates":
        return {"kind": "birthday", "date": "1980-05-17"}
    if section == "complaints":
        return {"category": "noise", "severity": "low", "description": "Loud corridor"}
    raise ValueError(section)


def path(gid, section, item_id=None):
    p = f"/v1/guests/{gid}/{section}"
    return p if item_id is None else f"{p}/{item_id}"


def create(api, gid, section, body=None, role="frontdesk", **fields):
    """POST an item (minimal body updated with fields); asserts 201 and returns the item."""
    if body is None:
        body = minimal(section)
        body.update(fields)
    r = api("POST", path(gid, section), key=role, body=body)
    assert r.status == 201, f"setup: create {section} failed: {r!r}"
    return r.json()


def get(api, gid, section, item_id, key="frontdesk"):
    r = api("GET", path(gid, section, item_id), key=key)
    assert r.status == 200, r
    return r.json()


def patch(api, gid, section, item_id, body, key="frontdesk", expect=200):
    r = api("PATCH", path(gid, section, item_id), key=key, body=body,
            headers={"Content-Type": "application/merge-patch+json"})
    assert r.status == expect, r
    return r.json()


def list_all(api, gid, section, key="frontdesk", limit=500):
    """Walks the list with `limit`; returns all items in order (asserts no duplicates)."""
    items, cursor, seen_cursors = [], None, set()
    for _ in range(1000):
        q = f"?limit={limit}" + (f"&cursor={urllib.parse.quote(cursor, safe='')}" if cursor else "")
        r = api("GET", path(gid, section) + q, key=key)
        assert r.status == 200, r
        body = r.json()
        assert len(body["items"]) <= limit, body
        items.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            break
        assert cursor not in seen_cursors, f"cursor repeated: {cursor}"
        seen_cursors.add(cursor)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)), f"duplicates in the list walk: {ids}"
    return items


def card(api, gid, key="frontdesk"):
    r = api("GET", f"/v1/guests/{gid}", key=key)
    assert r.status == 200, r
    return r.json()


def stay(api, gid, check_in, nights=2, status="completed", role="frontdesk", **fields):
    """Creates a stay of `nights` nights from check_in (a date or 'YYYY-MM-DD')."""
    if isinstance(check_in, str):
        check_in = datetime.date.fromisoformat(check_in)
    body = {"check_in": check_in.isoformat(), "check_out": (check_in + datetime.timedelta(days=nights)).isoformat(),
            "status": status}
    body.update(fields)
    return create(api, gid, "stays", body=body, role=role)


def charge(api, gid, occurred_at, amount="10.00", category="dining", currency="EUR", role="frontdesk",
           **fields):
    body = {"occurred_at": occurred_at, "category": category, "amount": amount, "currency": currency}
    body.update(fields)
    return create(api, gid, "consumptions", body=body, role=role)


def complaint(api, gid, role="frontdesk", **fields):
    body = minimal("complaints")
    body.update(fields)
    return create(api, gid, "complaints", body=body, role=role)


def preferences(api, gid, key="frontdesk"):
    return list_all(api, gid, "preferences", key=key)


def pref(api, gid, category, pkey):
    """The preference (category, key) of a guest, or None; asserts there is at most one."""
    found = [p for p in preferences(api, gid) if p["category"] == category and p["key"] == pkey]
    assert len(found) <= 1, f"more than one preference ({category}, {pkey}): {found}"
    return found[0] if found else None
