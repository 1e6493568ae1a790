"""salespipe.yml: sections fill config dataclasses; mistakes are named, never ignored."""

from __future__ import annotations

import pytest

from ml.config_file import ConfigError, load_section
from ml.lead_scoring.config import LeadScoringConfig


def test_missing_file_gives_defaults(tmp_path):
    assert (
        load_section(tmp_path / "nope.yml", "lead_scoring", LeadScoringConfig)
        == LeadScoringConfig()
    )


def test_values_and_nested_sections_are_read(tmp_path):
    path = tmp_path / "salespipe.yml"
    path.write_text(
        "lead_scoring:\n  label_window_days: 60\n  grade_cutoffs: [0.6, 0.4, 0.2]\n"
        "  xgboost: {max_depth: 3}\n"
    )
    config = load_section(path, "lead_scoring", LeadScoringConfig)
    assert config.label_window_days == 60
    assert config.grade_cutoffs == (0.6, 0.4, 0.2)
    assert config.xgboost.max_depth == 3 and config.xgboost.n_estimators == 400


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "lead_scoring:\n  label_window: 60\n",
            "lead_scoring: unknown key(s) label_window; known:",
        ),
        ("lead_scoring:\n  min_auc: high\n", "lead_scoring.min_auc must be a number, got 'high'"),
        ("lead_scoring:\n  xgboost: {depth: 3}\n", "lead_scoring.xgboost: unknown key(s) depth"),
        (
            "lead_scoring:\n  grade_cutoffs: 0.5\n",
            "lead_scoring.grade_cutoffs must be a list, got 0.5",
        ),
        ("lead_scoring: [1, 2]\n", "lead_scoring must be a mapping, got [1, 2]"),
        ("lead_scoring:\n  label_window_days: 0\n", "label_window_days must be at least 1, got 0"),
    ],
)
def test_mistakes_name_the_file_section_and_key(tmp_path, text, message):
    path = tmp_path / "salespipe.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_section(path, "lead_scoring", LeadScoringConfig)
    assert str(caught.value).startswith(f"{path}: ") and message in str(caught.value)
