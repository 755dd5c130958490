"""What the benchmark, the load test and the fault tests share.

``Site`` serves Lectern the way production does (gunicorn, DEBUG=0, WhiteNoise) from a
temporary folder; ``ThrowawayPostgres`` and ``ThrowawayRedis`` are private servers on
their own ports that a fault test may stop and start without touching the machine's;
``Localstripe`` is a fake Stripe for the payment tests; ``MotoS3`` a real S3-compatible
server (moto's server mode) and ``Balancer`` nginx with deploy/nginx.conf in front of
several sites, for the cluster rehearsal. Everything listens on 127.0.0.1 only (but
localstripe, which cannot be told to).
"""

import contextlib
import json
import os
import platform
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from lms.lib.jwt_keys import dev_key_file  # noqa: E402  (after ROOT is importable)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return (
        f"{os.cpu_count()} cores ({cpu}), {memory:.0f} GiB RAM, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def free_port() -> int:
    """A port nobody listens on now (the kernel's pick), so two runs never collide."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(check, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")


class Site:
    """Lectern under gunicorn on 127.0.0.1:port, its files and database in ``workdir``.

    ``own_group``: gunicorn (master and workers) in a process group of its own, which
    ``kill`` ends at once, as a host losing power would."""

    def __init__(
        self,
        workdir: Path,
        *,
        port: int,
        workers: int,
        env: dict | None = None,
        own_group: bool = False,
    ):
        self.workdir = workdir
        self.port = port
        self.workers = workers
        self.own_group = own_group
        self.base = f"http://127.0.0.1:{port}"
        self.server: subprocess.Popen | None = None
        self.env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": "harness-" + "x" * 60,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "BENCHMARK_ENDPOINTS": "1",
            "PRIVATE_MEDIA_ROOT": str(workdir / "private"),
            "MEDIA_ROOT": str(workdir / "media"),
            # Its own collected static files: collectstatic rewrites hashed files in place,
            # which would race anything reading the project's staticfiles/ meanwhile.
            "STATIC_ROOT": str(workdir / "staticfiles"),
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
            # DEBUG=0 refuses in-process tasks (lms/checks.py); emails queue in the
            # database, and no worker sends them (the email backend would drop them).
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            # DEBUG=0 sells with Stripe and needs its keys (lms.E006); nothing here pays.
            "STRIPE_SECRET_KEY": "sk_test_harness",
            "STRIPE_PUBLISHABLE_KEY": "pk_test_harness",
            "STRIPE_WEBHOOK_SECRET": "whsec_harness",
            "LOG_LEVEL": "WARNING",
            # DEBUG=0 needs a key to sign API tokens: the development one will do here.
            "JWT_PRIVATE_KEY_FILE": str(dev_key_file()),
            **(env or {}),
        }
        self.env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'site.sqlite3'}")
        self.log = workdir / "gunicorn.log"

    @property
    def database(self) -> str:
        return "PostgreSQL" if self.env["DATABASE_URL"].startswith("postgres") else "SQLite"

    @property
    def cache(self) -> str:
        return "Redis" if self.env.get("REDIS_URL") else "local memory"

    def manage(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PY, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            check=check,
            capture_output=True,
            text=True,
        )

    def bench_prepare(self, *args: str) -> dict:
        """Run manage.py bench_prepare; its last line is the JSON the load needs."""
        return json.loads(self.manage("bench_prepare", *args).stdout.strip().splitlines()[-1])

    def prepare(self) -> None:
        self.manage("migrate", "--noinput", "-v0")
        self.manage("flush", "--noinput", "-v0")  # a fresh start: demo files live in workdir
        self.manage("collectstatic", "--noinput", "-v0")

    def start(self) -> None:
        self.server = subprocess.Popen(
            [
                str(Path(PY).parent / "gunicorn"),
                "lms.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(self.workers),
                "--no-control-socket",
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=self.own_group,
        )
        wait_for(self._answers, seconds=30, what="gunicorn")

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(self.base + "/bench/ok/", timeout=1)  # noqa: S310 (loopback)
        except OSError:
            return False
        return True

    def healthy(self) -> bool:
        """What a deploy script asks before it counts a server in: /healthz/ answers 200
        (this process is up and reaches the database)."""
        try:
            with urllib.request.urlopen(self.base + "/healthz/", timeout=2) as answer:  # noqa: S310
                return answer.status == 200
        except OSError:
            return False

    def kill(self) -> None:
        """SIGKILL to gunicorn's master and workers together (``own_group`` only); returns
        once none of them is left, so nothing of the old server can still answer."""
        if not (self.own_group and self.server):
            raise RuntimeError("kill() needs a site started with own_group=True")
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait(timeout=10)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.killpg(self.server.pid, 0)  # any worker still in the group?
            except ProcessLookupError:
                return
            time.sleep(0.01)
        raise RuntimeError("gunicorn's workers outlived SIGKILL")

    def stop(self) -> None:
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            self.server.wait(timeout=30)


class ThrowawayPostgres:
    """A PostgreSQL cluster of our own in ``workdir`` (initdb + pg_ctl), trust auth."""

    def __init__(self, workdir: Path, *, port: int | None = None):
        self.port = port or free_port()
        self.data = workdir / "pgdata"
        self.logfile = workdir / "postgres.log"
        self.bin = self.find_bin()
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/lectern"

    @staticmethod
    def find_bin() -> Path | None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if found:
            return found[-1].parent
        pg_ctl = shutil.which("pg_ctl")
        return Path(pg_ctl).parent if pg_ctl else None

    def _run(self, *command: str) -> None:
        # PostgreSQL refuses to run as root: run its tools as the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True)

    def start(self) -> None:
        if self.bin is None:
            raise RuntimeError("PostgreSQL's server programs (initdb, pg_ctl) are not installed")
        if not self.data.exists():
            self.data.mkdir(parents=True)
            if os.geteuid() == 0:
                shutil.chown(self.data, "postgres", "postgres")
                shutil.chown(self.data.parent, "postgres")
            self._run(
                str(self.bin / "initdb"),
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "--auth=trust",
                "--no-sync",
            )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data} "
            "-c fsync=on -c synchronous_commit=on -c max_connections=200"
        )
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.logfile),
            "-o",
            options,
            "-w",
            "start",
        )
        createdb = ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        exists = subprocess.run(
            [*createdb, "-tAc", "SELECT 1 FROM pg_database WHERE datname='lectern'"],
            capture_output=True,
            text=True,
            check=True,
        )
        if "1" not in exists.stdout:
            subprocess.run(
                [*createdb, "-c", "CREATE DATABASE lectern"], check=True, capture_output=True
            )

    def stop(self, mode: str = "immediate") -> None:
        """``immediate`` is a crash as far as clients can tell: no goodbye, WAL replay."""
        if self.bin and (self.data / "postmaster.pid").exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def stop_quietly(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self.stop("fast")


NO_PERSISTENCE = ["--save", "", "--appendonly", "no"]


class ThrowawayRedis:
    """A Redis of our own on ``port`` that keeps nothing on disk."""

    def __init__(self, *, port: int | None = None):
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        if not shutil.which("redis-server"):
            raise RuntimeError("redis-server is not installed")
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), *NO_PERSISTENCE],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(self._answers, seconds=10, what="Redis")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()  # gone at once, as in a crash
            self.process.wait(timeout=10)

    stop_quietly = stop


class Localstripe:
    """localstripe (PyPI: a fake but stateful Stripe server) on ``port``, empty at start.

    The stripe library talks to ``url`` (STRIPE_API_BASE), a browser loads its Stripe.js
    stand-in from ``js_url`` (STRIPE_JS_URL), and ``configure_webhook`` tells it where to
    POST its signed events. It listens on every interface (it has no option to bind
    127.0.0.1 only) and writes its state to /tmp/localstripe.pickle after each change;
    ``--from-scratch`` keeps it from reading that file back.
    """

    def __init__(self, *, port: int | None = None, log: Path | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.js_url = f"{self.url}/js.stripe.com/v3/"
        self.log = log
        self.process: subprocess.Popen | None = None

    @staticmethod
    def find() -> str | None:
        beside = Path(PY).parent / "localstripe"  # installed in the same virtualenv
        return str(beside) if beside.exists() else shutil.which("localstripe")

    def start(self) -> None:
        program = self.find()
        if program is None:
            raise RuntimeError("localstripe is not installed (pip install -r requirements-dev.txt)")
        output = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [program, "--port", str(self.port), "--from-scratch"],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, seconds=20, what="localstripe")

    def _answers(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"localstripe exited with status {self.process.returncode}")
        try:
            urllib.request.urlopen(self.js_url, timeout=1)  # noqa: S310 (loopback)
        except OSError:
            return False
        return True

    def configure_webhook(self, url: str, secret: str, events: list[str] | None = None) -> None:
        """Send events (all, or only ``events``) to ``url``, signed with ``secret``, as
        Stripe does: a ``Stripe-Signature: t=...,v1=HMAC-SHA256`` header."""
        body = {"url": url, "secret": secret, **({"events": events} if events else {})}
        request = urllib.request.Request(  # noqa: S310 (loopback)
            f"{self.url}/_config/webhooks/lectern",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 (loopback)

    def flush(self) -> None:
        """Forget every object (intents, payment methods, refunds, events)."""
        request = urllib.request.Request(f"{self.url}/_config/data", method="DELETE")  # noqa: S310
        urllib.request.urlopen(request, timeout=5)  # noqa: S310 (loopback)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class MotoS3:
    """moto's server mode (PyPI: moto[server]) on ``port``: a real S3 API over HTTP that
    boto3 and django-storages talk to as to AWS, holding its objects in memory."""

    CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    REGION = "us-east-1"

    def __init__(self, *, port: int | None = None, log: Path | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    @staticmethod
    def find() -> str | None:
        beside = Path(PY).parent / "moto_server"  # installed in the same virtualenv
        return str(beside) if beside.exists() else shutil.which("moto_server")

    def start(self) -> None:
        program = self.find()
        if program is None:
            raise RuntimeError("moto_server is not installed (pip install -r requirements-dev.txt)")
        output = self.log.open("ab") if self.log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [program, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        wait_for(self._answers, seconds=30, what="moto_server")

    def _answers(self) -> bool:
        if self.process and self.process.poll() is not None:
            raise RuntimeError(f"moto_server exited with status {self.process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
        except OSError:
            return False
        return True

    def create_buckets(self, *names: str) -> None:
        import boto3  # a requirement of django-storages' S3 backend

        client = boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=self.REGION,
            aws_access_key_id=self.CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=self.CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )
        for name in names:
            client.create_bucket(Bucket=name)

    def env(self, *, public: str, private: str) -> dict:
        """What Lectern's settings read to keep every file in these two buckets."""
        return {
            **self.CREDENTIALS,
            "AWS_STORAGE_BUCKET_NAME": public,
            "AWS_PRIVATE_STORAGE_BUCKET_NAME": private,
            "AWS_S3_ENDPOINT_URL": self.url,
            "AWS_S3_REGION_NAME": self.REGION,
        }

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


NGINX_CONF = ROOT / "deploy" / "nginx.conf"
# The upstream line of deploy/nginx.conf (its passive health check included) that stands
# for every app server: Balancer repeats it once per site.
UPSTREAM_LINE = "server 127.0.0.1:8000 max_fails=1 fail_timeout=5s;"


class Balancer:
    """nginx with deploy/nginx.conf in front of several sites: its upstream line repeated
    for each, ports and paths moved into ``workdir``, TLS left out (plain HTTP on
    ``port``). Static files come from ``workdir``/staticfiles, a copy of what
    collectstatic made, as a balancer host would hold its own. Its access log records,
    per request, when it ended (``$msec``), its status and the servers nginx tried."""

    LOG_FORMAT = "$msec|$status|$request_method|$upstream_addr"

    def __init__(self, workdir: Path, *, upstreams: list[int]):
        self.workdir = workdir
        self.port, self.plain_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = workdir / "nginx-access.log"
        text = "\n".join(
            line
            for line in NGINX_CONF.read_text().splitlines()
            if not line.strip().startswith("ssl_certificate")
        )
        servers = "\n    ".join(
            UPSTREAM_LINE.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for port in upstreams
        )
        for old, new in (
            ("listen 443 ssl http2;", f"listen 127.0.0.1:{self.port};"),
            ("listen 80;", f"listen 127.0.0.1:{self.plain_port};"),
            (UPSTREAM_LINE, servers),
            ("/srv/lectern/", f"{workdir}/"),
        ):
            if old not in text:
                raise RuntimeError(f"deploy/nginx.conf no longer has {old!r}: update harness.py")
            text = text.replace(old, new)
        temp = "\n".join(
            f"{kind}_temp_path {workdir}/nginx-{kind};"
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(
            f"user {pwd.getpwuid(os.getuid()).pw_name};\npid {workdir}/nginx.pid;\n"
            f"error_log {workdir}/nginx-error.log;\nevents {{ worker_connections 1024; }}\n"
            f"http {{\ninclude /etc/nginx/mime.types;\ndefault_type application/octet-stream;\n"
            f"log_format upstreams '{self.LOG_FORMAT}';\n"
            f"access_log {self.access_log} upstreams;\n{temp}\n{text}\n}}\n"
        )
        self.command = ["nginx", "-p", str(workdir), "-c", str(self.conf)]

    def start(self) -> None:
        subprocess.run(
            [*self.command, "-e", str(self.workdir / "nginx-error.log")],
            check=True,
            capture_output=True,
        )
        wait_for(self._answers, seconds=10, what="nginx")

    def _answers(self) -> bool:
        try:
            urllib.request.urlopen(self.base + "/healthz/", timeout=2)  # noqa: S310 (loopback)
        except OSError:
            return False
        return True

    def served(self, *, since: float = 0.0) -> list[tuple[float, int, str, str]]:
        """(time, status, method, the server that answered) of each request nginx logged
        after ``since`` (time.time()): it writes a line once it has answered. The server
        is the last that nginx tried ("-" for what nginx served itself)."""
        rows = []
        for line in self.access_log.read_text().splitlines():
            when, status, method, tried = line.split("|", 3)
            if float(when) >= since:
                last = tried.replace(" : ", ", ").split(", ")[-1]
                rows.append((float(when), int(status), method, last))
        return rows

    def stop(self) -> None:
        subprocess.run([*self.command, "-s", "quit"], check=False, capture_output=True)


def temporary_folder(prefix: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)  # the postgres user must reach a throwaway cluster inside
    return folder


def database_and_cache(workdir: Path) -> tuple[list, dict]:
    """The PostgreSQL and Redis a served site uses: those DATABASE_URL/REDIS_URL name, or
    else throwaway servers of the harness's own (SQLite when PostgreSQL is not installed).
    Returns the services to start (and stop) and the environment naming them."""
    services, env = [], {}
    if "DATABASE_URL" not in os.environ and ThrowawayPostgres.find_bin():
        services.append(ThrowawayPostgres(workdir))
        env["DATABASE_URL"] = services[-1].url
    if "REDIS_URL" not in os.environ:
        services.append(ThrowawayRedis())
        env["REDIS_URL"] = services[-1].url
    return services, env
