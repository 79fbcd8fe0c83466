"""The admin forms. CSRF stays on. Each field checks what the admin typed and says at the
field what to change; a page with errors shows everything back exactly as it was typed."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    Field,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Regexp, StopValidation
from wtforms.widgets import TextInput

from ..auth.services import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH, password_problem
from ..forms import Form
from ..models import ModerationMode, Role
from . import services
from .services import BlogSettings, EditorChanges, NewEditor

MAX_LINES = 500


def _strip(value: str | None) -> str:
    return value.strip() if isinstance(value, str) else ""


class LinesField(TextAreaField):
    """One value a line. ``data`` is the list of clean values (each put through ``normalise``,
    trimmed, once by ``key``); an error names every line that will not do."""

    def __init__(
        self,
        label: Any = None,
        *,
        normalise: Callable[[str], str],
        key: Callable[[str], str] = str,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, **kwargs)
        self.normalise = normalise
        self.key = key
        self.typed: str | None = None

    def process_data(self, value: Any) -> None:
        self.data = list(value) if isinstance(value, list | tuple) else []

    def process_formdata(self, valuelist: list[str]) -> None:
        self.typed = valuelist[0] if valuelist else ""
        self.data = [line.strip() for line in self.typed.splitlines() if line.strip()]

    def _value(self) -> str:
        return self.typed if self.typed is not None else "\n".join(self.data or [])

    def pre_validate(self, form: Any) -> None:
        if len(self.data) > MAX_LINES:
            raise StopValidation(str(_l("At most %(max)d lines, please.", max=MAX_LINES)))
        clean = []
        for line in self.data:
            try:
                clean.append(self.normalise(line))
            except ValueError as problem:
                self.errors.append(str(problem))
        self.data = services.unique_lines(clean, self.key)


class WholeNumberField(Field):
    """A whole number from ``minimum`` to ``maximum``, or nothing when not ``required``; one
    message for every way it can be wrong. Typed as text: ``type=number`` inputs drop what
    they cannot parse before the server could say what was wrong with it."""

    widget = TextInput()

    def __init__(
        self,
        label: Any = None,
        *,
        minimum: int,
        maximum: int,
        message: Any,
        required: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(label, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        self.message = message
        self.required = required

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist: list[str]) -> None:
        text = valuelist[0].strip() if valuelist else ""
        self.data = int(text) if re.fullmatch(r"[+-]?[0-9]{1,9}", text) else None

    def pre_validate(self, form: Any) -> None:
        typed = bool(self.raw_data and str(self.raw_data[0]).strip())
        if self.data is None and (typed or self.required):
            raise StopValidation(str(self.message))
        if self.data is not None and not self.minimum <= self.data <= self.maximum:
            raise StopValidation(str(self.message))


class LanguageField(RadioField):
    """One of the site's languages, each named in itself (a blog's, an editor's mail)."""

    NAMES = {"nl": "Nederlands", "en": "English"}

    def __init__(self, label: str, **kwargs: Any) -> None:
        # Bound with its form, inside a request: the configured languages are known here.
        super().__init__(label, validate_choice=False, **kwargs)
        self.choices = [
            SelectChoice(code, self.NAMES.get(code, code))
            for code in current_app.config["LANGUAGES"]
        ]

    def pre_validate(self, form: Any) -> None:
        if self.data not in current_app.config["LANGUAGES"]:
            raise StopValidation(str(_l("Choose one of the languages offered.")))


class BlogForm(Form):
    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Give the blog a title.")),
            Length(max=200, message=_l("A title can be at most %(max)d characters.")),
        ],
    )
    description = TextAreaField(
        _l("Description"),
        filters=[_strip],
        validators=[
            Length(max=2000, message=_l("A description can be at most %(max)d characters."))
        ],
    )
    moderation_mode = RadioField(
        _l("When reactions appear"),
        choices=[
            SelectChoice(ModerationMode.POST.value, _l("Publish at once")),
            SelectChoice(ModerationMode.PRE.value, _l("An editor reads every reaction first")),
        ],
        default=ModerationMode.POST.value,
        validate_choice=False,
    )
    notify_addresses = LinesField(_l("Addresses to notify"), normalise=services.normalise_address)
    blocked_words = LinesField(
        _l("Blocked words"), normalise=services.normalise_word, key=str.lower
    )
    suspect_words = LinesField(
        _l("Suspect words"), normalise=services.normalise_word, key=str.lower
    )
    embed_origins = LinesField(
        _l("Sites that may embed this blog"), normalise=services.normalise_origin
    )
    language = LanguageField(_l("Language of the posts"), default="nl")
    comments_open = BooleanField(_l("Reactions are open"), default=True)
    close_after_days = WholeNumberField(
        _l("Close reactions after this many days"),
        minimum=services.CLOSE_AFTER_DAYS[0],
        maximum=services.CLOSE_AFTER_DAYS[1],
        required=False,
        message=_l("Enter a number of days from 1 to 3650, or leave this empty to never close."),
    )
    max_links = WholeNumberField(
        _l("Links allowed without a check"),
        minimum=services.MAX_LINKS[0],
        maximum=services.MAX_LINKS[1],
        default=2,
        message=_l("Enter a number from 0 to 50."),
    )

    def validate_moderation_mode(self, field: RadioField) -> None:
        if field.data not in {mode.value for mode in ModerationMode}:
            raise StopValidation(str(_l("Choose how reactions are moderated.")))

    def settings(self) -> BlogSettings:
        assert self.max_links.data is not None  # required, so a number once validated
        return BlogSettings(
            title=self.title.data,
            description=self.description.data,
            moderation_mode=ModerationMode(self.moderation_mode.data),
            notify_addresses=self.notify_addresses.data,
            blocked_words=self.blocked_words.data,
            suspect_words=self.suspect_words.data,
            embed_origins=self.embed_origins.data,
            language=self.language.data,
            comments_open=self.comments_open.data,
            close_after_days=self.close_after_days.data,
            max_links=self.max_links.data,
        )


class NewBlogForm(BlogForm):
    slug = StringField(
        _l("Slug"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Give the blog a slug: the part of its web address after /blogs/.")),
            Length(
                max=services.MAX_SLUG_LENGTH,
                message=_l("A slug can be at most %(max)d characters."),
            ),
            Regexp(
                services.SLUG.pattern + "$",
                message=_l(
                    "Use only lowercase letters, digits and hyphens, like samen-digitaal "
                    "(no hyphen at the start or end)."
                ),
            ),
        ],
    )


def _password_rule(form: Any, field: PasswordField) -> None:
    password = field.data or ""
    if not password:
        return
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StopValidation(
            str(
                _l(
                    "The password must be at least %(min)d characters long "
                    "(this one has %(length)d).",
                    min=MIN_PASSWORD_LENGTH,
                    length=len(password),
                )
            )
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StopValidation(
            str(_l("The password can be at most %(max)d characters.", max=MAX_PASSWORD_LENGTH))
        )
    if not password.strip():
        raise StopValidation(str(_l("The password cannot be only spaces.")))
    problem = password_problem(password)  # the account rules, should they ever grow
    if problem is not None:
        raise StopValidation(problem)


ROLE_CHOICES = [
    SelectChoice(Role.EDITOR.value, _l("Editor")),
    SelectChoice(Role.ADMIN.value, _l("Admin")),
]


class EditorFormBase(Form):
    name = StringField(
        _l("Name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the editor's name.")),
            Length(max=200, message=_l("A name can be at most %(max)d characters.")),
        ],
    )
    role = RadioField(
        _l("Role"), choices=ROLE_CHOICES, default=Role.EDITOR.value, validate_choice=False
    )
    # The route offers the blogs (``offer_blogs``); a value it did not offer is refused.
    blogs = SelectMultipleField(
        _l("Blogs"),
        coerce=int,
        invalid_choice_message=_l("There is no blog %(value)s (any more)."),
        invalid_value_message=_l("There is no blog like that."),
    )

    def validate_role(self, field: RadioField) -> None:
        if field.data not in {role.value for role in Role}:
            raise StopValidation(str(_l("Choose a role.")))

    def offer_blogs(self, blogs: Sequence[tuple[int, str]]) -> None:
        self.blogs.choices = [SelectChoice(str(value), label) for value, label in blogs]


class NewEditorForm(EditorFormBase):
    email = EmailField(
        _l("E-mail address"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the editor's e-mail address.")),
            Length(max=254, message=_l("That e-mail address is too long.")),
            Email(_l("Enter an e-mail address like name@example.nl."), check_deliverability=False),
        ],
    )
    # Never filtered: spaces at either end may be part of a password.
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(_l("Give the account an initial password.")), _password_rule],
    )

    def new_editor(self) -> NewEditor:
        return NewEditor(
            name=self.name.data,
            email=self.email.data,
            password=self.password.data,
            role=Role(self.role.data),
            blog_ids=list(self.blogs.data or []),
        )


class EditEditorForm(EditorFormBase):
    active = BooleanField(_l("Account is active"))
    language = LanguageField(_l("Language of the mails they get"))
    password = PasswordField(_l("New password"), validators=[_password_rule])

    def changes(self) -> EditorChanges:
        return EditorChanges(
            name=self.name.data,
            role=Role(self.role.data),
            active=self.active.data,
            language=self.language.data,
            blog_ids=list(self.blogs.data or []),
            password=self.password.data or None,
        )
