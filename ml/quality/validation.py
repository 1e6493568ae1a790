"""Running Great Expectations suites on DataFrames, and writing Data Docs.

GX runs here on pandas DataFrames only: its SQL path on DuckDB is broken in GX 1.24
(every expectation "fails" with an IndexError, ../shared/ENVIRONMENT.md). Results are
read strictly (:mod:`ml.quality.outcomes`): an expectation that errored fails the gate.
Data Docs are written with every validation when a reports folder is
given: ``<reports>/data_docs/index.html``, one page per suite and business date
(re-running a date replaces its pages), the GX stores beside it in ``<reports>/gx``.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ml.quality.outcomes import BLOCKING, SuiteOutcome, outcome_from_gx
from ml.quality.specs import FrameSuite, load_frame_suite

log = logging.getLogger(__name__)

SITE_NAME = "salespipe"  # the ephemeral context already has a `local_site`


class Validator:
    """One GX context for a run: validates frames against suites, then writes Data Docs."""

    def __init__(self, reports: Path | None = None, business_date: date | None = None) -> None:
        # GX logs every method it registers, at INFO, on import: noise in a task's log.
        logging.getLogger("great_expectations").setLevel(logging.WARNING)
        import great_expectations as gx

        self._gx = gx
        self._reports = reports
        self._business_date = business_date
        self._context = gx.get_context(project_config=_context_config(reports), mode="ephemeral")
        self._source = self._context.data_sources.add_pandas("frames")
        self._seen: dict[str, int] = {}

    @property
    def data_docs_index(self) -> Path | None:
        """Where Data Docs' index.html is written (None without a reports folder)."""
        return None if self._reports is None else self._reports / "data_docs" / "index.html"

    def validate(
        self,
        frame: pd.DataFrame,
        suite: str,
        expectations: list[tuple[str, dict[str, Any], dict[str, Any]]],
        index_columns: list[str] | None = None,
        unit: str = "rows",
    ) -> SuiteOutcome:
        """Validate ``frame`` against the expectations (type, kwargs, meta) as suite ``suite``.

        ``index_columns`` name the rows in GX's unexpected lists (and in Data Docs);
        ``unit`` is what a row of ``frame`` is, in messages ("files" for a profile).
        """
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        # The asset names the batch, and so the Data Docs page: one per suite and date.
        self._seen[suite] = self._seen.get(suite, 0) + 1
        name = suite if self._seen[suite] == 1 else f"{suite}-{self._seen[suite]}"
        asset = self._source.add_dataframe_asset(name)
        batch = asset.add_batch_definition_whole_dataframe("batch")
        gx_suite = self._gx.ExpectationSuite(
            name=suite,
            expectations=[
                ExpectationConfiguration(type=kind, kwargs=kwargs, meta=meta).to_domain_obj()
                for kind, kwargs, meta in expectations
            ],
        )
        gx_suite = self._context.suites.add_or_update(gx_suite)
        definition = self._context.validation_definitions.add(
            self._gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
        )
        result_format: dict[str, Any] = {"result_format": "COMPLETE"}
        if index_columns:
            result_format["unexpected_index_column_names"] = index_columns
        run_time = datetime.now(UTC)
        if self._business_date is not None:  # one page per business date: a re-run replaces it
            run_time = datetime.combine(self._business_date, datetime.min.time(), UTC)
        run_id = RunIdentifier(run_name=str(self._business_date or "adhoc"), run_time=run_time)
        result = definition.run(
            batch_parameters={"dataframe": frame}, result_format=result_format, run_id=run_id
        )
        return SuiteOutcome(suite, [outcome_from_gx(suite, r, unit) for r in result.results])

    def build_data_docs(self) -> Path | None:
        """Write Data Docs for everything validated so far; returns index.html's path."""
        if self._reports is None:
            return None
        self._context.build_data_docs(site_names=[SITE_NAME])
        return self.data_docs_index


def validate_frame(frame: pd.DataFrame, suite: str | FrameSuite) -> SuiteOutcome:
    """Validate a DataFrame against a named suite of expectations/ (no Data Docs).

    For model outputs before they are written, e.g.::

        validate_frame(scores, "ml.lead_scores").raise_for_failures()

    Raises:
        SpecError: no such suite.
    """
    spec = load_frame_suite(suite) if isinstance(suite, str) else suite
    return Validator().validate(frame, spec.name, frame_expectations(spec))


def frame_expectations(spec: FrameSuite) -> list[tuple[str, dict[str, Any], dict[str, Any]]]:
    """A frame suite's expectations, all of severity table."""
    return [(kind, kwargs, {"severity": BLOCKING}) for kind, kwargs in spec.expectations]


def _context_config(reports: Path | None) -> Any:
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    defaults = InMemoryStoreBackendDefaults()
    stores = dict(defaults.stores)
    sites = {}
    if reports is not None:
        # Suites and results on disk, so that each task's validations of a run (in separate
        # processes under the scheduler) end up on one Data Docs site.
        for store, folder in (
            ("expectations_store", "expectations"),
            ("validation_results_store", "validations"),
        ):
            stores[store] = {
                "class_name": stores[store]["class_name"],
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(reports / "gx" / folder),
                },
            }
        sites[SITE_NAME] = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(reports / "data_docs"),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        }
    return DataContextConfig(
        store_backend_defaults=defaults,
        stores=stores,
        data_docs_sites=sites,
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )
