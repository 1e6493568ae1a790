"""Settings of drift monitoring: sample sizes, tests and their thresholds, retraining rules.

One frozen value describes a monitoring run, so it can be logged next to its results.
The defaults were chosen on the nightly lead scoring, the first model monitored:

- Samples. Drift is measured on seeded samples, never on all rows: Evidently's drift
  metrics took 144 s on 1M rows x 30 columns, and a distance between two
  distributions is estimated to within ~1/sqrt(n) long before n reaches a million.
  In bench/bench_drift.py (1M rows a side, 30 lead features, 5 seeds), 20,000 rows a
  side gave the full-data verdict on every feature not within 0.02 of its threshold,
  on a quiet, a drifted and a score-shifted pair; the whole stage took 5-7 s. Below
  that, high-cardinality categories are the first to go wrong: the Jensen-Shannon
  distance of a 400-value column (owner_rep_id) is biased upwards on small samples and
  raised false alarms at 10,000 rows and fewer. Raise the sample sizes before adding
  a feature with thousands of values.
- Tests. Distances, not p-values: with tens of thousands of rows any p-value test
  flags differences too small to matter, and its verdict depends on the sample size.
  The normed Wasserstein distance (numeric) and the Jensen-Shannon distance
  (categorical) are what Evidently itself picks above 1,000 rows, here made explicit
  so the choice cannot change with the data. Scores use PSI, the usual measure of
  score drift (0.1 = a moderate shift, 0.25 = a major one).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ml.settings import Settings

# Evidently's names of its drift tests (evidently.legacy.calculations.stattests), as
# ValueDrift accepts them. Kept here so that a typo fails when the settings are made,
# without importing Evidently (seconds) just to read settings.
KNOWN_TESTS = frozenset(
    {
        "wasserstein", "jensenshannon", "psi", "hellinger", "kl_div", "ed",  # distances
        "ks", "chisquare", "z", "anderson", "cramer_von_mises", "mannw", "t_test",  # p-values
        "g_test", "TVD", "es", "fisher_exact", "empirical_mmd",
    }
)  # fmt: skip


@dataclass(frozen=True)
class DriftConfig:
    """How drift is measured and when it asks for retraining.

    Raises (on construction):
        ValueError: with a one-sentence message naming the bad setting.
    """

    reference_sample_size: int = 20_000  # rows of training inputs kept with a model version
    current_sample_size: int = 20_000  # rows of tonight's features compared with them
    seed: int = 42
    numeric_test: str = "wasserstein"
    numeric_threshold: float = 0.1  # normed Wasserstein distance at or above: drifted
    categorical_test: str = "jensenshannon"
    categorical_threshold: float = 0.1  # Jensen-Shannon distance at or above: drifted
    share_drifted_features: float = 0.3  # data drift when this share of features drifted
    prediction_test: str = "psi"
    prediction_threshold: float = 0.2  # PSI between moderate (0.1) and major (0.25)
    auc_drop: float = 0.05  # realised AUC this far below the AUC at promotion: retrain
    cooldown_days: int = 7  # no new retraining within this many days of the last one
    label_window_days: int = (
        90  # days until a prediction's label is final (salespipe.yml's drift section)
    )

    def __post_init__(self) -> None:
        for name in ("reference_sample_size", "current_sample_size", "label_window_days"):
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{name} must be an integer of at least 1, got {value!r}.")
        for name in ("seed", "cooldown_days"):
            value = getattr(self, name)
            if not _is_int(value) or value < 0:
                raise ValueError(f"{name} must be a non-negative integer, got {value!r}.")
        for name in ("numeric_test", "categorical_test", "prediction_test"):
            value = getattr(self, name)
            if value not in KNOWN_TESTS:
                known = ", ".join(sorted(KNOWN_TESTS))
                raise ValueError(f"{name} must be one of {known}, got {value!r}.")
        for name in (
            "numeric_threshold",
            "categorical_threshold",
            "prediction_threshold",
            "auc_drop",
        ):
            value = getattr(self, name)
            if not _is_number(value) or value <= 0:
                raise ValueError(f"{name} must be a positive number, got {value!r}.")
        share = self.share_drifted_features
        if not _is_number(share) or not 0 < share <= 1:
            raise ValueError(f"share_drifted_features must be in (0, 1], got {share!r}.")

    def as_params(self) -> dict[str, str | int | float]:
        """The settings as flat parameters (for MLflow's log_params)."""
        return {name: getattr(self, name) for name in self.__dataclass_fields__}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


SECTION = "drift"


def drift_config(settings: Settings) -> DriftConfig:
    """The ``drift`` section of this install's salespipe.yml, defaults filled in.

    Raises:
        ml.config_file.ConfigError: the file is invalid.
    """
    return settings.section(SECTION, DriftConfig)
