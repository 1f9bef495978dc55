#!/usr/bin/env python3
"""Generate the python-stdnum cross-check fixtures for beian-core's identifier validators.

    pip install python-stdnum
    python3 scripts/gen_stdnum_fixtures.py

Writes, with a fixed random seed (so a re-run gives the same files unless stdnum changes):

  crates/core/tests/fixtures/stdnum_ric.csv    resident ID numbers (stdnum.cn.ric)
  crates/core/tests/fixtures/stdnum_uscc.csv   unified social credit codes (stdnum.cn.uscc)

Each row is a number and stdnum's verdict on it ("valid" or the exception's class name),
plus stdnum's computed check character where the body allows one, and a few facts the Rust
test needs to tell our intended differences from bugs. `crates/core/tests/stdnum_crosscheck.rs`
reads them; its header lists the intended differences.
"""

import csv
import datetime
import os
import random

from stdnum import numdb
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "crates", "core", "tests", "fixtures")

PROVINCES = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65",
]
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def verdict(module, number):
    try:
        module.validate(number)
        return "valid"
    except ValidationError as e:
        return type(e).__name__


def counties():
    """Six-digit county codes stdnum knows, from its own database."""
    db = numdb.get("cn/loc")
    codes = []
    for province in PROVINCES + ["71", "81", "82", "83"]:
        for n in range(0, 10000):
            code = "%s%04d" % (province, n)
            parts = db.info(code)
            if len(parts) == 2 and parts[1][1].get("county"):
                codes.append(code)
    return codes


def random_date(rng, start_year, end_year):
    start = datetime.date(start_year, 1, 1).toordinal()
    end = datetime.date(end_year, 12, 31).toordinal()
    return datetime.date.fromordinal(rng.randint(start, end))


def ric_with_check(body17):
    return body17 + ric.calc_check_digit(body17 + "0")


def date_ok(number):
    try:
        datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        return "1"
    except ValueError:
        return "0"


def ric_rows(rng, codes):
    numbers = []
    # Well-formed numbers: county, date 1930-2025, right check digit; retried until stdnum
    # accepts the county for that year.
    for _ in range(150):
        for _attempt in range(100):
            d = random_date(rng, 1930, 2025)
            n = ric_with_check(rng.choice(codes) + d.strftime("%Y%m%d") + "%03d" % rng.randint(0, 999))
            if ric.is_valid(n):
                break
        numbers.append(n)
    # The same, not retried: stdnum refuses many for a county that did not exist that year.
    for _ in range(30):
        d = random_date(rng, 1930, 2025)
        numbers.append(ric_with_check(rng.choice(codes) + d.strftime("%Y%m%d") + "%03d" % rng.randint(0, 999)))
    # Hong Kong / Macao / Taiwan codes (81 82 83 and 71).
    for region in ["810000", "820000", "830000", "710000"] * 3:
        d = random_date(rng, 1950, 2020)
        numbers.append(ric_with_check(region + d.strftime("%Y%m%d") + "%03d" % rng.randint(0, 999)))
    # Birth dates in the future (relative to the test's fixed today, 2026-01-01).
    for _ in range(8):
        d = random_date(rng, 2027, 2040)
        numbers.append(ric_with_check(rng.choice(codes) + d.strftime("%Y%m%d") + "%03d" % rng.randint(0, 999)))
    # Impossible dates with a right check digit: 30 Feb, 29 Feb of common years, month 13, day 32.
    for date in ["19900230", "19000229", "20230229", "19991301", "19990132", "19990001", "19990100"]:
        numbers.append(ric_with_check(rng.choice(codes) + date + "%03d" % rng.randint(0, 999)))
    # 29 February of leap years.
    for date in ["20000229", "19960229", "20240229"]:
        numbers.append(ric_with_check(rng.choice(codes) + date + "%03d" % rng.randint(0, 999)))
    # Wrong check digit.
    for _ in range(60):
        good = ric_with_check(rng.choice(codes) + random_date(rng, 1930, 2025).strftime("%Y%m%d") + "%03d" % rng.randint(0, 999))
        wrong = rng.choice([c for c in "0123456789X" if c != good[-1]])
        numbers.append(good[:-1] + wrong)
    # Random 18 digits, 15 digits, 17 digits, letters.
    for _ in range(30):
        numbers.append("".join(rng.choice("0123456789") for _ in range(18)))
    for _ in range(5):
        numbers.append("".join(rng.choice("0123456789") for _ in range(15)))
        numbers.append("".join(rng.choice("0123456789") for _ in range(17)))
        numbers.append("".join(rng.choice("0123456789") for _ in range(10)) + "A" + "1234567")
    rows = []
    for n in numbers:
        digits17 = len(n) == 18 and n[:17].isdigit()
        rows.append({
            "number": n,
            "stdnum": verdict(ric, n),
            "check": ric.calc_check_digit(n) if digits17 else "",
            "date_ok": date_ok(n) if digits17 else "",
        })
    return rows


def gb11714(body8):
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body8]
    r = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return "X" if r == 10 else ("0" if r == 11 else str(r))


def uscc_structured(rng, codes):
    authority, kind = rng.choice(["91", "91", "91", "92", "93", "11", "12", "51", "52", "53", "Y1"])
    division = rng.choice([c for c in codes if c[:2] in PROVINCES])
    body = "".join(rng.choice(ALPHABET) for _ in range(8))
    first17 = authority + kind + division + body + gb11714(body)
    return first17 + uscc.calc_check_digit(first17)


def uscc_rows(rng, codes):
    rows = []
    for _ in range(150):
        rows.append((uscc_structured(rng, codes), "1"))
    # Lower case is normalised by both.
    for _ in range(10):
        rows.append((uscc_structured(rng, codes).lower(), "1"))
    # One character changed (to another of the alphabet, or to I O Z S V).
    for _ in range(80):
        good = uscc_structured(rng, codes)
        i = rng.randrange(18)
        c = rng.choice([a for a in ALPHABET + "IOZSV" if a != good[i]])
        rows.append((good[:i] + c + good[i + 1:], "0"))
    # Two adjacent characters swapped.
    for _ in range(30):
        good = uscc_structured(rng, codes)
        i = rng.randrange(17)
        swapped = good[:i] + good[i + 1] + good[i] + good[i + 2:]
        if swapped != good:
            rows.append((swapped, "0"))
    # Random strings over the alphabet, with a correct MOD 31 character: stdnum accepts them,
    # we check the organisation code, authority, kind and division too.
    for _ in range(30):
        first17 = "".join(rng.choice("0123456789") for _ in range(8)) + "".join(rng.choice(ALPHABET) for _ in range(9))
        rows.append((first17 + uscc.calc_check_digit(first17), "0"))
    # Wrong lengths.
    for length in (17, 19, 0):
        rows.append(("".join(rng.choice(ALPHABET) for _ in range(length)), "0"))
    out = []
    for n, structured in rows:
        up = n.upper()
        computable = len(up) == 18 and all(c in ALPHABET for c in up[:17])
        out.append({
            "number": n,
            "stdnum": verdict(uscc, n),
            "check": uscc.calc_check_digit(up) if computable else "",
            "structured": structured,
        })
    return out


def write(name, rows):
    path = os.path.join(OUT, name)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print("wrote %d rows to %s" % (len(rows), os.path.relpath(path, ROOT)))


def main():
    rng = random.Random(20260101)
    codes = counties()
    os.makedirs(OUT, exist_ok=True)
    write("stdnum_ric.csv", ric_rows(rng, codes))
    write("stdnum_uscc.csv", uscc_rows(rng, codes))


if __name__ == "__main__":
    main()
