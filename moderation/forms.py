"""The base of every form in the service."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, StringField

# Control characters other than tab and line breaks mean nothing in any field, and
# PostgreSQL cannot even store NUL: text fields drop them before any other filter runs.
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13)) | {127: None}


def without_control_characters(value: Any) -> Any:
    return value.translate(_CONTROL) if isinstance(value, str) else value


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
            if issubclass(unbound_field.field_class, StringField):
                own = unbound_field.kwargs.get("filters", ())
                options["filters"] = [without_control_characters, *own]
            return super().bind_field(form, unbound_field, options)  # type: ignore[misc]
