"""Lectern on more than one server, rehearsed under the load test's simulated students.

    make loadtest-cluster    # 50 students, 3 minutes steady, one server killed and back

The layout of README "Running on more than one server", on one machine: two app servers
(A and B: separate gunicorn processes, DEBUG=0, each on its own port with its own local
folder for MEDIA_ROOT, PRIVATE_MEDIA_ROOT, STATIC_ROOT and TMPDIR, so nothing can rely
on one host's disk) behind nginx running deploy/nginx.conf as the balancer; one
PostgreSQL and one Redis (cache, sessions' cache, rate limits; the RQ queues in a
database of their own), an S3-compatible server (moto's server mode) holding every file
in two buckets (VIDEO_DELIVERY=s3), and a task worker of its own (``manage.py rqworker
default video --with-scheduler``, with its own folder) that transcodes.

The students of scripts/loadtest.py go through the balancer. Meanwhile, on A and B
directly (each server's own port):

  upload      an instructor signs in on A, uploads a generated video through A (a
              presigned POST to the bucket, completed on A) and publishes it; the worker
              transcodes it, and a student plays it through B (player page, HLS master
              and media playlists, key, a segment from the bucket)
  session     the session A made is signed in on B
  rate limit  five failed logins on A lock that account's login on B too
  page cache  B's cached anonymous course page shows a section renamed on A at once
  kill        A is killed (SIGKILL, master and workers) under load and started again:
              the balancer leaves it out and takes it back (the script waits for A's
              /healthz/ and then for the balancer's log to show requests served by A).
              Only requests in flight on A at the kill may fail (a POST nginx must not
              repeat: 502; an answer A had begun to send: cut short); each such failure
              is matched with its request, and counted.

Then ``manage.py load_check`` verifies that every progress report acknowledged through
either server is stored, and the integrity check (rows against the files in the
buckets). Exits 1 on any failure; --report writes docs/benchmarks/cluster.md.
"""

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    PY,
    ROOT,
    Balancer,
    MotoS3,
    Site,
    ThrowawayPostgres,
    ThrowawayRedis,
    free_port,
    machine,
    temporary_folder,
    wait_for,
)
from loadtest import HLS_SRC, Recorder, Student, phase_table, report_end

REPORT = ROOT / "docs" / "benchmarks" / "cluster.md"
PASSWORD = "lectern-demo-2026"  # noqa: S105 (the demo accounts', README "Demo accounts")
INSTRUCTOR = "instructor@lectern.test"
LOCKED_OUT = "ben@lectern.test"  # a demo learner: the rate-limit check locks its login
CONTROL = "chen@lectern.test"  # another, whose login on B must still work
BACKEND_RQ = "django_tasks_rq.RQBackend"
# Where the instructor's course, its first section and a free student live (printed as
# JSON by the shell on A's environment: the checks need ids, not a page scraper).
FIXTURE = """
import json
from catalog.models import Course
course = (Course.objects.published().filter(instructor__email="{email}", price=0)
          .order_by("pk").first())
section = course.sections.order_by("order").first()
print(json.dumps({{"course": course.pk, "slug": course.slug, "section": section.pk,
                  "section_title": section.title}}))
"""


class ClusterRecorder(Recorder):
    """The load test's recorder, with the kill's rule: a request caught in flight when A
    died may fail (counted), any other may not. Caught, a POST that reached A ends in a
    502 from nginx (it must not send it again); a GET whose answer A had begun to send
    arrives cut short (nginx cannot take back what it passed on: the client sees the
    connection close early); a GET still waiting for its answer goes to B unseen."""

    def __init__(self):
        super().__init__()
        self.caught: set[int] = set()  # in flight at the kill
        self.caught_failed: list[str] = []

    def excused(self, phase, action, status, body, request) -> bool:
        broken = status in (502, 503, 504) or isinstance(status, str)  # str: cut short
        if phase == "server-kill" and request in self.caught and broken:
            self.caught_failed.append(f"{action} {status}")
            return True
        return super().excused(phase, action, status, body, request)


class Worker:
    """The task worker host: ``manage.py rqworker`` on both queues, its own folder."""

    def __init__(self, folder: Path, env: dict):
        self.folder, self.env = folder, env
        self.log = folder / "worker.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [PY, "manage.py", "rqworker", "default", "video", "--with-scheduler"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # finishes the job in hand
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


class Answer:
    def __init__(self, status: int, headers, body: bytes):
        self.status, self.headers, self.body = status, headers, body
        self.text = body.decode(errors="replace")

    def cookie(self, name: str) -> str | None:
        jar = SimpleCookie()
        for value in self.headers.get_all("Set-Cookie") or []:
            jar.load(value)
        return jar[name].value if name in jar and jar[name].value else None


def call(
    port: int,
    method: str,
    path: str,
    *,
    cookies: dict | None = None,
    form: dict | None = None,
    headers: dict | None = None,
) -> Answer:
    """One request to 127.0.0.1:``port`` (a server's own port, not the balancer's), with
    the Host header the balancer sends every server (nginx's ``$host``: no port), as a
    real site has one name: allauth keys rate limits by it (RequestSite's domain)."""
    headers = {"Host": "127.0.0.1", **(headers or {})}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    body = None
    if form is not None:
        body = urlencode(form)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return Answer(response.status, response.headers, response.read())
    finally:
        connection.close()


def fetch(url: str) -> Answer:
    """GET an absolute URL (the bucket's presigned ones) as hls.js would: no cookies."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (loopback)
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


class Checks:
    """The cross-server checks, each on A's and B's own ports; each adds a line to
    ``results`` (and to ``failures`` when it does not hold)."""

    def __init__(self, a: Site, b: Site, prep: dict, fixture: dict, workdir: Path, note):
        self.a, self.b, self.prep, self.fixture, self.workdir = a, b, prep, fixture, workdir
        self.note = note
        self.csrf = prep["csrf"]
        self.results: list[str] = []
        self.failures: list[str] = []
        self.instructor: dict | None = None  # the cookies of the session made on A

    def check(self, name: str, holds: bool, detail: str) -> bool:
        self.results.append(f"{name}: {'holds' if holds else 'FAILED'} — {detail}")
        self.note(self.results[-1])
        if not holds:
            self.failures.append(f"[{name}] {detail}")
        return holds

    def log_in(self, site: Site, email: str, password: str) -> Answer:
        return call(
            site.port,
            "POST",
            "/accounts/login/",
            cookies={"csrftoken": self.csrf},
            form={"csrfmiddlewaretoken": self.csrf, "login": email, "password": password},
        )

    def session(self) -> None:
        answer = self.log_in(self.a, INSTRUCTOR, PASSWORD)
        session = answer.cookie("sessionid")
        if not self.check(
            "session made on A",
            answer.status == 302 and bool(session),
            f"the instructor's login on A answered {answer.status}",
        ):
            return
        self.instructor = {"sessionid": session, "csrftoken": self.csrf}
        emails = call(self.b.port, "GET", "/accounts/email/", cookies=self.instructor)
        stranger = call(self.b.port, "GET", "/accounts/email/")
        self.check(
            "session holds on B",
            emails.status == 200 and INSTRUCTOR in emails.text and stranger.status == 302,
            f"B's own email page with A's session cookie: {emails.status}"
            f"{' (the instructor’s address)' if INSTRUCTOR in emails.text else ''}; "
            f"without: {stranger.status}",
        )

    def rate_limit(self) -> None:
        refused = [self.log_in(self.a, LOCKED_OUT, "wrong-password").status for _ in range(5)]
        on_b = self.log_in(self.b, LOCKED_OUT, PASSWORD)
        control = self.log_in(self.b, CONTROL, PASSWORD)
        locked = on_b.cookie("sessionid") is None and "Too many failed login" in on_b.text
        self.check(
            "rate limit shared",
            refused == [200] * 5 and locked and control.status == 302,
            f"5 failed logins on A ({refused}), then the right password on B: "
            f"{'refused, too many failed attempts' if locked else on_b.status}; "
            f"another account on B: {control.status}",
        )

    def page_cache(self) -> None:
        page = f"/courses/{self.fixture['slug']}/"
        # Until B serves its cached copy: the students' reviews bump the catalog version
        # (each makes every cached page old) now and then.
        for _ in range(20):
            before = call(self.b.port, "GET", page)
            if before.headers.get("X-Page-Cache") == "hit":
                break
        title = f"Cluster check {uuid.uuid4().hex[:8]}"
        renamed = call(
            self.a.port,
            "POST",
            f"/admin/catalog/course/{self.fixture['course']}/curriculum/rename/",
            cookies=self.instructor,
            form={
                "csrfmiddlewaretoken": self.csrf,
                "section": self.fixture["section"],
                "title": title,
            },
        )
        after = call(self.b.port, "GET", page)
        self.check(
            "page cache invalidated across servers",
            before.headers.get("X-Page-Cache") == "hit"
            and renamed.status == 302
            and title in after.text
            and after.headers.get("X-Page-Cache") != "hit",
            f"B's anonymous course page was a cache {before.headers.get('X-Page-Cache')}; "
            f"the section renamed on A ({renamed.status}); B's next answer "
            f"{'shows the new title' if title in after.text else 'is stale'}",
        )

    def upload_and_play(self, *, transcode_seconds: int) -> None:
        from video.clips import make_clip  # PyAV; the project's own test clips

        clip = make_clip(self.workdir / "cluster-clip.mp4", seconds=4, width=640, height=360)
        data = clip.read_bytes()
        base = (
            f"/admin/catalog/course/{self.fixture['course']}/curriculum/sections/"
            f"{self.fixture['section']}/upload/"
        )
        title = "Uploaded through server A"
        signed = call(
            self.a.port,
            "POST",
            base + "sign/",
            cookies=self.instructor,
            form={
                "csrfmiddlewaretoken": self.csrf,
                "filename": "cluster-clip.mp4",
                "size": len(data),
                "content_type": "video/mp4",
                "title": title,
            },
        )
        if not self.check("upload signed on A", signed.status == 200, f"{signed.status}"):
            return
        target = json.loads(signed.body)
        stored = post_to_bucket(target["url"], target["fields"], data)
        completed = call(
            self.a.port,
            "POST",
            base + "complete/",
            cookies=self.instructor,
            form={"csrfmiddlewaretoken": self.csrf, "key": target["key"], "title": title},
            headers={"Accept": "application/json"},
        )
        if not self.check(
            "video uploaded through A",
            stored in (200, 201, 204) and completed.status == 200,
            f"the bucket took the file ({stored}), A made the lesson ({completed.status})",
        ):
            return
        lesson = json.loads(completed.body)["id"]
        call(
            self.a.port,
            "POST",
            f"/admin/catalog/course/{self.fixture['course']}/curriculum/publish/",
            cookies=self.instructor,
            form={"csrfmiddlewaretoken": self.csrf, "lesson": lesson, "published": "1"},
        )
        checker = self.prep["students"][-1]  # one no simulated student uses
        student = {"sessionid": checker["session"], "csrftoken": self.csrf}
        call(
            self.b.port,
            "POST",
            f"/courses/{self.fixture['slug']}/enrol/",
            cookies=student,
            form={"csrfmiddlewaretoken": self.csrf},
        )
        player = f"/learn/{self.fixture['slug']}/lessons/{lesson}/"
        started = time.monotonic()
        found = None
        while time.monotonic() - started < transcode_seconds and not found:
            page = call(self.b.port, "GET", player, cookies=student)
            found = HLS_SRC.search(page.text) if page.status == 200 else None
            if not found:
                time.sleep(0.5)
        if not self.check(
            "transcoded by the worker",
            found is not None,
            f"B's player offered the HLS stream {time.monotonic() - started:.1f} s after "
            "the upload completed"
            if found
            else f"no HLS stream on B's player within {transcode_seconds} s",
        ):
            return
        self.check("plays through B", *self.play_hls(found.group(1).replace("&amp;", "&"), student))

    def play_hls(self, master: str, student: dict) -> tuple[bool, str]:
        """What hls.js asks B for (master, media playlist, key) and the bucket for (a
        segment, presigned)."""
        answer = call(self.b.port, "GET", master, cookies=student)
        lines = [x for x in answer.text.splitlines() if x and not x.startswith("#")]
        if answer.status != 200 or not lines:
            return False, f"master playlist: {answer.status}"
        media = call(self.b.port, "GET", lines[0], cookies=student)
        key = re.search(r'URI="([^"]+)"', media.text)
        segments = [x for x in media.text.splitlines() if x and not x.startswith("#")]
        if media.status != 200 or not (key and segments):
            return False, f"media playlist: {media.status}"
        key_answer = call(self.b.port, "GET", key.group(1), cookies=student)
        segment = fetch(segments[0])
        where = urlsplit(segments[0])
        holds = key_answer.status == 200 and len(key_answer.body) == 16 and segment.status == 200
        return holds, (
            f"master and media playlists 200 from B, key {key_answer.status} "
            f"({len(key_answer.body)} bytes) from B, first segment {segment.status} "
            f"({len(segment.body)} bytes) from the bucket at {where.hostname}:{where.port}"
        )


def post_to_bucket(url: str, fields: dict, data: bytes) -> int:
    """The browser's multipart POST of a presigned upload: the fields, then the file."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="cluster-clip.mp4"\r\nContent-Type: video/mp4\r\n\r\n'.encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    request = urllib.request.Request(  # noqa: S310 (the presigned URL of our own moto)
        url,
        data=b"".join(parts),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def served_by(balancer: Balancer, site: Site, *, since: float) -> int:
    """Requests the balancer logged as answered by ``site`` (below 500) after ``since``."""
    address = f"127.0.0.1:{site.port}"
    return sum(
        1
        for _, status, _, server in balancer.served(since=since)
        if server == address and status < 500
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=180, help="length of the steady phase")
    parser.add_argument("--down", type=int, default=5, help="seconds server A stays down")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) + 1)
    parser.add_argument("--transcode-seconds", type=int, default=120)
    parser.add_argument("--report", action="store_true", help=f"write {REPORT.name}")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))  # run cleanups
    if not shutil.which("nginx"):
        sys.exit("nginx is missing: apt-get install nginx-light")

    workdir = temporary_folder("lectern-cluster-")
    folders = {name: workdir / name for name in ("a", "b", "worker", "balancer")}
    for folder in folders.values():
        (folder / "tmp").mkdir(parents=True)
    postgres, redis = ThrowawayPostgres(workdir), ThrowawayRedis()
    s3 = MotoS3(log=workdir / "moto.log")
    servers: list = []
    rec, stop = ClusterRecorder(), threading.Event()
    timeline: list[str] = []
    started = time.monotonic()
    figures: dict = {}

    def note(text: str) -> None:
        line = f"{time.monotonic() - started:6.1f} s  {text}"
        timeline.append(line)
        print(line, flush=True)

    def shared_env(folder: Path) -> dict:
        return {
            "DATABASE_URL": postgres.url,
            "REDIS_URL": redis.url,
            "RQ_URL": redis.url.rsplit("/", 1)[0] + "/1",  # the queues apart from the cache
            "TASKS_BACKEND": BACKEND_RQ,
            "VIDEO_TASKS_BACKEND": BACKEND_RQ,
            "VIDEO_DELIVERY": "s3",
            "CSP_MEDIA_HOSTS": s3.url,
            "TMPDIR": str(folder / "tmp"),
            **s3.env(public="lectern-public", private="lectern-private"),
        }

    checks = None
    check = None
    try:
        try:
            for service in (postgres, redis, s3):
                service.start()
            s3.create_buckets("lectern-public", "lectern-private")
            note("PostgreSQL, Redis and the S3 server up")
            a, b = (
                Site(
                    folders[name],
                    port=free_port(),
                    workers=args.workers,
                    env=shared_env(folders[name]),
                    own_group=True,
                )
                for name in ("a", "b")
            )
            # The demo's own lessons are saved with their transcodes queued where no worker
            # looks (the database queue, as in make loadtest): the worker is left free for
            # the upload under test, and the students play the demo's MP4s from the bucket.
            preparer = Site(
                folders["a"],
                port=a.port,
                workers=1,
                env={**a.env, "VIDEO_TASKS_BACKEND": "django_tasks_db.DatabaseBackend"},
            )
            with ThreadPoolExecutor() as pool:  # Site.prepare's steps, static files aside
                collected = pool.submit(preparer.manage, "collectstatic", "--noinput", "-v0")
                preparer.manage("migrate", "--noinput", "-v0")
                preparer.manage("flush", "--noinput", "-v0")
                note("migrated")
                prep = preparer.bench_prepare("--students", str(args.students + 1), "--no-enroll")
                note("demo data loaded (its files into the buckets)")
                collected.result()
            prep["courses"] = [c for c in prep["courses"] if c["lessons"]]
            # Every host collects the same build's static files; copied here, as a
            # deploy would ship them (the balancer serves /static/ from its own copy).
            for name in ("b", "balancer"):
                shutil.copytree(folders["a"] / "staticfiles", folders[name] / "staticfiles")
            worker = Worker(folders["worker"], {**a.env, **shared_env(folders["worker"])})
            balancer = Balancer(folders["balancer"], upstreams=[a.port, b.port])
            servers += [a, b, worker]  # stopped in the end even if one fails to start
            with ThreadPoolExecutor() as pool:  # the servers boot side by side
                shell = pool.submit(a.manage, "shell", "-c", FIXTURE.format(email=INSTRUCTOR))
                for started_server in [pool.submit(server.start) for server in (a, b, worker)]:
                    started_server.result()
                fixture = json.loads(shell.result().stdout.strip().splitlines()[-1])
            balancer.start()
            servers.append(balancer)
            note(
                f"servers A (:{a.port}) and B (:{b.port}), {args.workers} gunicorn workers "
                f"each, the worker and nginx (:{balancer.port}) up; {args.students} students "
                "start through nginx"
            )
            load_started = time.time()
            students = [
                Student(n, person, prep, balancer.port, rec, stop, storage_redirects=True)
                for n, person in enumerate(prep["students"][: args.students])
            ]
            for student in students:
                student.start()

            checks = Checks(a, b, prep, fixture, workdir, note)
            checks.session()
            checks.rate_limit()
            checks.page_cache()
            checks.upload_and_play(transcode_seconds=args.transcode_seconds)
            time.sleep(max(0.0, args.seconds - (time.time() - load_started)))
            checks.check(
                "both servers serve",
                served_by(balancer, a, since=load_started) > 0
                and served_by(balancer, b, since=load_started) > 0,
                f"the balancer's answers so far: {served_by(balancer, a, since=load_started)} "
                f"from A, {served_by(balancer, b, since=load_started)} from B",
            )

            with rec.lock:  # no request starts while A dies: each in flight is known
                rec.phase = "server-kill"
                a.kill()
                rec.caught = set(rec.in_flight)
            killed_at = time.time()
            figures["in flight at the kill"] = len(rec.caught)
            note(f"server A killed (SIGKILL, master and workers): {len(rec.caught)} in flight")
            time.sleep(args.down)
            during = served_by(balancer, b, since=killed_at)
            a.start()
            wait_for(a.healthy, seconds=30, what="server A's /healthz/")
            healthy_at = time.time()
            note(f"server A started again: /healthz/ 200; B answered {during} meanwhile")
            try:
                wait_for(
                    lambda: served_by(balancer, a, since=healthy_at) > 0,
                    seconds=30,
                    what="traffic on server A",
                )
                note(
                    f"the balancer sends A requests again, {time.time() - healthy_at:.1f} s "
                    "after its /healthz/ answered"
                )
            except RuntimeError:
                checks.failures.append("[kill] the balancer sent A nothing within 30 s")
            with rec.lock:
                rec.phase = "after restart"
            time.sleep(max(5, args.down))
            figures["served by A after restart"] = served_by(balancer, a, since=healthy_at)
            figures["served by B after restart"] = served_by(balancer, b, since=healthy_at)
            stop.set()
            for student in students:
                student.join(timeout=70)
            note("students stopped")
        finally:
            stop.set()
            for server in reversed(servers):
                server.stop()
        acknowledged = workdir / "acknowledged.json"
        acknowledged.write_text(json.dumps(rec.acknowledged))
        check = a.manage("load_check", str(acknowledged), check=False)
    finally:  # also on a failure, Ctrl-C or SIGTERM: leave no server running
        s3.stop()
        redis.stop()
        postgres.stop_quietly()

    failures = [*rec.failures, *(checks.failures if checks else [])]
    print(check.stdout.strip())
    if check.returncode:
        failures.append("load_check: " + (check.stderr.strip() or "failed"))
    summary = summarise(rec, args, checks, timeline, check.stdout.strip(), figures, failures)
    print(summary)
    if args.report:
        REPORT.write_text(summary)
        print(f"Written to {REPORT.relative_to(ROOT)}")
    if failures:
        print(f"\nFAILED: {len(failures)} problem(s)", *failures[:30], sep="\n")
        print(f"(logs in {workdir})")
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def summarise(rec, args, checks, timeline, check, figures, failures) -> str:
    lines = [
        "# Lectern on two servers — latest run of the cluster rehearsal",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()} (everything below on this one machine)",
        f"- Layout: nginx (deploy/nginx.conf's upstream, passive health checks) in front of "
        f"two gunicorn servers ({args.workers} sync workers each, DEBUG=0, each its own "
        "local folder); one PostgreSQL, one Redis (cache and rate limits; RQ queues in "
        "database 1); moto's S3 server for every file (VIDEO_DELIVERY=s3); one RQ worker",
        f"- Load: {args.students} simulated students (as `make loadtest`) through nginx for "
        f"{args.seconds} s, then server A killed (SIGKILL) for {args.down} s and started again",
        "",
    ]
    lines += phase_table(rec)
    caught = rec.caught_failed
    lines += [
        "",
        "Checks across the servers:",
        "",
        *[f"- {line}" for line in (checks.results if checks else [])],
        "",
        f"Requests in flight (through nginx and to the bucket) when A was killed: "
        f"{figures.get('in flight at the kill', 0)}; of those, {len(caught)} failed "
        f"({', '.join(caught) or 'none'}); every other request was answered as expected.",
        f"After the restart the balancer's answers came from A: "
        f"{figures.get('served by A after restart', 0)}, from B: "
        f"{figures.get('served by B after restart', 0)}.",
    ]
    lines += report_end(
        rec, check, len(failures), timeline, "make loadtest-cluster", "loadtest_cluster.py"
    )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
