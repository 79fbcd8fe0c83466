"""Language choice: ``?lang=``, then the reader's earlier choice, then ``Accept-Language``.

Dutch is the default. The choice made with the visible switch is remembered in a cookie; a
``lang`` parameter always wins, so an embedding page can ask for a language without cookies.
"""

from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, g, request
from flask_babel import format_date, format_datetime, get_locale

COOKIE = "lang"


def _supported() -> tuple[str, ...]:
    return tuple(current_app.config["LANGUAGES"])


def select_locale() -> str:
    choice = request.args.get("lang") or request.cookies.get(COOKIE)
    if choice in _supported():
        return choice
    best = request.accept_languages.best_match(_supported())
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def _remember_choice(response: Response) -> Response:
    choice = request.args.get("lang")
    if g.get("embed") is not None:
        return response  # the iframe carries its language in its links, never in a cookie
    if choice in _supported() and request.cookies.get(COOKIE) != choice:
        response.set_cookie(
            COOKIE,
            choice,
            max_age=365 * 24 * 3600,
            samesite="Lax",
            httponly=True,
            secure=request.is_secure,
        )
    return response


def url_with_lang(code: str) -> str:
    """The current page in another language (the switch in the header)."""
    args = request.args.to_dict(flat=False)
    args["lang"] = [code]
    return request.path + "?" + urlencode(args, doseq=True)


def long_date(value: datetime) -> str:
    """A date the reader's way: '7 februari 2018' in Dutch, 'February 7, 2018' in English."""
    return format_date(value, format="long")


def local_date(moment: datetime) -> date:
    """The calendar day of ``moment`` where the blogs are published."""
    return moment.astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])).date()


def iso_date(moment: datetime) -> str:
    """For ``<time datetime>``: the same day the visible date shows."""
    return local_date(moment).isoformat()


def date_and_time(value: datetime) -> str:
    """'7 februari 2018, 10:00' in the site's time zone."""
    return format_datetime(value, format="d MMMM y, HH:mm")


def current_language() -> str:
    if "language" not in g:
        g.language = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return str(g.language)


def init_app(app: Flask) -> None:
    app.after_request(_remember_choice)
    app.jinja_env.filters["long_date"] = long_date
    app.jinja_env.filters["date_and_time"] = date_and_time
    app.jinja_env.filters["iso_date"] = iso_date
    app.jinja_env.globals.update(
        url_with_lang=url_with_lang,
        current_language=current_language,
        LANGUAGE_NAMES={"nl": "Nederlands", "en": "English"},
    )
