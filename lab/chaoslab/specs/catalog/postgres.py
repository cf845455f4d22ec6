"""PostgreSQL: a private cluster per run, copied from a cached, seeded template."""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import sys
import time
from pathlib import Path

# Up a layer, on purpose: the database templates live in the disk's cache (its lock and use
# stamps; its budget is kept at each lab's start), and only this spec knows how to build one.
from chaoslab.disk.templates import record_use as record_template_use
from chaoslab.disk.templates import template_lock
from chaoslab.errors import EnvironmentProblem
from chaoslab.homes import cache_home
from chaoslab.runs.run import ensure_traversable, server_user
from chaoslab.setup import find_binary
from chaoslab.shipped import SERVICES
from chaoslab.specs.catalog.base import LabContext, ServiceDefinition
from chaoslab.specs.model import HealthCheck, ServiceSpec

DB_NAME = "shop"
DB_USER = "chaoslab"
# Every app's tables live in the one lab database; each seed file takes :seed (and may take :rows).
SCHEMA_FILES = [SERVICES / app / "schema.sql" for app in ("shop", "profile")]
SEED_FILES = [SERVICES / app / "seed.sql" for app in ("shop", "profile")]


def _chown_tree(path: Path, user: str | None) -> None:
    if user is None:
        return
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def dsn(port: int, password: str | None = None, *, host: str = "127.0.0.1") -> str:
    """A libpq URL for the lab database on ``port``; with ``password``, one that logs in."""
    login = DB_USER if password is None else f"{DB_USER}:{password}"
    return f"postgresql://{login}@{host}:{port}/{DB_NAME}"


# Every login is by password (SCRAM), TCP only: no `trust` in a run's cluster. The template was
# built with trust on a private Unix socket (initdb's own connections); a run never uses that file.
RUN_HBA = """\
# Written by chaoslab for this run: password (SCRAM) logins only, on loopback TCP.
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
"""


def set_run_password(data: Path, password: str) -> None:
    """Give the copied cluster this run's pg_hba and the role this run's password (single-user mode)."""
    user = server_user()
    hba = data / "pg_hba.conf"
    hba.write_text(RUN_HBA)
    hba.chmod(0o600)
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(hba, entry.pw_uid, entry.pw_gid)
    # Single-user mode reads the statement on stdin: the password never shows on a command line,
    # and the server listens on nothing while it runs. DB_USER is the template's only role.
    statement = f"ALTER ROLE {DB_USER} WITH PASSWORD '{password}';\n"
    result = subprocess.run(
        [find_binary("postgres"), "--single", "-D", str(data), "-c", "log_statement=none", "postgres"],
        input=statement.encode(),
        capture_output=True,
        user=user,
        group=user,
    )
    if result.returncode != 0 or b"ERROR" in result.stdout + result.stderr:
        raise EnvironmentProblem(
            "Could not set this run's database password (PostgreSQL in single-user mode failed).",
            details=(result.stdout + result.stderr).decode(errors="replace").splitlines()[-5:],
            hint="`chaoslab doctor`; a template built by another PostgreSQL version is rebuilt after "
            f"removing {cache_home() / 'postgres'}.",
        )


def template_dir(seed: int, rows: int) -> Path:
    """Where the seeded template cluster for (seed, rows, schema) is cached."""
    digest = hashlib.sha256()
    for path in [*SCHEMA_FILES, *SEED_FILES]:
        digest.update(path.read_bytes())
    major = Path(find_binary("postgres")).parent.parent.name
    return cache_home() / "postgres" / f"pg{major}-seed{seed}-rows{rows}-{digest.hexdigest()[:10]}"


def ensure_template(seed: int, rows: int, echo=lambda m: print(m, file=sys.stderr)) -> Path:
    """Build the template cluster once (initdb, schema, seeded data); later runs copy it."""
    target = template_dir(seed, rows)
    ensure_traversable(target.parent)
    # Exclusive: parallel test workers build it once, and no copy runs while templates are evicted.
    with template_lock(target.parent):
        if (target / "data" / "PG_VERSION").exists():
            record_template_use(target)
        else:
            echo(f"building the database template ({rows:,} products, seed {seed}); later runs reuse it")
            _build_template(target, seed, rows)
            record_template_use(target)  # a new template's first stamp records its size
            # Templates of an older schema are dead weight (~250 MB each).
            prefix = target.name.rsplit("-", 1)[0] + "-"
            for stale in target.parent.glob(prefix + "*"):
                if stale != target:
                    shutil.rmtree(stale, ignore_errors=True)
    return target


def _build_template(target: Path, seed: int, rows: int) -> None:
    user = server_user()
    work = target.with_name(target.name + ".building")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    sockets = work / "sock"
    sockets.mkdir()
    _chown_tree(work, user)
    data = work / "data"
    subprocess.run(
        [
            find_binary("initdb"),
            "-D",
            str(data),
            "-U",
            DB_USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "--locale=C",
        ],
        check=True,
        capture_output=True,
        user=user,
        group=user,
    )
    port = "5499"  # only the socket's file name; the build listens on no TCP port
    server = subprocess.Popen(
        [
            find_binary("postgres"),
            "-D",
            str(data),
            "-k",
            str(sockets),
            "-p",
            port,
            "-c",
            "listen_addresses=",
            "-c",
            "fsync=off",
            "-c",
            "maintenance_work_mem=256MB",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        user=user,
        group=user,
    )
    try:
        psql = [
            find_binary("psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(sockets),
            "-p",
            port,
            "-U",
            DB_USER,
        ]
        deadline = time.monotonic() + 30
        while subprocess.run([*psql, "-d", "postgres", "-c", "select 1"], capture_output=True).returncode:
            if time.monotonic() > deadline or server.poll() is not None:
                raise EnvironmentProblem(
                    "The template PostgreSQL did not start.",
                    details=(
                        server.stderr.read().decode(errors="replace").splitlines()[-5:]
                        if server.poll() is not None and server.stderr
                        else []
                    ),
                    hint="check that initdb/postgres of one version are installed (`chaoslab doctor`).",
                )
            time.sleep(0.2)
        subprocess.run([*psql, "-d", "postgres", "-c", f"CREATE DATABASE {DB_NAME}"], check=True)
        for schema in SCHEMA_FILES:
            subprocess.run([*psql, "-d", DB_NAME, "-f", str(schema)], check=True)
        for seed_file in SEED_FILES:
            subprocess.run(
                [*psql, "-d", DB_NAME, "-v", f"seed={seed}", "-v", f"rows={rows}", "-f", str(seed_file)],
                check=True,
            )
        subprocess.run([*psql, "-d", DB_NAME, "-c", "CHECKPOINT"], check=True)
    finally:
        server.send_signal(2)  # SIGINT: fast shutdown, a clean cluster to copy
        server.wait(timeout=60)
    shutil.rmtree(sockets)
    work.rename(target)


class Postgres(ServiceDefinition):
    """The lab's database: the shop's and the profile service's tables."""

    name = "postgres"
    ports = {"postgres": 0}

    def prepare(self, ctx: LabContext) -> None:
        template = ensure_template(ctx.seed, ctx.product_rows)
        data = ctx.run.data_dir / "postgres"
        # Shared: copies run side by side, and the budget's eviction waits for them.
        with template_lock(template.parent, shared=True):
            # cp keeps ownership and is far faster than dump/restore.
            subprocess.run(["cp", "-a", str(template / "data"), str(data)], check=True)
        set_run_password(data, ctx.run.secrets.postgres)

    def spec(self, ctx: LabContext) -> ServiceSpec:
        port = ctx.ports["postgres"]
        return ServiceSpec(
            name=self.name,
            role="database (PostgreSQL)",
            command=[
                find_binary("postgres"),
                "-D",
                str(ctx.run.data_dir / "postgres"),
                "-p",
                str(port),
                # TCP only: a Unix socket path under a deep state home (a game day's team homes)
                # passes the kernel's 107-byte limit, and every client here uses TCP anyway.
                "-k",
                "",
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "max_connections=100",
                "-c",
                "shared_buffers=256MB",
                # A small box: parallel workers would blur the single-query picture.
                "-c",
                "max_parallel_workers_per_gather=0",
                # The chapter's "slow query log": statements over 1 s land in `chaoslab logs postgres`.
                "-c",
                "log_min_duration_statement=1000",
                "-c",
                "log_line_prefix=%m [%p] %q%u@%d ",
                "-c",
                "fsync=off",
            ],
            ports={"postgres": port},
            user=server_user(),
            stop_signal="SIGINT",
            restart="on-failure",
            health=HealthCheck(
                kind="command",
                target=[
                    find_binary("pg_isready"),
                    "-q",
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "-U",
                    DB_USER,
                    "-d",
                    DB_NAME,
                    "-t",
                    "1",
                ],
                interval_s=0.5,
            ),
        )
