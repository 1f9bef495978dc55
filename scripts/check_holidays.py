#!/usr/bin/env python3
"""Throwaway check of crates/core/data/holidays.toml against independent sources.

Compares every day of 2020-01-01..2026-12-31 as working / non-working between our file and
  * the `chinesecalendar` package (module chinese_calendar), and
  * the `holidays` package (holidays.China, with its "substituted from" make-up days),
and prints every mismatch. Exit status 1 if chinesecalendar disagrees (the primary check).

    pip install chinesecalendar holidays
    python3 scripts/check_holidays.py
"""
import datetime as dt
import re
import sys
import tomllib
from pathlib import Path

FIRST, LAST = dt.date(2020, 1, 1), dt.date(2026, 12, 31)
DATA = Path(__file__).resolve().parent.parent / "crates/core/data/holidays.toml"


def ours():
    doc = tomllib.loads(DATA.read_text(encoding="utf-8"))
    off, make_up = set(), set()
    for year in doc["years"]:
        for h in year["holidays"]:
            d = h["first"]
            while d <= h["last"]:
                off.add(d)
                d += dt.timedelta(days=1)
            make_up.update(h.get("make_up", []))
    return lambda d: d in make_up or (d.weekday() < 5 and d not in off)


def days():
    d = FIRST
    while d <= LAST:
        yield d
        d += dt.timedelta(days=1)


def compare(name, theirs, working):
    bad = [(d, working(d), theirs(d)) for d in days() if working(d) != theirs(d)]
    print(f"{name}: {len(bad)} mismatching day(s) of {(LAST - FIRST).days + 1}")
    for d, a, b in bad:
        print(f"  {d} {d.strftime('%a')}: ours={'work' if a else 'off'} {name}={'work' if b else 'off'}")
    return bad


def main():
    working = ours()
    import chinese_calendar

    bad = compare("chinesecalendar", chinese_calendar.is_workday, working)

    try:
        import holidays
    except ImportError:
        print("holidays: not installed, skipped")
        return 1 if bad else 0
    cn = holidays.China(years=range(FIRST.year, LAST.year + 1))
    substituted = set()
    for name in cn.values():
        for m in re.finditer(r"substituted from (\d\d)/(\d\d)/(\d{4})", name):
            substituted.add(dt.date(int(m[3]), int(m[1]), int(m[2])))
    compare(
        "holidays",
        lambda d: d in substituted or (d.weekday() < 5 and d not in cn),
        working,
    )
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
