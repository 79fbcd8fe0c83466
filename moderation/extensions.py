"""Extensions, created unbound here and bound to the app in ``create_app``."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mail import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names, so migrations can refer to them on every engine.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def include_in_migrations(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave the search index to the migration that made it: SQLite's FTS5 table (and the
    shadow tables FTS5 keeps) and PostgreSQL's expression index are not model objects."""
    return not (name or "").startswith(("post_search", "ix_post_search"))


db = SQLAlchemy(model_class=Base)
migrate = Migrate(render_as_batch=True, compare_type=True, include_object=include_in_migrations)
babel = Babel()
csrf = CSRFProtect()
login_manager = LoginManager()
mail = Mail()
# Storage from RATELIMIT_STORAGE_URI: memory:// on one machine, redis://... when shared.
limiter = Limiter(key_func=get_remote_address)
