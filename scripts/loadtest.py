"""Load and fault test: simulated students against Lectern served as in production.

    make loadtest          # 50 students for 5 minutes, then the fault phases
    make loadtest-short    # the CI form: 12 students, 15 s, the same fault phases

The site runs under gunicorn (DEBUG=0) on a PostgreSQL cluster and a Redis server of the
test's own (scripts/harness.py), so the faults touch nothing else on the machine.
Each simulated student browses (home, search, course page), enrols, opens the player,
fetches video bytes, reports progress every few seconds of video and reviews the course.

Phases, in one run:
  steady            no faults: every answer must be the expected one (0 server errors)
  postgres-restart  PostgreSQL is killed (immediate stop) and started again: answers
                    may be 503 with the "briefly unavailable" page (never a 500 or a
                    traceback); the site must recover on its own
  redis-down        Redis is killed: pages must still be served (no 5xx), and code
                    entry must refuse with 503 (its rate limits live in Redis)
Then ``manage.py load_check`` verifies that every progress report the server
acknowledged is stored, and that enrolment counts and ratings match their rows.
Exits 1 on any failure; --report writes docs/benchmarks/loadtest.md.
"""

import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    ROOT,
    Site,
    ThrowawayPostgres,
    ThrowawayRedis,
    free_port,
    machine,
    temporary_folder,
    wait_for,
)

REPORT = ROOT / "docs" / "benchmarks" / "loadtest.md"
VIDEO_SRC = re.compile(r'<video id="lesson-video"[^>]*\ssrc="([^"]+)"')
# A lesson whose HLS renditions are ready: the player starts from its signed master playlist.
HLS_SRC = re.compile(r'<video id="lesson-video"[^>]*\sdata-hls-url="([^"]+)"')
WORDS = ["python", "design", "data", "music", "intro", "history"]
STEP = 4.0  # seconds of video per progress report (the player reports every few seconds)
# Students watch at double speed, the fastest the player offers: the server credits no
# more media time than real playback can produce (learning.services.credit_segment).
RATE = 2.0


class Recorder:
    """Every answer, by phase and action; what counts as a failure depends on the phase.

    Each request is numbered when it starts (``begin``) and leaves ``in_flight`` when its
    answer is recorded, so a fault can be matched with the requests it caught midway."""

    def __init__(self):
        self.lock = threading.Lock()
        self.phase = "steady"
        self.counts: dict[str, Counter] = defaultdict(Counter)
        self.failures: list[str] = []
        self.acknowledged: list[dict] = []
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.in_flight: set[int] = set()
        self.started = 0

    def begin(self) -> int:
        with self.lock:
            self.started += 1
            self.in_flight.add(self.started)
            return self.started

    def record(
        self,
        action: str,
        expected: int,
        status: int | str,
        body: bytes,
        took: float,
        request: int | None = None,
    ):
        with self.lock:
            self.in_flight.discard(request)
            phase = self.phase
            self.counts[phase][f"{action} {status}"] += 1
            self.latencies[phase].append(took)
            if status == expected:
                return True
            if self.excused(phase, action, status, body, request):
                return False
            self.failures.append(
                f"[{phase}] {action}: expected {expected}, got {status} {body[:160]!r}"
            )
            return False

    def excused(self, phase: str, action: str, status, body: bytes, request) -> bool:
        """Whether this phase allows a wrong answer (called with the lock held)."""
        clean_503 = status == 503 and b"Traceback" not in body and b"<h1" in body
        return phase == "postgres-restart" and clean_503  # refused while the database is away


class Student(threading.Thread):
    """One simulated student on Lectern at 127.0.0.1:``port``.

    ``storage_redirects``: the site sends video bytes from S3 (VIDEO_DELIVERY=s3), so the
    video link answers 302 to a signed bucket URL, fetched next; HLS playlists then list
    bucket URLs too. Absolute URLs are fetched from their own host, without cookies."""

    def __init__(
        self,
        n: int,
        person: dict,
        prep: dict,
        port: int,
        rec: Recorder,
        stop,
        *,
        storage_redirects: bool = False,
    ):
        super().__init__(daemon=True, name=f"student-{n}")
        self.person, self.prep, self.port, self.rec, self.stop_event = person, prep, port, rec, stop
        self.storage_redirects = storage_redirects
        self.random = random.Random(n)
        self.cookie = f"sessionid={person['session']}; csrftoken={prep['csrf']}"
        self.enrolled: set[str] = set()
        self.reviewed: set[str] = set()
        self.connections: dict[tuple[str, int], http.client.HTTPConnection] = {}
        self.headers: http.client.HTTPMessage | None = None  # the last answer's

    def request(self, action, method, url, *, expected, body=None, headers=None):
        parts = urlsplit(url)
        if parts.netloc:  # elsewhere (the bucket): no cookies of ours
            where, path, headers = (parts.hostname, parts.port or 80), url, headers or {}
        else:
            where, path = ("127.0.0.1", self.port), url
            headers = {"Cookie": self.cookie, **(headers or {})}
        token = self.rec.begin()
        started = time.monotonic()
        connection = self.connections.get(where)
        try:
            if connection is None:
                connection = http.client.HTTPConnection(*where, timeout=60)
                self.connections[where] = connection
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            status, data, self.headers = response.status, response.read(), response.headers
        except (OSError, http.client.HTTPException) as error:
            status, data, self.headers = type(error).__name__, b"", None
        if status != expected:  # start afresh: the connection may be broken
            self.connections.pop(where).close()
        ok = self.rec.record(action, expected, status, data, time.monotonic() - started, token)
        return ok, data

    def post_form(self, action, path, fields, *, expected=302):
        fields = {"csrfmiddlewaretoken": self.prep["csrf"], **fields}
        body = "&".join(f"{k}={v}" for k, v in fields.items())
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        return self.request(action, "POST", path, expected=expected, body=body, headers=headers)

    def pause(self, low=0.2, high=0.8):
        self.stop_event.wait(self.random.uniform(low, high))

    def run(self):
        while not self.stop_event.is_set():
            self.session_of_learning()

    def session_of_learning(self):
        course = self.random.choice(self.prep["courses"])
        slug = course["slug"]
        self.request("home", "GET", "/", expected=200)
        self.pause()
        self.request("search", "GET", f"/courses/?q={self.random.choice(WORDS)}", expected=200)
        self.pause()
        self.request("course page", "GET", f"/courses/{slug}/", expected=200)
        if slug not in self.enrolled:
            ok, _ = self.post_form("enrol", f"/courses/{slug}/enrol/", {})
            if not ok:
                return
            self.enrolled.add(slug)
        for lesson in course["lessons"][: self.random.randint(1, 3)]:
            if self.stop_event.is_set() or not self.watch(slug, lesson):
                return
        if slug not in self.reviewed:
            rating = self.random.randint(1, 5)
            ok, _ = self.post_form(
                "review",
                f"/courses/{slug}/review/",
                {"rating": rating, "text": f"Load test review {rating}/5 <b>not bold</b>"},
            )
            if ok:
                self.reviewed.add(slug)
        self.request("my learning", "GET", "/learn/", expected=200)
        self.pause()

    def start_hls(self, master: str) -> bool:
        """What hls.js asks for first: the master playlist, the lowest rung's playlist,
        the key and the first segment."""
        ok, body = self.request("hls master", "GET", master, expected=200)
        lines = [line for line in body.decode().splitlines() if line and line[0] != "#"]
        if not ok or not lines:
            return False
        ok, body = self.request("hls playlist", "GET", lines[0], expected=200)
        text = body.decode() if ok else ""
        key = re.search(r'URI="([^"]+)"', text)
        segments = [line for line in text.splitlines() if line and line[0] != "#"]
        if not (key and segments):
            return False
        self.request("hls key", "GET", key.group(1), expected=200)
        self.request("hls segment", "GET", segments[0], expected=200)
        return True

    def fetch_video(self, url: str) -> None:
        """The first 64 KiB of the lesson's video file, as a <video> element asks."""
        first_bytes = {"Range": "bytes=0-65535"}
        if not self.storage_redirects:
            self.request("video bytes", "GET", url, expected=206, headers=first_bytes)
            return
        ok, _ = self.request("video link", "GET", url, expected=302)
        if ok and self.headers and self.headers.get("Location"):
            location = self.headers["Location"]
            self.request("video bytes (S3)", "GET", location, expected=206, headers=first_bytes)

    def watch(self, slug: str, lesson: dict) -> bool:
        ok, page = self.request(
            "player", "GET", f"/learn/{slug}/lessons/{lesson['pk']}/", expected=200
        )
        html = page.decode(errors="replace") if ok else ""
        hls = HLS_SRC.search(html)
        found = VIDEO_SRC.search(html)
        if hls:
            if not self.start_hls(hls.group(1).replace("&amp;", "&")):
                return False
        elif found:
            self.fetch_video(found.group(1).replace("&amp;", "&"))
        else:
            return False
        duration, position = float(lesson["duration"]), 0.0
        while position < duration and not self.stop_event.is_set():
            end = min(position + STEP, duration)
            payload = {"position": end, "start": position, "end": end}
            ok, answer = self.request(
                "progress",
                "POST",
                f"/progress/{lesson['pk']}/",
                expected=200,
                body=json.dumps(payload),
                headers={"Content-Type": "application/json", "X-CSRFToken": self.prep["csrf"]},
            )
            if ok:
                body = json.loads(answer)
                credited = body["credited"] or [position, position]
                with self.rec.lock:
                    self.rec.acknowledged.append(
                        {
                            "email": self.person["email"],
                            "lesson": lesson["pk"],
                            "start": credited[0],
                            "end": credited[1],
                            "completed": body["completed"],
                        }
                    )
                position = end  # like the player: an unacknowledged segment is sent again
            self.pause(STEP / RATE, STEP / RATE + 0.5)
        return True


def phase_table(rec: "Recorder") -> list[str]:
    """The report's table: each phase's requests, answers by action and status, latency."""
    lines = [
        "| phase | requests | answers (action status: count) | median ms | p99 ms |",
        "|---|---:|---|---:|---:|",
    ]
    for phase, counts in rec.counts.items():
        times = sorted(rec.latencies[phase])
        median = times[len(times) // 2] * 1000 if times else 0
        p99 = times[int(len(times) * 0.99)] * 1000 if times else 0
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        lines.append(f"| {phase} | {sum(counts.values())} | {answers} | {median:.0f} | {p99:.0f} |")
    return lines


def report_end(rec, check: str, failures: int, timeline: list[str], make: str, script: str):
    """The report's closing lines: acknowledged progress, failures, the timeline."""
    return [
        "",
        f"Acknowledged progress reports: {len(rec.acknowledged)}. {check}",
        "",
        f"Failures: {failures}.",
        "",
        "Timeline:",
        "",
        *[f"    {line}" for line in timeline],
        "",
        f"Made by `{make}` (scripts/{script}).",
    ]


def code_entry_status(port: int, csrf: str) -> int:
    """POST to the email-verification code page as a stranger; 503 means "refused"."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(
        "POST",
        "/accounts/confirm-email/",
        body=f"csrfmiddlewaretoken={csrf}&code=ABCDEF",
        headers={
            "Cookie": f"csrftoken={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    status = connection.getresponse().status
    connection.close()
    return status


def answers_from_database(port: int, student: dict) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/learn/", headers={"Cookie": f"sessionid={student['session']}"})
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=300, help="length of the steady phase")
    parser.add_argument("--down", type=int, default=5, help="seconds each service stays down")
    parser.add_argument("--no-faults", dest="faults", action="store_false")
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 1) * 2 + 1)
    parser.add_argument("--port", type=int, default=0, help="default: a free port")
    parser.add_argument("--report", action="store_true", help=f"write {REPORT.name}")
    args = parser.parse_args()
    args.port = args.port or free_port()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped by SIGTERM"))  # run cleanups

    workdir = temporary_folder("lectern-load-")
    postgres, redis = ThrowawayPostgres(workdir), ThrowawayRedis()
    site = None
    rec, stop = Recorder(), threading.Event()
    timeline: list[str] = []
    started = time.monotonic()

    def note(text: str) -> None:
        line = f"{time.monotonic() - started:6.1f} s  {text}"
        timeline.append(line)
        print(line, flush=True)

    try:
        try:
            postgres.start()
            redis.start()
            site = Site(
                workdir,
                port=args.port,
                workers=args.workers,
                env={"DATABASE_URL": postgres.url, "REDIS_URL": redis.url},
            )
            site.prepare()
            prep = site.bench_prepare("--students", str(args.students), "--no-enroll")
            prep["courses"] = [c for c in prep["courses"] if c["lessons"]]
            site.start()
            note(f"gunicorn up ({args.workers} workers), {args.students} students start")
            students = [
                Student(n, person, prep, args.port, rec, stop)
                for n, person in enumerate(prep["students"])
            ]
            for student in students:
                student.start()
            time.sleep(args.seconds)

            if args.faults:
                with rec.lock:
                    rec.phase = "postgres-restart"
                note("PostgreSQL: immediate stop")
                postgres.stop("immediate")
                time.sleep(args.down)
                postgres.start()
                back = time.monotonic()
                note("PostgreSQL: started again")
                wait_for(
                    lambda: answers_from_database(args.port, prep["students"][0]),
                    seconds=30,
                    what="the site after PostgreSQL's restart",
                )
                note(f"site answers from the database again after {time.monotonic() - back:.1f} s")
                time.sleep(3)  # keep the window open while workers reconnect

                with rec.lock:
                    rec.phase = "redis-down"
                note("Redis: killed")
                redis.stop()
                refused = code_entry_status(args.port, prep["csrf"])
                note(f"code entry while Redis is down: {refused}")
                if refused != 503:
                    rec.failures.append(f"[redis-down] code entry answered {refused}, not 503")
                time.sleep(args.down)
                redis.start()
                redis_back = time.monotonic()
                note("Redis: started again")
                # Each worker leaves Redis alone for a few seconds after a failure (the
                # cache's circuit breaker), then probes it: code entry reopens by itself.
                try:
                    wait_for(
                        lambda: code_entry_status(args.port, prep["csrf"]) != 503,
                        seconds=15,
                        what="code entry after Redis came back",
                    )
                    note(f"code entry answers again after {time.monotonic() - redis_back:.1f} s")
                except RuntimeError:
                    rec.failures.append(
                        "[redis-down] code entry still refused 15 s after Redis came back"
                    )
                with rec.lock:
                    rec.phase = "after faults"
                time.sleep(3)

            stop.set()
            for student in students:
                student.join(timeout=70)
            note("students stopped")
        finally:
            stop.set()
            if site:
                site.stop()
        acknowledged = workdir / "acknowledged.json"
        acknowledged.write_text(json.dumps(rec.acknowledged))
        check = site.manage("load_check", str(acknowledged), check=False)
    finally:  # also on a failure, Ctrl-C or SIGTERM: leave no server running
        redis.stop()
        postgres.stop_quietly()
    print(check.stdout.strip())
    if check.returncode:
        rec.failures.append("load_check: " + (check.stderr.strip() or "failed"))

    summary = summarise(rec, args, site, timeline, check.stdout.strip())
    print(summary)
    if args.report:
        REPORT.write_text(summary)
        print(f"Written to {REPORT.relative_to(ROOT)}")
    if rec.failures:
        print(f"\nFAILED: {len(rec.failures)} problem(s)", *rec.failures[:30], sep="\n")
        print(f"(server log: {site.log})")
        return 1
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


def summarise(rec: Recorder, args, site: Site, timeline: list[str], check: str) -> str:
    faults = (
        f"PostgreSQL restarted and Redis killed for {args.down} s each"
        if args.faults
        else "no faults"
    )
    lines = [
        "# Lectern load and fault test — latest run",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Server: gunicorn, {args.workers} sync workers, DEBUG=0; database {site.database} "
        f"(a throwaway cluster); cache {site.cache}",
        f"- Load: {args.students} simulated students for {args.seconds} s (browse, enrol, "
        f"player, video bytes, progress every 4 s of video, review), then {faults}",
        "",
    ]
    lines += phase_table(rec)
    lines += report_end(rec, check, len(rec.failures), timeline, "make loadtest", "loadtest.py")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
