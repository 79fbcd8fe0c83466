"""Moderation queue at a million reactions: median time of the first and a deep Pending page.

    python bench/queue_pages.py [--rows 1000000] [--engine sqlite|postgresql|both] [--repeat 30]

Fills a fresh database (SQLite file, or a new PostgreSQL database on 127.0.0.1 that is
dropped afterwards) through the real migrations, signs in an admin and times whole requests
to /moderation/ through the WSGI app (routing, queries and template), so what is measured is
what an editor waits for, minus the network. Target: under 50 ms each.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade

from moderation import create_app
from moderation.auth.services import create_editor
from moderation.blog.services import create_blog, save_post
from moderation.extensions import db
from moderation.models import Role

PG_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
STATUSES = ["published"] * 70 + ["pending"] * 15 + ["removed"] * 10 + ["spam"] * 5
TARGET_MS = 50.0


def make_database(engine: str) -> tuple[str, object]:
    if engine == "sqlite":
        fd, name = tempfile.mkstemp(suffix=".sqlite3")
        os.close(fd)
        return f"sqlite:///{name}", lambda: Path(name).unlink(missing_ok=True)
    name = f"bench_queue_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return f"{PG_SERVER}/{name}", drop


def fill(rows: int, post_ids: list[int]) -> None:
    """Insert reactions in batches straight through Core: the ORM would take an hour."""
    rng = random.Random(7)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    comment = db.metadata.tables["comment"]
    batch = 20_000
    for offset in range(0, rows, batch):
        values = []
        for n in range(offset, min(rows, offset + batch)):
            values.append(
                {
                    "post_id": rng.choice(post_ids),
                    "name": f"Lezer {n}",
                    "email": f"lezer{n % 50_000}@example.net",
                    "website": "",
                    "body_source": f"Reactie nummer {n}.",
                    "body_html": f"<p>Reactie nummer {n}.</p>",
                    "renderer_version": 1,
                    "status": rng.choice(STATUSES),
                    "reasons": [],
                    "is_anonymous": False,
                    "language": "nl",
                    "created_at": start + timedelta(seconds=n * 60 + rng.randrange(60)),
                }
            )
        db.session.execute(comment.insert(), values)
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE comment"))
    else:
        db.session.execute(sa.text("ANALYZE"))
        db.session.commit()


def timed(client: object, url: str, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        response = client.get(url)  # type: ignore[attr-defined]
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(samples)


def run(engine: str, rows: int, repeat: int) -> dict[str, float]:
    url, drop = make_database(engine)
    try:
        app = create_app({"TESTING": True, "DATABASE_URL": url, "WTF_CSRF_ENABLED": False})
        with app.app_context():
            upgrade()
            blog = create_blog("bench", "Bench")
            posts = [save_post(blog, f"Bericht {n}", "Tekst.", author=None) for n in range(20)]
            create_editor("Bench Beheer", "bench@example.org", "x" * 16, Role.ADMIN)
            db.session.commit()
            began = time.perf_counter()
            fill(rows, [p.id for p in posts])
            filled = time.perf_counter() - began
            pending = db.session.execute(
                sa.text(
                    "SELECT created_at, id FROM comment WHERE status = 'pending' "
                    "ORDER BY created_at DESC, id DESC LIMIT 1 OFFSET :n"
                ),
                {"n": int(rows * 0.15 * 0.9)},
            ).one()
            stamp = (
                pending[0]
                if isinstance(pending[0], datetime)
                else datetime.fromisoformat(str(pending[0]))
            )
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=UTC)
            cursor = f"{stamp.isoformat()}_{pending[1]}"

        client = app.test_client()
        response = client.post(
            "/moderation/login", data={"email": "bench@example.org", "password": "x" * 16}
        )
        assert response.status_code == 303, response.status_code
        first = timed(client, "/moderation/?tab=pending", repeat)
        deep = timed(client, f"/moderation/?tab=pending&after={cursor}", repeat)
        with app.app_context():
            db.engine.dispose()
        return {"fill_s": filled, "first_ms": first, "deep_ms": deep}
    finally:
        drop()  # type: ignore[operator]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    engines = ["sqlite", "postgresql"] if args.engine == "both" else [args.engine]
    ok = True
    for engine in engines:
        result = run(engine, args.rows, args.repeat)
        verdict = "ok" if max(result["first_ms"], result["deep_ms"]) < TARGET_MS else "TOO SLOW"
        ok &= verdict == "ok"
        print(
            f"{engine:10} rows={args.rows:,} filled in {result['fill_s']:.0f} s | "
            f"median first page {result['first_ms']:.1f} ms | "
            f"median deep page {result['deep_ms']:.1f} ms | target < {TARGET_MS:.0f} ms: {verdict}"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
