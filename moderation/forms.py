"""The base of every form in the service."""

from __future__ import annotations

from typing import Any

from flask import Request, request
from flask_wtf import FlaskForm
from flask_wtf.form import SUBMIT_METHODS
from wtforms import Field, StringField

# Control characters other than tab and line breaks mean nothing in any field, and
# PostgreSQL cannot even store NUL: text fields drop them before any other filter runs.
_CONTROL = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13)) | {127: None}


def without_control_characters(value: Any) -> Any:
    return value.translate(_CONTROL) if isinstance(value, str) else value


class FormRequest(Request):
    """A multipart part without a usable name (none given, or a line break inside its
    header) comes out of Werkzeug's parser under the key None. No field has that name, and
    Flask-WTF's token check fails on it with an exception: such parts are dropped."""

    def _load_form_data(self) -> None:
        super()._load_form_data()
        for kind in ("form", "files"):
            fields = self.__dict__.get(kind)
            if fields is None or None not in fields:
                continue
            for value in fields.getlist(None):
                if hasattr(value, "close"):
                    value.close()
            named = [(key, value) for key, value in fields.items(multi=True) if key is not None]
            self.__dict__[kind] = self.parameter_storage_class(named)


class Form(FlaskForm):
    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
            if issubclass(unbound_field.field_class, StringField):
                own = unbound_field.kwargs.get("filters", ())
                options["filters"] = [without_control_characters, *own]
            return super().bind_field(form, unbound_field, options)  # type: ignore[misc]

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            """Only the text fields of a posted form: Flask-WTF would also take file parts
            and a JSON body, which put objects, numbers and lists where every field here
            expects text. No form in the service takes either, so they count as not sent."""
            if formdata is None or hasattr(formdata, "getlist"):
                return formdata  # given by the caller
            if request.method in SUBMIT_METHODS and request.form:
                return request.form
            return None
