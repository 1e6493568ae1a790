"""Pointing MLflow at the install's own store, explicitly, in every process.

The embedded default is a SQLite tracking store and a local artifact folder under
``$SALESPIPE_HOME/mlflow`` (the file store is deprecated and raises in MLflow 3). A team
deployment sets ``SALESPIPE_MLFLOW_TRACKING_URI`` to its tracking server (basic auth,
``mlflow/``); the code path is the same, only the URI, the account and where artifacts
go differ: the server stores them (``--serve-artifacts``), so no local folder is made.
"""

from __future__ import annotations

from ml.settings import Settings

CHAMPION, CHALLENGER = "champion", "challenger"
# MLflow 3's UI shows an experiment as GenAI (traces first) or as classic machine learning
# (runs, metrics, models) by this tag; these experiments are machine learning.
EXPERIMENT_KIND, MACHINE_LEARNING = "mlflow.experimentKind", "custom_model_development"


def configure_mlflow(settings: Settings) -> None:
    """Set the tracking and registry URIs of this process to the install's store (and,
    for a tracking server, its credentials)."""
    import mlflow

    if settings.mlflow_is_remote:
        settings.export_mlflow_credentials()
    else:
        settings.mlflow_artifacts.mkdir(parents=True, exist_ok=True)
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    mlflow.set_registry_uri(settings.mlflow_tracking_uri)


def use_experiment(settings: Settings, name: str) -> str:
    """Make ``name`` the active experiment (created with its artifacts under home) and
    return its id. One experiment per use case."""
    import mlflow

    configure_mlflow(settings)
    experiment = mlflow.get_experiment_by_name(name)
    if experiment is None:
        # A tracking server picks the location itself (its proxied artifact store).
        location = (
            None if settings.mlflow_is_remote else (settings.mlflow_artifacts / name).as_uri()
        )
        experiment_id = mlflow.create_experiment(
            name, artifact_location=location, tags={EXPERIMENT_KIND: MACHINE_LEARNING}
        )
    else:
        experiment_id = experiment.experiment_id
        if experiment.tags.get(EXPERIMENT_KIND) != MACHINE_LEARNING:  # made by an older version
            client = mlflow.MlflowClient()
            client.set_experiment_tag(experiment_id, EXPERIMENT_KIND, MACHINE_LEARNING)
    mlflow.set_experiment(experiment_id=experiment_id)
    return experiment_id


def log_figures(figures: dict, folder: str = "plots") -> None:
    """Log each matplotlib figure of ``figures`` (file name -> figure) into ``folder`` of
    the active MLflow run, then close it (a training makes many)."""
    import matplotlib.pyplot as plt
    import mlflow

    for name, figure in figures.items():
        mlflow.log_figure(figure, f"{folder}/{name}")
        plt.close(figure)
