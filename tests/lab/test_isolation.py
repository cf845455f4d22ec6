"""Two labs of two Unix users on one machine: neither reaches the other's database, cache,
Prometheus or run folder, and each owner's own `chaoslab psql` and `redis-cli` log in untyped.

It runs as root (it makes two system users and removes them). The checkout's venv may use a
Python under a home other users cannot enter (pyenv under /root, whose binary also carries
that RUNPATH), so the test bind-mounts that interpreter's install read-only on a readable
folder, makes a throwaway venv of it there that adds the checkout's site-packages (a .pth:
nothing is copied), and points LD_LIBRARY_PATH at its lib/. The checkout itself must be
traversable by all, which the test checks first; the mount goes in teardown.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from chaoslab.runs.secrets import PROMETHEUS_USER, read_secrets
from chaoslab.setup import find_binary
from chaoslab.specs.ports import PortPlan
from chaoslab.waiting import wait_until
from tests import REPO_ROOT

pytestmark = pytest.mark.integration

USERS = ("chaoslab-iso-a", "chaoslab-iso-b")
# Outside the blocks the test workers hand out (16000 + 1000 per worker): no lab of a parallel
# test sits there.
PORT_BASES = (18400, 18450)


def _why_not() -> str | None:
    if os.geteuid() != 0:
        return "needs root: it creates two Unix users (useradd) and starts a lab as each (runuser)"
    for program in ("useradd", "userdel", "runuser", "curl", "mount", "umount"):
        if shutil.which(program) is None:
            return f"needs `{program}`"
    for parent in [REPO_ROOT, *REPO_ROOT.parents]:
        if not parent.stat().st_mode & 0o001:
            return f"{parent} is not traversable by other users; the labs run the checkout in place"
    return None


@dataclass
class Tenant:
    """One user's lab: who runs it, where its state lives, its ports."""

    user: str
    home: Path
    ports: PortPlan
    python: Path
    libraries: Path

    def env(self, **extra: str) -> list[str]:
        """`env -i` arguments: a clean environment, as a login of that user would have."""
        tools = str(find_binary("toxiproxy-server")).rsplit("/", 1)[0]
        base = {
            "PATH": f"{tools}:/usr/local/bin:/usr/bin:/bin",
            "HOME": str(self.home),
            "CHAOSLAB_HOME": str(self.home / "state"),
            "CHAOSLAB_CACHE": str(self.home / "c"),
            # Before the interpreter's RUNPATH (under /root): the mounted copy's libpython.
            "LD_LIBRARY_PATH": str(self.libraries),
            **extra,
        }
        return ["env", "-i", *(f"{k}={v}" for k, v in base.items())]

    def run(self, *argv: str, **extra: str) -> subprocess.CompletedProcess[str]:
        """``argv`` as this user, with a clean environment."""
        return subprocess.run(
            ["runuser", "-u", self.user, "--", *self.env(**extra), *argv],
            capture_output=True,
            text=True,
            timeout=150,
        )

    def start(self) -> subprocess.Popen[str]:
        """`chaoslab start` of this user's lab, in the background."""
        argv = ["start", "db-pool-exhaustion", "--no-fault", "--port-base", str(self.ports.base)]
        return subprocess.Popen(
            ["runuser", "-u", self.user, "--", *self.env(), str(self.python), "-m", "chaoslab.cli", *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def chaoslab(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(str(self.python), "-m", "chaoslab.cli", *args)

    @property
    def run_dir(self) -> Path:
        return next((self.home / "state" / "runs").iterdir())


def _venv(interpreter: Path, folder: Path) -> Path:
    """A venv of the mounted interpreter that sees the checkout's packages (a .pth, nothing copied)."""
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    subprocess.run(
        [str(interpreter / "bin" / version), "-m", "venv", "--without-pip", str(folder)],
        check=True,
        env={**os.environ, "LD_LIBRARY_PATH": str(interpreter / "lib")},
    )
    site = folder / "lib" / version / "site-packages"
    # addsitedir, not a bare path: the checkout's editable install is itself a .pth there.
    (site / "chaoslab-checkout.pth").write_text(
        f"import site; site.addsitedir({sysconfig.get_paths()['purelib']!r})\n"
    )
    return folder / "bin" / "python"


@pytest.fixture
def tenants() -> Iterator[tuple[Tenant, Tenant]]:
    if reason := _why_not():
        pytest.skip(reason)
    base = Path(tempfile.mkdtemp(prefix="h-iso-", dir="/tmp"))
    base.chmod(0o755)
    interpreter = base / "python"
    interpreter.mkdir()
    subprocess.run(["mount", "--bind", "-o", "ro", sys.base_prefix, str(interpreter)], check=True)
    made: list[Tenant] = []
    try:
        python = _venv(interpreter, base / "venv")
        for user, port_base in zip(USERS, PORT_BASES, strict=True):
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user], check=True
            )
            # Short paths: the template build's Unix socket must stay under the kernel's 107 bytes.
            home = base / user[-1]
            home.mkdir()
            entry = pwd.getpwnam(user)
            os.chown(home, entry.pw_uid, entry.pw_gid)
            # 0755 as Debian's homes are: what keeps others out must be the lab's own modes.
            home.chmod(0o755)
            made.append(Tenant(user, home, PortPlan(port_base), python, interpreter / "lib"))
        # Both at once: each builds its own database template (~10 s), which the other cannot read.
        starts = [t.start() for t in made]
        for tenant, start in zip(made, starts, strict=True):
            output, _ = start.communicate(timeout=170)
            assert start.returncode == 0, f"{tenant.user}'s lab did not start:\n{output[-2000:]}"
        yield made[0], made[1]
    finally:
        for tenant in made:
            with contextlib.suppress(subprocess.TimeoutExpired):
                tenant.chaoslab("stop")
        for tenant in made:
            uid = pwd.getpwnam(tenant.user).pw_uid
            leftovers = [p for p in psutil.process_iter(["uids"]) if p.info["uids"].real == uid]
            for proc in leftovers:
                with contextlib.suppress(psutil.Error):
                    proc.kill()  # by pid: only this test's own user runs them
            psutil.wait_procs(leftovers, timeout=10)
            subprocess.run(["userdel", tenant.user], check=False)
        subprocess.run(["umount", str(interpreter)], check=False)
        if not os.path.ismount(interpreter):  # never remove through a mount still in place
            shutil.rmtree(base, ignore_errors=True)


def pairs(tenants: tuple[Tenant, Tenant]) -> list[tuple[Tenant, Tenant]]:
    a, b = tenants
    return [(a, b), (b, a)]


def check_each_owner_logs_in_to_its_own_lab_without_typing_a_password(tenants: tuple[Tenant, Tenant]) -> None:
    for tenant in tenants:
        psql = tenant.chaoslab("psql", "-c", "select current_user")
        assert psql.returncode == 0 and "chaoslab" in psql.stdout, psql.stderr
        assert "PONG" in tenant.chaoslab("redis-cli", "PING").stdout
        # Prometheus' first scrape of the shop comes within a scrape interval of the start.
        wait_until(lambda t=tenant: 'job="shop"' in t.chaoslab("query", "up").stdout, 30, "the first scrape")


def check_nobody_enters_the_other_users_database(tenants: tuple[Tenant, Tenant]) -> None:
    for me, other in pairs(tenants):
        psql = [find_binary("psql"), "-w", "-h", "127.0.0.1", "-p", str(other.ports["postgres"])]
        psql += ["-U", "chaoslab", "-d", "shop", "-c", "select 1"]
        no_password = me.run(*psql)
        assert no_password.returncode != 0 and "no password supplied" in no_password.stderr
        mine = read_secrets(me.run_dir).postgres
        wrong = me.run(*psql, PGPASSWORD=mine)
        assert wrong.returncode != 0 and "password authentication failed" in wrong.stderr


def check_nobody_enters_the_other_users_cache(tenants: tuple[Tenant, Tenant]) -> None:
    for me, other in pairs(tenants):
        cli = [find_binary("redis-cli"), "-p", str(other.ports["redis"])]
        assert "NOAUTH" in me.run(*cli, "PING").stdout
        wrong = me.run(*cli, "PING", REDISCLI_AUTH=read_secrets(me.run_dir).redis)
        assert "WRONGPASS" in wrong.stdout + wrong.stderr


def check_nobody_queries_the_other_users_prometheus(tenants: tuple[Tenant, Tenant]) -> None:
    for me, other in pairs(tenants):
        url = f"http://127.0.0.1:{other.ports['prometheus']}/api/v1/query?query=up"
        status = ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"]
        assert me.run(*status, url).stdout == "401"
        # The login goes in a config on stdin, as it would for a careful person: not in `ps`.
        login = f'user = "{PROMETHEUS_USER}:{read_secrets(me.run_dir).prometheus}"'
        wrong = subprocess.run(
            ["runuser", "-u", me.user, "--", *status, "-K", "-", url],
            input=login, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert wrong.stdout == "401"
        own = f"http://127.0.0.1:{me.ports['prometheus']}/api/v1/query?query=up"
        right = subprocess.run(
            ["runuser", "-u", me.user, "--", *status, "-K", "-", own],
            input=login, capture_output=True, text=True, timeout=30,
        )  # fmt: skip
        assert right.stdout == "200"


def check_nobody_touches_the_other_users_links(tenants: tuple[Tenant, Tenant]) -> None:
    for me, other in pairs(tenants):
        # Each lab runs in a network of its own (a user namespace: these users are not root).
        assert '"network_private"' in (other.run_dir / "timeline.jsonl").read_text()
        socket_path = other.run_dir / "toxiproxy.sock"
        curl = ["curl", "-s", "-m", "5", "-o", "/dev/null", "-w", "%{http_code}"]
        # Toxiproxy's admin port is not on the host's loopback at all (curl: 7, could not connect)...
        tcp = me.run(*curl, f"http://127.0.0.1:{other.ports['toxiproxy']}/proxies")
        assert tcp.returncode == 7, tcp
        # ...and its socket is the owner's alone.
        unix = me.run(*curl, "--unix-socket", str(socket_path), "http://toxiproxy/proxies")
        assert unix.returncode == 7, unix
        own = me.run(*curl, "--unix-socket", str(me.run_dir / "toxiproxy.sock"), "http://toxiproxy/proxies")
        assert own.stdout == "200", own
        # The links themselves stay reachable (they are what the load and people use).
        with socket.create_connection(("127.0.0.1", other.ports["shop-postgres"]), timeout=5):
            pass


def check_nobody_reads_the_other_users_run_folder(tenants: tuple[Tenant, Tenant]) -> None:
    for me, other in pairs(tenants):
        for argv in (
            ["ls", str(other.home / "state" / "runs")],
            ["ls", str(other.run_dir)],
            ["cat", str(other.run_dir / "secrets.env")],
            ["cat", str(other.run_dir / "run.json")],
        ):
            attempt = me.run(*argv)
            assert attempt.returncode != 0 and "Permission denied" in attempt.stderr, argv
        assert (other.run_dir / "secrets.env").stat().st_mode & 0o777 == 0o600
        assert other.run_dir.stat().st_mode & 0o077 == 0


def test_two_users_labs_are_kept_apart(tenants: tuple[Tenant, Tenant]) -> None:
    """One test, one pair of labs: under xdist a module's tests spread over workers, and two
    workers would each make the same users and start two more labs."""
    check_each_owner_logs_in_to_its_own_lab_without_typing_a_password(tenants)
    check_nobody_enters_the_other_users_database(tenants)
    check_nobody_enters_the_other_users_cache(tenants)
    check_nobody_queries_the_other_users_prometheus(tenants)
    check_nobody_touches_the_other_users_links(tenants)
    check_nobody_reads_the_other_users_run_folder(tenants)
