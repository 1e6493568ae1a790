"""A version registered before a module moved still loads: its pickle names the old path."""

from __future__ import annotations

import pickle
import sys

import pytest

from ml.forecasting.models.forecaster import MOVED_MODULES as FORECAST_MOVES
from ml.forecasting.models.forecaster import GrainModel, RevenueForecastPyfunc
from ml.lead_scoring.model.pyfunc import MOVED_MODULES as LEAD_MOVES
from ml.modelling.encoding import Vocabulary
from ml.modelling.model import ExplainableModel
from ml.registry.pyfunc import old_module_paths


def pickled_under(obj: object, old_module: str, old_name: str | None = None) -> bytes:
    """``obj`` pickled as a version registered before the move wrote it: its class under
    ``old_module`` (protocol 0 names a class as a text line, so the path can be swapped),
    and under ``old_name`` when the class was renamed too."""
    data = pickle.dumps(obj, protocol=0)
    new_module = f"c{type(obj).__module__}\n{type(obj).__name__}\n".encode()
    assert new_module in data
    return data.replace(new_module, f"c{old_module}\n{old_name or type(obj).__name__}\n".encode())


def test_a_class_whose_module_moved_loads_from_its_old_path():
    vocabulary = Vocabulary({"source": ("__missing__", "__other__", "web")})
    old = pickled_under(vocabulary, "ml.lead_scoring.encoding")
    with pytest.raises(ModuleNotFoundError, match="ml.lead_scoring.encoding"):
        pickle.loads(old)
    with old_module_paths(LEAD_MOVES):
        assert pickle.loads(old) == vocabulary
    assert "ml.lead_scoring.encoding" not in sys.modules


def test_an_old_module_path_that_is_now_a_package_is_the_package_again_after_the_load():
    package = sys.modules["ml.lead_scoring.model"]
    model = ExplainableModel("xgboost", None, None, None, None, platt_slope=0.5)
    old = pickled_under(model, "ml.lead_scoring.model", "LeadModel")
    with pytest.raises(AttributeError, match="LeadModel"):
        pickle.loads(old)
    with old_module_paths(LEAD_MOVES):
        loaded = pickle.loads(old)
    assert (type(loaded), loaded.platt_slope) == (ExplainableModel, 0.5)
    assert sys.modules["ml.lead_scoring.model"] is package


def test_a_forecaster_pickled_before_forecasting_models_existed_loads():
    grain = GrainModel("week", {"total": "run_rate"}, {}, frozenset(), None)
    old = pickled_under(grain, "ml.forecasting.forecaster")
    with old_module_paths(FORECAST_MOVES):
        assert pickle.loads(old) == grain


def test_a_forecaster_version_whose_code_file_imports_the_old_pyfunc_module_loads():
    # Versions registered before the pyfunc folded into the forecaster module store a
    # code file that runs `from ml.forecasting.models.pyfunc import RevenueForecastPyfunc`.
    code = "from ml.forecasting.models.pyfunc import RevenueForecastPyfunc\n"
    with pytest.raises(ModuleNotFoundError, match="ml.forecasting.models.pyfunc"):
        exec(code, {})
    scope: dict = {}
    with old_module_paths(FORECAST_MOVES):
        exec(code, scope)
    assert scope["RevenueForecastPyfunc"] is RevenueForecastPyfunc
    assert "ml.forecasting.models.pyfunc" not in sys.modules
