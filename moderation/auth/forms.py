"""The sign-in form. CSRF stays on (unlike the reaction form): it only works with the
session cookie anyway, and a forged sign-in could put a victim into an attacker's account."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from ..forms import Form
from .services import MAX_PASSWORD_LENGTH


def _strip(value: str | None) -> str:
    return value.strip() if isinstance(value, str) else ""


class LoginForm(Form):
    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the e-mail address of your editor account.")),
            Length(max=254, message=_l("That e-mail address is too long.")),
            Email(
                _l("Enter an e-mail address like name@example.nl."),
                check_deliverability=False,
                allow_smtputf8=True,
            ),
        ],
    )
    # Never filtered: spaces at either end may be part of someone's password.
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter your password.")),
            Length(max=MAX_PASSWORD_LENGTH, message=_l("That password is too long.")),
        ],
    )
