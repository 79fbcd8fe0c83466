"""The reaction form. Required fields are enforced here; browser hints are a courtesy."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, StringField, TextAreaField, URLField
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..forms import Form
from ..render import MAX_COMMENT_LENGTH

MAX_NAME_LENGTH = 100
MAX_WEBSITE_LENGTH = 500


def _strip(value: str | None) -> str:
    return value.strip() if isinstance(value, str) else ""


def _text(value: str | None) -> str:
    return _strip(value).replace("\r\n", "\n").replace("\r", "\n")


def _http_url(form: Form, field: URLField) -> None:
    parts = urlsplit(field.data or "")
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in field.data:
        raise ValidationError(str(_l("Enter a web address that starts with https:// or http://.")))


class ReactionForm(Form):
    # Stateless: the reactions blueprint checks its own signed token and the Origin, so the
    # form also works inside an embedding site's iframe where no cookie is kept.
    class Meta:
        csrf = False

    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your name, with your surname.")),
            Length(max=MAX_NAME_LENGTH, message=_l("Your name can be at most %(max)d characters.")),
        ],
    )
    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter your e-mail address. It is never shown on the site.")),
            Length(max=254, message=_l("That e-mail address is too long.")),
            Email(
                _l("Enter an e-mail address like name@example.nl."),
                check_deliverability=False,
                allow_smtputf8=True,
            ),
        ],
    )
    website = URLField(
        _l("Website"),
        filters=[_strip],
        validators=[
            Optional(),
            Length(max=MAX_WEBSITE_LENGTH, message=_l("That web address is too long.")),
            _http_url,
        ],
    )
    body = TextAreaField(
        _l("Reaction"),
        filters=[_text],
        validators=[
            DataRequired(_l("Write your reaction.")),
            Length(
                max=MAX_COMMENT_LENGTH,
                message=_l("Your reaction can be at most %(max)d characters."),
            ),
        ],
    )
    parent = HiddenField()
    token = HiddenField()
    # When the form was shown (signed); placing much sooner is a robot's signal.
    started = HiddenField()

    def previewed_fields(self) -> tuple[str, str, str, str, str]:
        return (
            self.name.data,
            self.email.data,
            self.website.data or "",
            self.body.data,
            self.parent.data or "",
        )
