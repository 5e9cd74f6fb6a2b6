#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the inputs of bench/import: N guests as NDJSON (with and without sections) and the same
rows as CSV files for the COPY baseline. Deterministic (seeded). Usage: import-gen.py N DIR"""

import csv
import json
import random
import sys
import uuid
from pathlib import Path

n = int(sys.argv[1])
out = Path(sys.argv[2])
rnd = random.Random(8)
FAMILY = ["Müller", "Rossi", "García", "Dubois", "Smith", "Tanaka", "Kowalski", "Silva", "Novak", "Jensen"]
GIVEN = ["Anna", "José", "Li", "Marie", "Olga", "Paul", "Sven", "Yuki", "Zoe", "Omar"]
COUNTRIES = ["DE", "IT", "ES", "FR", "GB", "JP", "PL", "BR", "CZ", "DK"]

with open(out / "full.ndjson", "w") as full, open(out / "basic.ndjson", "w") as basic, \
        open(out / "guest.csv", "w", newline="") as gc, open(out / "ref.csv", "w", newline="") as rc, \
        open(out / "stay.csv", "w", newline="") as sc, open(out / "consumption.csv", "w", newline="") as cc, \
        open(out / "preference.csv", "w", newline="") as pc:
    gw, rw, sw, cw, pw = (csv.writer(f) for f in (gc, rc, sc, cc, pc))
    for i in range(n):
        gid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
        g = {"family_name": FAMILY[i % 10], "given_name": GIVEN[(i // 10) % 10],
             "gender": ["female", "male", "other", "unknown"][i % 4],
             "birth_date": f"{1940 + i % 60}-{1 + i % 12:02d}-{1 + i % 28:02d}",
             "nationality": COUNTRIES[i % 10], "email": f"guest{i}@example.com",
             "phone": f"+4144{i:09d}", "language": "en", "marketing_consent": i % 3 == 0,
             "external_refs": [{"system": "pms", "id": f"PRF-{i:08d}"}]}
        basic.write(json.dumps(g, ensure_ascii=False) + "\n")
        gw.writerow([gid, g["family_name"], g["given_name"], g["gender"], g["birth_date"], g["nationality"],
                     g["email"], g["phone"], g["language"], "t" if g["marketing_consent"] else "f"])
        rw.writerow([gid, "pms", f"PRF-{i:08d}"])
        stays, charges = [], []
        for k in range(2):
            day = 1 + (i + k * 7) % 27
            month = 1 + (i + k) % 12
            s = {"check_in": f"2025-{month:02d}-{day:02d}", "check_out": f"2025-{month:02d}-{day + 1:02d}",
                 "status": "completed", "room_type": "deluxe", "adults": 2, "rate_amount": "189.00",
                 "currency": "EUR", "external_ref": f"RES-{i:08d}-{k}"}
            stays.append(s)
            sid = str(uuid.UUID(int=rnd.getrandbits(128), version=4))
            sw.writerow([gid, sid, s["check_in"], s["check_out"], "completed", "deluxe", 2, "189.00", "EUR",
                         s["external_ref"]])
            c = {"occurred_at": f"2025-{month:02d}-{day:02d}T20:00:00Z", "category": "dining",
                 "dining_type": "dinner", "covers": 2, "amount": "84.50", "currency": "EUR",
                 "payment_status": "paid"}
            charges.append(c)
            cw.writerow([gid, c["occurred_at"], "dining", "dinner", 2, "84.50", "EUR", "paid"])
        prefs = [{"category": "room", "key": "pillow", "value": "synthetic"}]
        pw.writerow([gid, "room", "pillow", "synthetic"])
        g.update(stays=stays, consumptions=charges, preferences=prefs)
        full.write(json.dumps(g, ensure_ascii=False) + "\n")
