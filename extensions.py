"""Flask extension singletons, bound to the app in ``create_app``."""

from __future__ import annotations

from flask import current_app, request
from flask_babel import Babel
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from geo.models import Base

# Objects stay readable after commit: a view that commits and then answers needs no reload round trips.
db = SQLAlchemy(model_class=Base, session_options={"expire_on_commit": False})
migrate = Migrate()
babel = Babel()
# Deqin's connections are slow: grid layers shrink about 4x compressed.
compress = Compress()
login_manager = LoginManager()
csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address)
# OpenAPI document of the incident API, at /api/openapi.json.
openapi = Api()

LANGUAGE_COOKIE = "lang"


def select_locale() -> str:
    """Chinese unless the user chose English (``?lang=en`` or the cookie it sets)."""
    choices = current_app.config["LANGUAGES"]
    wanted = request.args.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    return wanted if wanted in choices else current_app.config["BABEL_DEFAULT_LOCALE"]
