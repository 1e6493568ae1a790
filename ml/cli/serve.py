"""``salespipe serve``: the on-demand scoring API (CONTRACT §5, docs/serving.md)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ml.cli.common import log
from ml.settings import Settings


def add_parser(command: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """Add ``salespipe serve`` through the main parser's ``command(name, help)``."""
    serve = command(
        "serve",
        "serve the scoring API (POST /v1/leads/score) with lead_scoring@champion, "
        "on 127.0.0.1 unless serving.host says otherwise",
    )
    serve.add_argument(
        "--port", type=int, default=None,
        help="port to listen on (default: serving.port in salespipe.yml, else 8000)",
    )  # fmt: skip
    serve.add_argument(
        "--host", default=None,
        help="address to bind (default: serving.host in salespipe.yml, else 127.0.0.1)",
    )  # fmt: skip
    serve.set_defaults(handler=_serve)


def _serve(args: argparse.Namespace, settings: Settings) -> None:
    import uvicorn

    from ml.cli.state import require_model_store
    from ml.serving.service import build_app

    require_model_store(settings, "there is no model to serve")
    config = settings.serving()
    host = args.host or config.host
    port = args.port or config.port
    log.info("loading lead_scoring@champion and compiling its feature SQL ...")
    app = build_app(settings)
    log.info("scoring API on http://%s:%d (OpenAPI: /openapi.json, docs: /docs)", host, port)
    uvicorn.run(app, host=host, port=port, log_level="info", workers=1)
