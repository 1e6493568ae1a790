"""Re-date a one-delivery landing zone into weekly deliveries, so the warehouse sees its
history as it happened (docs/deal-scoring.md, "The Maven export").

A mapped export lands as one delivery (``<table>/<date>/<table>.csv``), and the
warehouse knows a row only from its delivery date on: from one delivery, no deal was
ever open before that day, and there is nothing to train a deal model on. This writes
every row into the delivery of the first Sunday on or after its own date (opportunities:
``updated_at``; stage history: ``changed_at``), the day the weekly feature snapshots are
taken. Reference tables without their own history (accounts, sales reps: the Maven
export has no dates for them) go into the first delivery, with ``created_at`` and
``updated_at`` set to it: they are taken as known from the start.

    .venv/bin/python bench/weekly_deliveries.py --landing IN --out OUT
"""

from __future__ import annotations

import argparse
import csv
import shutil
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

DATED = {"opportunities": "updated_at", "opportunity_stage_history": "changed_at"}
REFERENCE = ("accounts", "sales_reps")


def sunday_on_or_after(text: str) -> date:
    day = date.fromisoformat(text[:10])
    return day + timedelta(days=(6 - day.weekday()) % 7)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", type=Path, required=True, help="the one-delivery landing")
    parser.add_argument("--out", type=Path, required=True, help="a new folder")
    args = parser.parse_args()
    tables: dict[str, tuple[list[str], dict[date, list[dict]]]] = {}
    first = None
    for table, column in DATED.items():
        (path,) = (args.landing / table).glob("*/*.csv")
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            by_week: dict[date, list[dict]] = defaultdict(list)
            for row in reader:
                by_week[sunday_on_or_after(row[column])].append(row)
        tables[table] = (list(reader.fieldnames or []), by_week)
        first = min([*by_week, *([first] if first else [])])
    for table in REFERENCE:
        (path,) = (args.landing / table).glob("*/*.csv")
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = [{**row, "created_at": first.isoformat(), "updated_at": first.isoformat()}
                    if "created_at" in row else {**row, "updated_at": first.isoformat()}
                    for row in reader]  # fmt: skip
        tables[table] = (list(reader.fieldnames or []), {first: rows})
    for table, (header, by_week) in tables.items():
        for day, rows in sorted(by_week.items()):
            folder = args.out / table / day.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            with (folder / f"{table}.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, header)
                writer.writeheader()
                writer.writerows(rows)
        print(f"{table}: {sum(map(len, by_week.values())):,} rows in {len(by_week)} deliveries")
    if (args.landing / "_mapping.json").exists():
        shutil.copyfile(args.landing / "_mapping.json", args.out / "_mapping.json")


if __name__ == "__main__":
    main()
