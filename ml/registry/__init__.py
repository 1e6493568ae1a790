"""The MLflow model registry, shared by every use case: tracking setup, the
champion/challenger gate, alias moves with their history, and rollback.

Promotion moves the ``champion`` alias (MLflow's stages are deprecated). MLflow keeps
no history of alias moves (mlflow#2169), so every move salespipe makes, and every move
made by hand in the MLflow UI that it notices, is written to
``monitoring.model_promotions``.
"""
