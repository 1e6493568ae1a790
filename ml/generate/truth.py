"""The generator's own truth: the probability each lead was given of converting.

``<out>/_truth/leads.csv`` has one row per generated lead: ``lead_id``,
``true_conversion_probability`` (the sigmoid of the full log-odds the conversion was
drawn from, latent interest included) and ``converted`` (the draw). No model that
sees only the CRM can beat these probabilities, so they are the quality ceiling of
lead scoring. ``converted`` says whether the lead converts at all, also when that
happens after the last delivery day (the landing zone then still shows it open).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from ml.generate import columns as col
from ml.generate.config import TRUTH_FOLDER
from ml.generate.entities import Accounts, Reps
from ml.generate.leads import Cohort, conversion_probability
from ml.generate.timeline import Timeline

TRUTH_FILE = "leads.csv"


def truth_table(c: Cohort, accounts: Accounts, reps: Reps, tl: Timeline) -> pa.Table:
    """One truth row per lead of the cohort, in lead order."""
    p = conversion_probability(c, accounts, reps, tl)
    return pa.table(
        {
            "lead_id": col.ids("L", c.number, 8),
            "true_conversion_probability": pa.array(np.round(p, 6)),
            "converted": pa.array(c.converted),
        }
    )


def append_truth(out: Path, table: pa.Table) -> None:
    """Append rows to ``<out>/_truth/leads.csv``; the first call writes the header."""
    path = out / TRUTH_FOLDER / TRUTH_FILE
    new = not path.exists()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb" if new else "ab") as f:
        pacsv.write_csv(table, f, pacsv.WriteOptions(include_header=new))
