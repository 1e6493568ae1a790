"""What a GX validation found, read strictly: outcomes per expectation and per suite.

GX reports some errors quietly: an expectation on a column that does not exist comes
back ``success=False`` with the error buried in ``exception_info``, keyed by metric
rather than at the top. Every errored expectation counts as a failure of the gate.

Each expectation carries ``meta.severity``: ``table`` (a failure stops the night),
``row`` (the rows concerned were quarantined: reported, the night goes on) or ``warn``
(reported only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

BLOCKING = "table"


class QualityGateError(Exception):
    """Data failed a table-level expectation; the message names table, expectation and counts."""


@dataclass(frozen=True)
class ExpectationOutcome:
    """One expectation's result: what it checked, how severe, and what GX found."""

    suite: str
    expectation: str  # e.g. expect_column_values_to_be_between(amount)
    severity: str
    success: bool
    error: str | None  # GX's message when the expectation could not be evaluated
    found: str  # what GX observed, in words: "3 of 120 rows", "observed 5"
    note: str = ""
    rule: str | None = None  # for a raw table's row rule: its name; ``found`` is its row count

    @property
    def blocks(self) -> bool:
        """True if this outcome stops the night: a table-level failure, or any error."""
        return self.error is not None or (not self.success and self.severity == BLOCKING)

    def describe(self) -> str:
        """One line: the suite, the expectation or rule, its note, and what GX found."""
        note = f" ({self.note})" if self.note else ""
        if self.error:
            return f"{self.suite}: {self.expectation}{note} errored: {self.error}"
        if self.rule:
            return f"{self.suite}: {self.rule}: {self.found.removeprefix('observed ')} row(s){note}"
        return f"{self.suite}: {self.expectation}{note} failed: {self.found}"


@dataclass
class SuiteOutcome:
    """All expectations of one suite on one batch."""

    suite: str
    expectations: list[ExpectationOutcome] = field(default_factory=list)

    @property
    def success(self) -> bool:
        """False if an expectation of severity table failed or any expectation errored."""
        return not self.blocking

    @property
    def blocking(self) -> list[ExpectationOutcome]:
        """The outcomes that stop the night."""
        return [e for e in self.expectations if e.blocks]

    @property
    def reported(self) -> list[ExpectationOutcome]:
        """Failures that do not stop the night (row: quarantined; warn: noted)."""
        return [e for e in self.expectations if not e.success and not e.blocks]

    def raise_for_failures(self) -> None:
        """Raises QualityGateError listing the blocking expectations, if any."""
        if self.blocking:
            lines = [f"- {e.describe()}" for e in self.blocking]
            raise QualityGateError("\n".join(["Data-quality gate failed:", *lines]))


def outcome_from_gx(suite: str, result: Any, unit: str) -> ExpectationOutcome:
    """One GX ``ExpectationValidationResult`` as an outcome; an error makes it a failure.

    ``unit`` is what a row of the validated frame is, in messages ("rows", "files").
    """
    config = result.expectation_config
    kwargs = config.kwargs
    target = (
        kwargs.get("column")
        or kwargs.get("column_list")
        or ", ".join(str(kwargs[k]) for k in ("column_A", "column_B") if k in kwargs)
    )
    if isinstance(target, list):
        target = ", ".join(target)
    error = gx_error(result.exception_info)
    if error is None and result.success is None:
        error = "GX returned no verdict"
    success = bool(result.success) and error is None
    rule = config.meta.get("rule")
    if rule and success:
        # A row rule's expectation only counts its rows (ml.quality.profiles): any row
        # that broke it makes it a finding to report, though GX passed it.
        success = not (result.result or {}).get("observed_value")
    return ExpectationOutcome(
        suite=suite,
        expectation=f"{config.type}({target})" if target else config.type,
        severity=config.meta.get("severity", BLOCKING),
        success=success,
        error=error,
        found=_found(result.result or {}, unit),
        note=str(config.meta.get("notes", "")),
        rule=rule,
    )


def gx_error(exception_info: Any) -> str | None:
    """GX's error message for a result, or None if it was evaluated.

    ``exception_info`` comes in two shapes: flat (``{"raised_exception": ...}``) or
    keyed by metric (``{"MetricConfigurationID(...)": {"raised_exception": ...}}``),
    the latter for a metric that failed, e.g. on a missing column.
    """
    if not exception_info:
        return None
    if "raised_exception" in exception_info:
        infos = [exception_info]
    else:
        infos = [v for v in exception_info.values() if isinstance(v, dict)]
    for info in infos:
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "an exception without a message")
    return None


def _found(result: dict[str, Any], unit: str) -> str:
    if result.get("unexpected_count") is not None:
        found = f"{result['unexpected_count']:,} of {result.get('element_count', 0):,} {unit}"
        rows = [r for r in result.get("unexpected_index_list") or [] if isinstance(r, dict)]
        if rows:
            shown = "; ".join(_row_words(r) for r in rows[:5])
            found += f" ({shown}{'; ...' if len(rows) > 5 else ''})"
        return found
    if "observed_value" in result:
        return f"observed {result['observed_value']}"
    return "no result"


def _row_words(row: dict[str, Any]) -> str:
    """One unexpected row in words: texts as they are (unless another text holds them),
    numbers as name=value."""
    texts = [v for v in row.values() if isinstance(v, str)]
    words = [v for v in texts if not any(v != other and v in other for other in texts)]
    words += [f"{k}={v}" for k, v in row.items() if not isinstance(v, str)]
    return ", ".join(dict.fromkeys(words))
