"""The application factory: ``flask --app app run``."""

from __future__ import annotations

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

import cli
import config
import routes
from extensions import (
    babel,
    compress,
    db,
    discard_dead_connections,
    end_read_only_transactions,
    keep_reading_sessions,
    limiter,
    migrate,
    select_locale,
)
from web import json_answers, replica


def create_app(test_config: dict | None = None) -> Flask:
    """Create the app; ``test_config`` overrides settings (tests point it at their database)."""
    app = Flask(__name__)
    app.config.update(config.from_environment())
    if test_config:
        app.config.update(test_config)
    json_answers.init_app(app)
    db.init_app(app)
    replica.init_app(app)  # before every other request hook: it chooses the request's database
    end_read_only_transactions(app)
    discard_dead_connections(app)
    keep_reading_sessions(app)
    migrate.init_app(app, db, directory=str(app.root_path + "/migrations"))
    babel.init_app(app, locale_selector=select_locale)
    compress.init_app(app)
    limiter.init_app(app)
    routes.init_app(app)
    cli.init_app(app)
    if app.config["PROXY_HOPS"]:
        # Behind N trusted proxies: take the client's address from X-Forwarded-For (audit, throttling).
        # Flask's documented way to wrap the WSGI app; mypy sees only a method being replaced.
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    return app
