"""The shared access rules, applied to every request in one place.

- Every endpoint needs a signed-in user (session cookie or ``Authorization:
  Bearer`` API token) unless its view is marked ``@public`` (the residents'
  pages, Open311) or ``@keyed`` (public, authenticated by its own key per call).
- Every state-changing request must carry the CSRF token (form field or
  ``X-CSRFToken`` header) unless an API token authenticated it: such calls
  carry no cookies and so need none. Merely sending an ``Authorization`` header
  is not enough; a browser session with a bad token is still a browser session.
- Roles and nets are checked with ``@require``; jurisdiction is enforced by the
  domain queries through ``current_principal()``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Flask, Request, Response, current_app, redirect, request, session, url_for
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_login import UserMixin, current_user
from flask_wtf.csrf import CSRFError

from extensions import csrf, db, db_session, login_manager
from geo.accounts.capabilities import Capability
from geo.accounts.principal import Principal
from geo.accounts.sessions import Caller, caller_for_session, caller_for_token
from geo.core.errors import GridError
from geo.grid.models import Net
from web.errors import wants_json

UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: Endpoints whose view functions cannot carry the ``@public`` mark (Flask's, flask-smorest's).
PUBLIC_ENDPOINTS = {"static", "api-docs.openapi_json"}


class SignedInUser(UserMixin):
    """Flask-Login's view of a caller: the login session's key (None for an API token) and the principal."""

    def __init__(self, caller: Caller, session_key: str | None):
        self.id = session_key
        self.display_name = caller.display_name
        self.principal = caller.principal

    @property
    def authenticated_by_token(self) -> bool:
        return self.id is None


def public(view: Callable) -> Callable:
    """Mark a view as reachable without signing in."""
    view.is_public = True  # type: ignore[attr-defined]
    return view


def keyed(view: Callable) -> Callable:
    """Mark a public view whose callers authenticate each request with their own key (Open311's api_key).

    Such calls carry no cookies, so no CSRF token either: the key is the proof.
    """
    view.is_keyed = True  # type: ignore[attr-defined]
    return public(view)


def current_principal() -> Principal:
    """The signed-in caller (every non-public view runs only for one)."""
    return current_user.principal


def require(capability: Capability | None = None, *, net: Net | None = None) -> Callable:
    """Allow the view only to callers granted ``capability`` (any signed-in caller when None) holding ``net``."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any):
            principal = current_principal()
            if capability is not None:
                principal.require(capability)
            if net is not None:
                principal.require_net(net)
            return view(*args, **kwargs)

        return guarded

    return decorate


def _load_session_user(session_key: str) -> SignedInUser | None:
    caller = caller_for_session(db_session(), session_key)
    return SignedInUser(caller, session_key) if caller else None


def _load_token_user(incoming) -> SignedInUser | None:
    scheme, _, token = incoming.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    caller = caller_for_token(db.engine, db_session, token.strip())
    return SignedInUser(caller, None) if caller else None


class NotSignedIn(GridError):
    """No session and no valid API token on a request that needs a caller."""

    status = 401


class FormExpired(GridError):
    """A state change without a valid CSRF token: an old page, or a form from another site."""

    status = 400


def _unauthorised():
    if wants_json():
        raise NotSignedIn("sign in or send an API token (Authorization: Bearer ...)")
    return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))


def _authenticated_by_token() -> bool:
    return current_user.is_authenticated and current_user.authenticated_by_token


def accepts_upload(max_bytes: int) -> Callable:
    """Let a view take request bodies up to ``max_bytes`` (MAX_CONTENT_LENGTH holds for the others)."""

    def mark(view: Callable) -> Callable:
        view.max_upload_bytes = max_bytes  # type: ignore[attr-defined]
        return view

    return mark


def _enforce() -> Any:
    asked = request._get_current_object()  # type: ignore[attr-defined]  # once, not through the proxy each time
    endpoint = asked.endpoint
    if asked.routing_exception is not None or endpoint is None:
        return None  # 404 or 405: let Flask answer that first
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    view = app.view_functions.get(endpoint)
    # Before the CSRF check, which reads the form and so applies the size limit.
    asked.max_content_length = getattr(view, "max_upload_bytes", None) or app.config["MAX_CONTENT_LENGTH"]
    is_public = endpoint in PUBLIC_ENDPOINTS or getattr(view, "is_public", False)
    # Authentication first: a bad token alone is a 401, not a CSRF failure.
    if not is_public and not current_user.is_authenticated:
        return _unauthorised()
    if asked.method in UNSAFE_METHODS and not _authenticated_by_token() and not getattr(view, "is_keyed", False):
        try:
            csrf.protect()
        except CSRFError:
            raise FormExpired(
                "this form has expired or did not come from this site (CSRF token missing or invalid); "
                "reload the page and try again"
            ) from None
    return None


def _keep_no_session_for_tokens(response: Response) -> Response:
    """Send no session cookie to a caller that a token authenticated (its HTML pages store a CSRF token).

    A client keeping cookies (QGIS, a browser sending a token) would send that session back, and
    Flask-Login's session protection then takes the caller for anonymous before it reads the token.
    """
    # Cheapest test first: hardly any response changed its session (an unchanged one sends no cookie), and
    # asking who the caller is would load the account for every static file.
    if session.modified and "Authorization" in request.headers and _authenticated_by_token():
        session.modified = False
    return response


class CookieSessionOnDemand(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with nothing to verify when the request sends no session cookie.

    Flask builds its signing serializer on every request to read the cookie, whether there is one
    or not (10 µs; most API calls carry a token and no cookie, issue #13). Without the cookie the
    session is the same empty one Flask would give.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # what Flask answers after building the serializer
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # An empty session nobody changed sends no cookie; Flask would first read seven cookie
        # settings to learn that (7,000 instructions a response). The Vary header is what Flask would add.
        if not session and not session.modified:
            if session.accessed:
                response.vary.add("Cookie")
            return
        super().save_session(app, session, response)


def init_app(app: Flask) -> None:
    """Install the rules: loaders, the default-deny check, CSRF and their error answers."""
    app.session_interface = CookieSessionOnDemand()
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)  # checked in _enforce, so tokens can skip it
    app.config.setdefault("WTF_CSRF_HEADERS", ["X-CSRFToken"])
    login_manager.init_app(app)
    login_manager.user_loader(_load_session_user)
    login_manager.request_loader(_load_token_user)
    login_manager.session_protection = "strong"
    csrf.init_app(app)
    app.before_request(_enforce)
    app.after_request(_keep_no_session_for_tokens)
