# ruff: noqa: E402
"""HTTP serving: the service under gunicorn against a bare WSGI ceiling, driven by wrk.

    python bench/http.py [--database-url postgresql://postgres@127.0.0.1:5432/postgres]
                         [--duration 10] [--warmup 3] [--placement-seconds 10]

Builds a throwaway database (a SQLite file in a temporary folder, or a scratch database on the
PostgreSQL server named by --database-url, dropped afterwards) through the real migrations and
``flask demo load``, adds 200 published reactions to the demo post, and starts two gunicorn
servers with gunicorn.conf.py and 2 sync workers on free loopback ports: the service, and
bench/ceiling.py, which answers every measured request with the exact bytes the service sent
for it. wrk (16 connections, 2 threads) measures the post page, the embed page and the
conditional GET of the post page (If-None-Match, answered 304) on both; then 8 threads place
reactions through the real preview-then-place flow. Prints the machine, the table, the
placements per second, the memory of each worker and which targets were met. Beside req/s
and latency, the table gives the CPU time spent per request, which holds when other work
shares the machine, and how much of the machine other processes took. Exits 0 when a
target is missed: it is a benchmark, not a test. Rate limits are switched off for the run
(MODERATION_RATELIMIT_ENABLED=false), or placing from one address would be throttled. Every
other rule stays on: the placing threads send the form's start moment from a real load of the
post page made REACTION_MIN_FILL_SECONDS earlier, as a reader's browser does, so their
reactions are judged like a person's and published.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file shares its name with the standard library's http package, and Python puts the
# script's folder first on sys.path: take it off before anything imports http.client.
BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != BENCH)]

import argparse
import base64
import http.client
import itertools
import json
import os
import platform
import random
import re
import resource
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from importlib import metadata
from types import FrameType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

if TYPE_CHECKING:
    from flask import Flask

BLOG, POST = "samen-digitaal", "een-keer-bouwen"
POST_PATH = f"/blogs/{BLOG}/{POST}"
EMBED_PATH = f"/embed/{BLOG}/{POST}"
SEEDED_REACTIONS = 200
WORKERS = 2
CONNECTIONS, THREADS = 16, 2
PLACING_THREADS = 8
# The targets.
POST_SHARE, POST_P99_MS, NOT_MODIFIED_SHARE = 0.5, 50.0, 0.8

WRK_SCRIPT = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%.0f duration_us=%.0f p50_us=%.0f p99_us=%.0f "
    .. "connect=%.0f read=%.0f write=%.0f status=%.0f timeout=%.0f\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""
# The status of a request in a common-log-style access line: "GET /path HTTP/1.1" 200
ACCESS_STATUS = re.compile(r'"[A-Z]+ \S+ HTTP/[\d.]+" (\d{3}) ')

NAMES = [
    "Marieke van den Berg", "Youssef El Amrani", "Anneke de Vries-Jansen", "Pieter Hoekstra",
    "Fatima Ouali", "Jeroen Bakker", "Sanne van Dijk", "Ruud Kok", "Ingrid Mulder",
    "Thijs de Graaf", "Esther Smit", "Karim Bouzid", "Lotte Visser", "Hans Meijer",
    "Noor Jansen", "Wim van der Linden", "Ayşe Yılmaz", "Bas Verhoeven", "Carla Dekker",  # noqa: RUF001
    "Daan Bos", "Eline Vos", "Frank Peters", "Gerda Hendriks", "Rik 't Hart",
    "J.M. van Leeuwen", "dr. Mirjam Brouwer", "Tom de Boer (gemeente Zwolle)",
]  # fmt: skip
SENTENCES = [
    "Bij ons in de regio hebben we vorig jaar precies dit geprobeerd met de aanvraag van "
    "een parkeervergunning.",
    "Het grootste probleem was niet de techniek maar de vraag wie het beheer zou betalen.",
    "Ik mis in het stuk hoe kleine gemeenten met weinig ICT-personeel kunnen aansluiten.",
    "Onze ervaring is dat een gedeelde oplossing pas werkt als de inwoner er iets van merkt.",
    "Kunt u toelichten hoe de proeftuinen worden gekozen?",
    "Wij hebben goede ervaringen met een _gezamenlijk_ ontwikkelteam van drie gemeenten.",
    "De routekaart is een mooi begin, maar ik zou graag ook de planning per kwartaal zien.",
    "Maatwerk loslaten is lastig, zeker als de gemeenteraad er jaren op heeft gestuurd.",
    "Ik werk zelf bij een uitvoeringsorganisatie en herken het beeld van dubbel werk.",
    "Een *open standaard* voor het uitwisselen van gegevens zou al veel schelen.",
    "Vergeet de medewerkers aan de balie niet: zij horen als eersten wat er misgaat.",
    "Hoe zorgt u ervoor dat de toegankelijkheid van de gedeelde diensten op orde is?",
    "Mooi initiatief, al vraag ik me af of de planning voor dit jaar niet te krap is.",
    "In onze gemeente duurde de overstap naar een gedeeld zaaksysteem bijna twee jaar.",
    "De spreekuren zijn een goed idee; kunnen die ook online worden gehouden?",
    "Samenwerken kost in het begin tijd, maar levert op de lange termijn echt iets op.",
    'Wij hebben onze lessen opgeschreven in "een korte notitie":https://example.org/lessen.',
    "Ik ben benieuwd hoe de privacy van inwoners wordt geborgd als gegevens gedeeld worden.",
    "Het zou helpen als er één aanspreekpunt per proeftuin komt.",
    "Onze wethouder wil graag aansluiten, maar de aanbesteding loopt nog tot de zomer.",
    "Let op dat de oplossing ook werkt voor inwoners zonder DigiD.",
    "Een gedeelde voorziening is pas veilig als iemand zich er echt eigenaar van voelt.",
    "Wij testen nieuwe formulieren altijd eerst met een handvol inwoners; dat raad ik aan.",
    "Wat gebeurt er met de systemen die gemeenten nu zelf hebben laten bouwen?",
    "Dank voor het heldere stuk, ik deel het met mijn collega's van Burgerzaken.",
    "Is er al nagedacht over de kosten voor gemeenten die later instappen?",
    "Bij ons bleek vooral de koppeling met het archief lastiger dan gedacht.",
    "Ik hoop dat de resultaten van de proeftuinen openbaar worden gedeeld.",
    "Met drie collega's uit Overijssel willen we graag meedenken over de routekaart.",
    "Goed dat de inwoner centraal staat en niet de organisatie achter het loket.",
]


def reaction_body(rng: random.Random, tail: str = "") -> str:
    """200 to 600 characters of Dutch, sometimes in two paragraphs, with a little Textile."""
    target = rng.randint(200, 600 - len(tail))
    chosen = rng.sample(SENTENCES, len(SENTENCES))
    text = ""
    for sentence in chosen:
        joint = "\n\n" if text and rng.random() < 0.25 else " "
        candidate = f"{text}{joint}{sentence}" if text else sentence
        if len(candidate) + len(tail) > 600:
            continue
        text = candidate
        if len(text) >= target:
            break
    return f"{text} {tail}".strip()


def email_for(name: str, n: int) -> str:
    local = re.sub(r"[^a-z]+", ".", name.lower()).strip(".")
    return f"{local}.{n}@example.net"


# -- the database ------------------------------------------------------------------------


@dataclass(frozen=True)
class Database:
    url: str
    label: str  # the engine and its version
    # The server processes working for this database (PostgreSQL's backends), whose CPU is
    # the service's too; none for SQLite, which works inside the workers.
    backends: Callable[[], list[int]] = list


@contextmanager
def throwaway_database(server_url: str | None, folder: Path) -> Iterator[Database]:
    """A database for the run, dropped afterwards."""
    if server_url is None:
        yield Database(f"sqlite:///{folder / 'bench.sqlite3'}", f"SQLite {sqlite3.sqlite_version}")
        return
    import psycopg

    parts = urlsplit(server_url)
    admin_url = parts._replace(scheme="postgresql").geturl()
    name = f"bench_http_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        version = str(admin.execute("SHOW server_version").fetchone()[0])  # type: ignore[index]
        admin.execute(f'CREATE DATABASE "{name}"')

    def backends() -> list[int]:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = %s"
            return [int(row[0]) for row in admin.execute(query, (name,))]

    try:
        yield Database(parts._replace(path=f"/{name}").geturl(), f"PostgreSQL {version}", backends)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flask_command(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def service_app(env: dict[str, str]) -> Flask:
    """The service in this process, on the run's database, for the steps done through models."""
    from moderation import create_app

    return create_app(
        {
            "DATABASE_URL": env["MODERATION_DATABASE_URL"],
            "SECRET_KEY": env["MODERATION_SECRET_KEY"],
            "ENVIRONMENT": "production",
        }
    )


def seed_reactions(app: Flask) -> None:
    """200 published reactions on the demo post, a fifth of them replies, over eight days."""
    from sqlalchemy import select

    from moderation.extensions import db
    from moderation.models import Blog, Comment, Post, Status
    from moderation.render import RENDERER_VERSION, render_comment

    rng = random.Random(6)
    with app.app_context():
        post = db.session.scalar(
            select(Post).join(Blog).where(Blog.slug == BLOG, Post.slug == POST)
        )
        assert post is not None, "the demo post is missing"
        start = datetime.now(UTC) - timedelta(days=8)
        step = timedelta(days=8) / (SEEDED_REACTIONS + 1)
        top_level: list[Comment] = []
        for n in range(SEEDED_REACTIONS):
            name = NAMES[n % len(NAMES)]
            body = reaction_body(rng)
            parent = rng.choice(top_level) if top_level and rng.random() < 0.2 else None
            comment = Comment(
                post=post,
                parent=parent,
                name=name,
                email=email_for(name, n),
                website="https://example.org/" if rng.random() < 0.2 else "",
                body_source=body,
                body_html=render_comment(body),
                renderer_version=RENDERER_VERSION,
                status=Status.PUBLISHED,
                reasons=[],
                language="nl",
                created_at=start + step * (n + 1) + timedelta(seconds=rng.randrange(600)),
            )
            db.session.add(comment)
            if parent is None:
                top_level.append(comment)
            if n % 50 == 49:
                db.session.flush()
        db.session.commit()
        db.engine.dispose()


# -- servers -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A gunicorn master with gunicorn.conf.py and its workers, stopped on leaving."""

    name: str
    target: str
    env: dict[str, str]
    folder: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def access_log(self) -> Path:
        return self.folder / f"{self.name}.access.log"

    def __enter__(self) -> Server:
        env = {**self.env, "MODERATION_BIND": f"127.0.0.1:{self.port}"}
        env["MODERATION_WORKERS"] = str(WORKERS)
        with (
            self.access_log.open("wb") as out,
            (self.folder / f"{self.name}.error.log").open("wb") as err,
        ):
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", self.target],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=err,
                # Its own session: a Ctrl-C reaches this script, which stops it in order.
                start_new_session=True,
            )
        self._wait_until_ready()
        return self

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                log = (self.folder / f"{self.name}.error.log").read_text(errors="replace")
                raise SystemExit(f"{self.name} did not start:\n{log}")
            try:
                status, _, _ = request(self.port, "GET", "/healthz")
                if status < 500:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"{self.name} did not answer within a minute")

    def __exit__(self, *exc: object) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def workers(self) -> list[int]:
        assert self.process is not None
        return children(self.process.pid)

    def worker_memory(self) -> list[tuple[int, int, int | None]]:
        """(pid, RSS, PSS) in KiB for each worker."""
        found = []
        for pid in self.workers():
            try:
                found.append((pid, _kib(Path(f"/proc/{pid}/status"), "VmRSS"), _pss(pid)))
            except (OSError, ValueError):
                continue
        return found


def _stat_fields(pid: int) -> list[str]:
    """/proc/<pid>/stat after the command name: state, ppid, ... (field 3 onwards)."""
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and int(_stat_fields(int(entry.name))[1]) == parent:
                found.append(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(found)


TICK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int, reaped: bool = False) -> float:
    """Seconds of CPU (user + system) a process has used so far; with ``reaped``, plus what
    its children that have ended used (gunicorn replaces workers after max_requests)."""
    try:
        fields = _stat_fields(pid)
    except OSError:
        return 0.0
    used = int(fields[11]) + int(fields[12])
    if reaped:
        used += int(fields[13]) + int(fields[14])
    return used / TICK


def server_cpu(server: Server) -> tuple[float, float]:
    """CPU seconds so far of the server's master alone, and of the master with all workers."""
    assert server.process is not None
    master = process_cpu(server.process.pid)
    workers = sum(process_cpu(pid) for pid in server.workers())
    return master, process_cpu(server.process.pid, reaped=True) + workers


def machine_cpu() -> float:
    """Seconds of CPU the whole machine has spent busy (all cores) since boot."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(
        int, Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    )
    return (user + nice + system + irq + softirq + steal) / TICK


def own_cpu() -> float:
    """CPU seconds of this script and of the children it has waited for (wrk)."""
    return sum(
        usage.ru_utime + usage.ru_stime
        for usage in (
            resource.getrusage(resource.RUSAGE_SELF),
            resource.getrusage(resource.RUSAGE_CHILDREN),
        )
    )


def _kib(path: Path, key: str) -> int:
    for line in path.read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise ValueError(key)


def _pss(pid: int) -> int | None:
    try:
        return _kib(Path(f"/proc/{pid}/smaps_rollup"), "Pss")
    except (OSError, ValueError):
        return None


def request(
    port: int,
    method: str,
    path: str,
    body: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, list[tuple[str, str]], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = dict(headers or {})
    try:
        payload = urlencode(body).encode() if body is not None else None
        if payload is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        return response.status, response.getheaders(), response.read()
    finally:
        connection.close()


# -- what is measured --------------------------------------------------------------------

# Headers gunicorn writes itself (or that describe the connection, not the response).
HOP_HEADERS = {"date", "server", "connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Case:
    label: str
    path: str
    expect: int
    headers: dict[str, str] = field(default_factory=dict)
    unavailable: str | None = None
    size: int = 0  # bytes of the body the service sent


def record(status: int, headers: list[tuple[str, str]], body: bytes) -> dict[str, Any]:
    return {
        "status": f"{status} {http.client.responses.get(status, '')}".strip(),
        "headers": [(k, v) for k, v in headers if k.lower() not in HOP_HEADERS],
        "body": base64.b64encode(body).decode(),
    }


def fetch_cases(port: int, responses_file: Path) -> list[Case]:
    """Fetch each measured path once from the service; write what the ceiling will answer."""
    recorded = []
    status, headers, body = request(port, "GET", POST_PATH)
    if status != 200:
        raise SystemExit(f"{POST_PATH} answered {status}")
    post = record(status, headers, body)
    post_size = len(body)
    etag = next((v for k, v in headers if k.lower() == "etag"), None)
    not_modified = Case("304 (If-None-Match)", POST_PATH, 304, unavailable="no ETag")
    if etag:
        status, headers, body = request(port, "GET", POST_PATH, headers={"If-None-Match": etag})
        if status == 304:
            post["not_modified"] = record(status, headers, body)
            not_modified = Case(not_modified.label, POST_PATH, 304, {"If-None-Match": etag})
        else:
            not_modified.unavailable = f"ETag, but {status} to If-None-Match"
    recorded.append({"path": POST_PATH, **post})

    embed = Case("embed page", EMBED_PATH, 200)
    status, headers, body = request(port, "GET", EMBED_PATH)
    if status == 200:
        embed.size = len(body)
        recorded.append({"path": EMBED_PATH, **record(status, headers, body)})
    else:
        embed.unavailable = "not available" if status == 404 else f"answered {status}"
    responses_file.write_text(json.dumps(recorded))
    return [Case("post page", POST_PATH, 200, size=post_size), embed, not_modified]


@dataclass
class Load:
    rate: float
    p50_ms: float
    p99_ms: float
    errors: int
    unexpected: Counter[int]
    cpu_ms: float  # CPU the server's workers (and database backends) spent per request
    others: float  # share of the machine's CPU used by processes outside this benchmark


def run_wrk(server: Server, case: Case, seconds: float, script: Path, database: Database) -> Load:
    command = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds:g}s", "--timeout", "10s"]
    for name, value in case.headers.items():
        command += ["-H", f"{name}: {value}"]
    command += ["-s", str(script), f"http://127.0.0.1:{server.port}{case.path}"]
    logged_from = server.access_log.stat().st_size
    backends_before = {pid: process_cpu(pid) for pid in database.backends()}
    before = server_cpu(server), machine_cpu(), own_cpu(), time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    after = server_cpu(server), machine_cpu(), own_cpu(), time.monotonic()
    backends_cpu = sum(
        process_cpu(pid) - backends_before.get(pid, 0.0) for pid in database.backends()
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk gave no figures:\n{done.stdout}{done.stderr}")
    figures = {k: float(v) for k, v in (pair.split("=") for pair in line.split()[1:])}
    errors = sum(figures[k] for k in ("connect", "read", "write", "status", "timeout"))
    time.sleep(0.2)  # the last access lines
    with server.access_log.open("rb") as log:
        log.seek(logged_from)
        statuses = Counter(
            int(m.group(1)) for m in ACCESS_STATUS.finditer(log.read().decode(errors="replace"))
        )
    unexpected = Counter({s: n for s, n in statuses.items() if s != case.expect})
    if not statuses:
        print(f"  (no statuses in {server.access_log.name}: only wrk's error count is used)")
    # A worker that ends during the run counts once it is reaped: near enough over 10 s.
    served = after[0][1] - before[0][1]
    workers_cpu = served - (after[0][0] - before[0][0]) + backends_cpu
    ours = served + backends_cpu + after[2] - before[2]
    others = (after[1] - before[1] - ours) / ((os.cpu_count() or 1) * (after[3] - before[3]))
    return Load(
        rate=figures["requests"] / (figures["duration_us"] / 1e6),
        p50_ms=figures["p50_us"] / 1000,
        p99_ms=figures["p99_us"] / 1000,
        errors=int(errors) + sum(n for s, n in unexpected.items() if not 200 <= s < 400),
        unexpected=unexpected,
        cpu_ms=workers_cpu * 1000 / max(figures["requests"], 1),
        others=max(others, 0.0),
    )


# -- placing reactions -------------------------------------------------------------------


class HiddenInputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") in ("token", "parent", "started"):
            self.values[str(found["name"])] = found.get("value") or ""


@dataclass
class Placements:
    placed: int = 0
    seconds: float = 0.0
    timings_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)


def form_shown(port: int, min_fill_seconds: float) -> dict[str, str]:
    """The hidden fields of the post page's form, once the reader has had the time a person
    needs to fill it in (a reaction placed sooner is taken for a robot's)."""
    status, _, page = request(port, "GET", POST_PATH)
    if status != 200:
        raise SystemExit(f"{POST_PATH} answered {status}")
    hidden = HiddenInputs()
    hidden.feed(page.decode())
    time.sleep(min_fill_seconds + 0.5)
    return {k: v for k, v in hidden.values.items() if k == "started"}


def place_reactions(port: int, seconds: float, threads: int, shown: dict[str, str]) -> Placements:
    """Preview, then place what was previewed, as a browser does; each body is new. ``shown``
    are the form's hidden fields from the post page, sent along as a browser does."""
    result = Placements()
    lock = threading.Lock()
    numbers = itertools.count(1)
    stop = threading.Event()

    def place_one(n: int) -> str | None:
        rng = random.Random(n)
        name = rng.choice(NAMES)
        fields = {
            "name": name,
            "email": email_for(name, 10_000 + n),
            "website": "https://example.org/" if n % 4 == 0 else "",
            "body": reaction_body(rng, tail=f"(Bijdrage {n}.)"),
        }
        fields.update(shown)
        status, _, page = request(port, "POST", f"{POST_PATH}/preview", fields)
        if status != 200:
            return f"preview {status}"
        hidden = HiddenInputs()
        hidden.feed(page.decode())
        if not hidden.values.get("token"):
            return "preview without token"
        form = {**fields, "homepage": "", **hidden.values}
        status, _, _ = request(port, "POST", f"{POST_PATH}/comments", form)
        return None if status == 303 else f"place {status}"

    def placing() -> None:
        # No new placement starts after `seconds`; the ones under way finish and count, and
        # the clock stops when the last one is done, so every stored reaction is counted.
        while not stop.is_set():
            began = time.perf_counter()
            try:
                failure = place_one(next(numbers))
            except OSError as error:
                failure = type(error).__name__
            took = (time.perf_counter() - began) * 1000
            with lock:
                if failure is None:
                    result.placed += 1
                    result.timings_ms.append(took)
                else:
                    result.failures[failure] += 1

    workers = [threading.Thread(target=placing, daemon=True) for _ in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    try:
        stop.wait(seconds)
    finally:
        stop.set()
    for worker in workers:
        worker.join(timeout=60)
    result.seconds = time.perf_counter() - began
    return result


def stored_statuses(app: Flask) -> Counter[str]:
    """The status the rules gave each placed reaction."""
    from sqlalchemy import func, select

    from moderation.extensions import db
    from moderation.models import Comment

    with app.app_context():
        rows = db.session.execute(
            select(Comment.status, func.count())
            .where(Comment.body_source.like("%(Bijdrage %"))
            .group_by(Comment.status)
        ).all()
        db.engine.dispose()
    return Counter({str(status.value): int(count) for status, count in rows})


# -- the report --------------------------------------------------------------------------


def machine(database: str) -> list[str]:
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = _kib(Path("/proc/meminfo"), "MemTotal") / 1024 / 1024
    wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    wrk_version = (wrk.stdout or wrk.stderr).split("Copyright")[0].strip()
    return [
        f"CPU: {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; load average before the run: "
        + load_average(),
        f"Python {platform.python_version()}, gunicorn {metadata.version('gunicorn')} "
        f"({WORKERS} sync workers), {wrk_version}, {database}",
    ]


def load_average() -> str:
    """The machine may be shared: a load above the core count means the figures are low."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def ms(value: float) -> str:
    return f"{value:.1f} ms"


def report_table(rows: list[tuple[Case, Load | None, Load | None]]) -> list[str]:
    lines = [
        "| path | app req/s | ceiling req/s | ratio | app p50 | app p99 | errors "
        "| CPU/request app / ceiling | other load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for case, app, ceiling in rows:
        label = f"{case.label} `{case.path}`"
        if app is None or ceiling is None:
            lines.append(f"| {label} | {case.unavailable} | | | | | | | |")
            continue
        errors = str(app.errors)
        if app.unexpected:
            errors += " (statuses: " + ", ".join(f"{s}: {n}" for s, n in app.unexpected.items())
            errors += ")"
        lines.append(
            f"| {label} | {app.rate:,.0f} | {ceiling.rate:,.0f} | {app.rate / ceiling.rate:.0%} "
            f"| {ms(app.p50_ms)} | {ms(app.p99_ms)} | {errors} "
            f"| {app.cpu_ms:.2f} / {ceiling.cpu_ms:.2f} ms "
            f"| {app.others:.0%} |"
        )
    return lines


def targets(rows: list[tuple[Case, Load | None, Load | None]]) -> list[tuple[str, bool]]:
    measured = {case.label: (app, ceiling, case) for case, app, ceiling in rows}
    checks = []
    app, ceiling, _ = measured["post page"]
    assert app is not None and ceiling is not None
    share = app.rate / ceiling.rate
    checks.append(
        (f"post page >= {POST_SHARE:.0%} of the ceiling: {share:.1%}", share >= POST_SHARE)
    )
    checks.append(
        (f"post page p99 < {POST_P99_MS:.0f} ms: {ms(app.p99_ms)}", app.p99_ms < POST_P99_MS)
    )
    app, ceiling, case = measured["304 (If-None-Match)"]
    if app is None or ceiling is None:
        checks.append((f"304 path >= {NOT_MODIFIED_SHARE:.0%}: {case.unavailable}", False))
    else:
        share = app.rate / ceiling.rate
        checks.append(
            (
                f"304 path >= {NOT_MODIFIED_SHARE:.0%} of the ceiling: {share:.1%}",
                share >= NOT_MODIFIED_SHARE,
            )
        )
    return checks


def memory_line(name: str, server: Server) -> str:
    workers = server.worker_memory()
    parts = [
        f"{rss / 1024:.0f} MiB" + (f" (PSS {pss / 1024:.0f} MiB)" if pss is not None else "")
        for _, rss, pss in workers
    ]
    return f"{name}: " + ", ".join(parts) if parts else f"{name}: no workers found"


# -- the run -----------------------------------------------------------------------------


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise SystemExit("wrk is needed: install it (Debian: apt-get install wrk).")
    print("Installing wrk with apt-get ...", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)


def stop_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        help="a PostgreSQL server to run on (a scratch database is made there and dropped); "
        "a SQLite file in a temporary folder when not given",
    )
    parser.add_argument("--duration", type=float, default=10.0, help="seconds per wrk run")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of wrk before each")
    parser.add_argument("--placement-seconds", type=float, default=10.0)
    args = parser.parse_args()
    ensure_wrk()
    signal.signal(signal.SIGTERM, stop_on_sigterm)

    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-http-")))
        database = stack.enter_context(throwaway_database(args.database_url, folder))
        print("\n".join(machine(database.label)), flush=True)
        env = {
            **os.environ,
            "MODERATION_DATABASE_URL": database.url,
            "MODERATION_ENVIRONMENT": "production",
            "MODERATION_SECRET_KEY": secrets.token_hex(32),
            "MODERATION_RATELIMIT_ENABLED": "false",
        }
        flask_command(env, "db", "upgrade")
        flask_command(env, "demo", "load")
        service = service_app(env)
        seed_reactions(service)
        min_fill = float(service.config.get("REACTION_MIN_FILL_SECONDS") or 0)
        print(
            f"Database ready: demo blog + {SEEDED_REACTIONS} published reactions on {POST_PATH}",
            flush=True,
        )

        app = stack.enter_context(Server("app", "wsgi:app", env, folder))
        responses = folder / "ceiling.json"
        cases = fetch_cases(app.port, responses)
        ceiling_env = {**env, "BENCH_CEILING_RESPONSES": str(responses)}
        ceiling = stack.enter_context(Server("ceiling", "bench.ceiling:app", ceiling_env, folder))
        script = folder / "report.lua"
        script.write_text(WRK_SCRIPT)

        rows: list[tuple[Case, Load | None, Load | None]] = []
        for case in cases:
            if case.unavailable:
                rows.append((case, None, None))
                continue
            measured = []
            for server in (app, ceiling):
                print(f"wrk: {case.label} on {server.name} ...", flush=True)
                run_wrk(server, case, args.warmup, script, database)
                measured.append(run_wrk(server, case, args.duration, script, database))
            rows.append((case, measured[0], measured[1]))
        ceiling_memory = memory_line("ceiling", ceiling)

        print(f"Placing reactions for {args.placement_seconds:g} s ...", flush=True)
        # The rules take a reaction placed within REACTION_MIN_FILL_SECONDS of the form being
        # shown for a robot's: the threads send the moment of a real page load, that long ago.
        shown = form_shown(app.port, min_fill)
        backends_before = {pid: process_cpu(pid) for pid in database.backends()}
        cpu_before = server_cpu(app)[1]
        placements = place_reactions(app.port, args.placement_seconds, PLACING_THREADS, shown)
        placing_cpu = server_cpu(app)[1] - cpu_before
        placing_cpu += sum(
            process_cpu(pid) - backends_before.get(pid, 0.0) for pid in database.backends()
        )
        app_memory = memory_line("app", app)
        stored = stored_statuses(service)

        print()
        print(
            f"{CONNECTIONS} connections, {THREADS} wrk threads, {args.duration:g} s per run "
            f"after {args.warmup:g} s of warm-up; rate limits off (MODERATION_RATELIMIT_ENABLED"
            "=false)"
        )
        print("\n".join(report_table(rows)))
        print(
            "Bodies: "
            + ", ".join(f"{case.label} {case.size:,} bytes" for case in cases if case.size)
        )
        print(
            "CPU/request: CPU time the server spent per request (the app: its workers and any "
            "PostgreSQL backends\nof its database). Other load: the share of the machine's CPU "
            "used by other processes during the\napp's run; the more, the lower req/s is than on "
            "a quiet machine, while CPU/request holds."
        )
        print()
        rate = placements.placed / placements.seconds if placements.seconds else 0.0
        median = statistics.median(placements.timings_ms) if placements.timings_ms else 0.0
        print(
            f"Placements: {rate:.1f}/s ({placements.placed} in {placements.seconds:.1f} s, "
            f"{PLACING_THREADS} threads, preview + place with the form shown {min_fill:g} s "
            f"before, median {ms(median)} per placement, "
            f"{ms(placing_cpu * 1000 / max(placements.placed, 1))} of server CPU each); "
            f"stored: {', '.join(f'{s} {n}' for s, n in sorted(stored.items())) or 'none'}"
        )
        if set(stored) != {"published"}:
            print("  (the rules did not publish every placement: see the statuses above)")
        if placements.failures:
            print(
                "Placement failures: "
                + ", ".join(f"{k}: {n}" for k, n in placements.failures.items())
            )
        print(f"Memory per worker after the load: {app_memory}; {ceiling_memory}")
        print(f"Load average after the run: {load_average()}")
        print()
        checks = targets(rows)
        for text, met in checks:
            print(f"  {'pass' if met else 'MISS'}  {text}")
        missed = sum(not met for _, met in checks)
        print(
            f"Targets: {len(checks) - missed} met, {missed} missed."
            if missed
            else "Targets: all met."
        )
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("\nInterrupted; servers stopped and temporary files removed.", file=sys.stderr)
        sys.exit(130)
