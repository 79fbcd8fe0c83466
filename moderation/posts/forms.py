"""The post form. CSRF stays on: only signed-in editors use it, with their session cookie.
Everything is checked here; the browser hints in the template are a courtesy."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from ..blog.services import slugify
from ..forms import Form
from ..i18n import local_date
from ..models import Post
from ..render import MAX_POST_LENGTH
from .services import PostDraft, today

MAX_TITLE_LENGTH = 300
MAX_SLUG_LENGTH = 80
MAX_AUTHOR_LENGTH = 200
MAX_BIO_LENGTH = 1000
MAX_TAG_LENGTH = 80
MAX_TAGS = 20
FIRST_YEAR, LAST_YEAR = 1900, 2999


def _strip(value: str | None) -> str:
    return value.strip() if isinstance(value, str) else ""


def _text(value: str | None) -> str:
    return value.replace("\r\n", "\n").strip() if isinstance(value, str) else ""


def split_tags(value: str) -> list[str]:
    """'Wonen, zorg ,, wonen!' -> ['Wonen', 'zorg']: one per tag address, in the order typed
    (two names with the same address would be the same tag twice)."""
    seen: dict[str, str] = {}
    for name in (part.strip() for part in value.split(",")):
        if name and slugify(name) not in seen:
            seen[slugify(name)] = name
    return list(seen.values())


def _offered(form: Form, field: SelectField) -> None:
    if field.data not in {value for value, _label in field.choices or []}:
        raise ValidationError(str(_l("Choose one of your blogs.")))


def _tags_fit(form: Form, field: StringField) -> None:
    tags = split_tags(field.data or "")
    if len(tags) > MAX_TAGS:
        raise ValidationError(str(_l("Use at most %(max)d tags.", max=MAX_TAGS)))
    if any(len(tag) > MAX_TAG_LENGTH for tag in tags):
        raise ValidationError(
            str(_l("A tag can be at most %(max)d characters.", max=MAX_TAG_LENGTH))
        )


class DayField(DateField):
    """A date input (YYYY-MM-DD) whose errors speak the editor's language. Empty is left to
    ``DataRequired``; what was typed stays in the field (``raw_data``) either way."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        typed = " ".join(str(v) for v in valuelist).strip()
        self.data = None
        if not typed:
            return
        try:
            day = date.fromisoformat(typed)
        except ValueError:
            day = None
        if day is None or not FIRST_YEAR <= day.year <= LAST_YEAR:
            raise ValueError(str(_l("Enter a date like 2018-02-07.")))
        self.data = day


class PostForm(Form):
    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter a title.")),
            Length(
                max=MAX_TITLE_LENGTH, message=_l("The title can be at most %(max)d characters.")
            ),
        ],
    )
    author_name = StringField(
        _l("Author's name"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Enter the name of the author.")),
            Length(
                max=MAX_AUTHOR_LENGTH, message=_l("The name can be at most %(max)d characters.")
            ),
        ],
    )
    author_role = StringField(
        _l("Role line"),
        filters=[_strip],
        validators=[
            Length(
                max=MAX_AUTHOR_LENGTH,
                message=_l("The role line can be at most %(max)d characters."),
            )
        ],
    )
    author_bio = TextAreaField(
        _l("Short bio"),
        filters=[_text],
        validators=[
            Length(max=MAX_BIO_LENGTH, message=_l("The bio can be at most %(max)d characters."))
        ],
    )
    published_on = DayField(
        _l("Publication date"),
        default=today,
        # Not DataRequired: it would replace "Enter a date like ..." for a mistyped date.
        validators=[InputRequired(_l("Enter the publication date."))],
    )
    tags = StringField(_l("Tags"), filters=[_strip], validators=[_tags_fit])
    comments_open = BooleanField(_l("Readers may react to this post"), default=True)
    body = TextAreaField(
        _l("Text"),
        filters=[_text],
        validators=[
            DataRequired(_l("Write the text of the post.")),
            Length(max=MAX_POST_LENGTH, message=_l("The text can be at most %(max)d characters.")),
        ],
    )

    def draft(self) -> PostDraft:
        return PostDraft(
            title=self.title.data,
            author_name=self.author_name.data,
            author_role=self.author_role.data,
            author_bio=self.author_bio.data,
            published_on=self.published_on.data or today(),  # validated: never empty
            tags=split_tags(self.tags.data),
            comments_open=bool(self.comments_open.data),
            body=self.body.data,
        )


def values_of(post: Post) -> dict[str, object]:
    """A stored post as the form shows it."""
    author = post.author
    return {
        "title": post.title,
        "author_name": author.name if author else "",
        "author_role": author.role if author else "",
        "author_bio": author.bio if author else "",
        "published_on": local_date(post.published_at),
        "tags": ", ".join(tag.name for tag in post.tags),
        "comments_open": post.comments_open,
        "body": post.body_source,
    }


class NewPostForm(PostForm):
    """A new post also chooses its blog and its address; both are fixed afterwards."""

    blog = SelectField(_l("Blog"), coerce=int, validate_choice=False, validators=[_offered])
    slug = StringField(
        _l("Web address (slug)"),
        filters=[lambda value: _strip(value).lower()],
        validators=[
            Optional(),
            Length(max=MAX_SLUG_LENGTH, message=_l("The slug can be at most %(max)d characters.")),
            Regexp(
                r"^[a-z0-9]+(?:-[a-z0-9]+)*$",
                message=_l(
                    "Use only letters a to z, digits and single hyphens, like my-first-post."
                ),
            ),
        ],
    )

    def draft(self) -> PostDraft:
        return PostDraft(**{**super().draft().__dict__, "slug": self.slug.data or ""})
