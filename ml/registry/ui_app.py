"""The MLflow server app of ``salespipe models ui``: MLflow's basic-auth app, opening in the
classic machine-learning view.

MLflow 3.17's UI chooses between its GenAI view (traces first) and its classic
machine-learning view (runs, metrics, models) by a per-browser setting, the sidebar's
"GenAI / Model training" switch, kept in the browser's local storage under
``mlflow.workflowType_v1`` and GenAI unless chosen. The experiment tag
``mlflow.experimentKind`` that earlier 3.x UIs read is ignored while that switch exists
(it always does in 3.17). So a first visit opens every experiment on an empty Traces
page. This app serves MLflow's own page with one line that makes "Model training" the
starting choice of a browser that has not chosen; the switch still works and is
remembered. Registered as the ``mlflow.app`` entry point ``salespipe`` (pyproject.toml),
so ``mlflow server --app-name salespipe`` runs it.
"""

from __future__ import annotations

WORKFLOW_KEY = "mlflow.workflowType_v1"  # MLflow's useLocalStorage: f"{key}_v{version}"
CLASSIC_VIEW = (
    "<script>try{if(!localStorage.getItem('" + WORKFLOW_KEY + "'))"
    "localStorage.setItem('" + WORKFLOW_KEY + "',JSON.stringify('machine_learning'))}"
    "catch(e){}</script>"
)


def create_app():
    """MLflow's tracking server with basic auth, its page starting in the classic view."""
    from flask import Response, request
    from mlflow.server import app
    from mlflow.server.auth import create_app as with_basic_auth

    @app.after_request
    def classic_view_by_default(response: Response) -> Response:
        if request.method == "GET" and response.mimetype == "text/html":
            response.direct_passthrough = False
            page = response.get_data(as_text=True)
            if "<head>" in page and WORKFLOW_KEY not in page:
                response.set_data(page.replace("<head>", "<head>" + CLASSIC_VIEW, 1))
                response.headers.pop("ETag", None)
        return response

    return with_basic_auth(app)
