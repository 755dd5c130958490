"""Lectern's benchmark: serve with gunicorn as production would, load it with wrk.

    make bench        # throwaway Redis, and PostgreSQL when installed (else SQLite)
    make bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/lectern_bench \
               REDIS_URL=redis://127.0.0.1:6379/2      # servers of your own (emptied)

Measures, in one run and on one server setup (DEBUG=0, WhiteNoise, gunicorn): a bare
Django view (the yardstick), the anonymous home, catalog and course pages, the player, My
learning and the progress update (50 logged-in students), the API's lesson and progress
report (the same students with JWTs), the staff dashboard, and video streaming:
through Django alone, and, where nginx is installed, through the production hand-off
(nginx in front, Django checks the signed URL and answers X-Accel-Redirect) against nginx
serving the same file directly, for files of BENCH_VIDEO_MB megabytes (default 8,128: a
short clip and a lesson-length video; the hand-off costs a fixed Django request per file).
HLS: transcoding seconds per minute of 720p source (a generated clip of BENCH_HLS_SECONDS,
default 60, through the real job), and a segment of it delivered by Django alone, by
nginx after Lectern's X-Accel hand-off and by nginx directly; the media playlist and the
key (per viewer, full check); the cost of presigning S3 segment URLs (VIDEO_DELIVERY=s3).
Data: the demo plus ``generate_scale_data`` at BENCH_COURSES courses (default 500) with
BENCH_STUDENTS students (default 2,000). Writes docs/benchmarks/latest.md and latest.png.

    scripts/bench.py --hls      # only the HLS rows (no scale data), merged into latest.json
    scripts/bench.py --pages [WORD ...]   # quick, for developers: see below

``--pages`` measures the bare view and the page and API rows only (no transcoding, no
streaming, no nginx) and prints their table without touching latest.*; with words, only
the rows whose names contain one of them (``--pages progress lesson``). With smaller scale
data it is a minute or two: ``BENCH_COURSES=50 BENCH_STUDENTS=200 BENCH_SECONDS=5``.
Bounded: each scenario runs BENCH_SECONDS (default 10) seconds, with BENCH_CONNECTIONS
(16) connections against BENCH_WORKERS (2 × cores + 1) gunicorn workers, on 127.0.0.1.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import (
    ROOT,
    Site,
    database_and_cache,
    free_port,
    machine,
    temporary_folder,
)

SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str((os.cpu_count() or 1) * 2 + 1)))
COURSES = int(os.environ.get("BENCH_COURSES", "500"))
STUDENTS = int(os.environ.get("BENCH_STUDENTS", "2000"))
VIDEO_MB = [int(mb) for mb in os.environ.get("BENCH_VIDEO_MB", "8,128").split(",")]
HLS_SECONDS = int(os.environ.get("BENCH_HLS_SECONDS", "60"))
OUT = ROOT / "docs" / "benchmarks" / "latest.md"
CHART = OUT.with_suffix(".png")
RAW = OUT.with_suffix(".json")
BARE = "Bare Django view (yardstick)"
DATE = "%Y-%m-%d %H:%M UTC"

LUA_ROTATE = """
local students = {}
%(students)s
local n = 0
request = function()
  n = n + 1
  local s = students[(n %% #students) + 1]
  local headers = {}
  headers["Cookie"] = "sessionid=" .. s.session .. "; csrftoken=%(csrf)s"
  %(extra)s
end
"""


def lua_for(kind: str, prep: dict, sessions: list[dict] | None = None, video: int | str = 0) -> str:
    rows = "\n".join(
        f'students[{i + 1}] = {{session="{s["session"]}", access="{s.get("access", "")}", '
        f'video="{video_of(s, video)}"}}'
        for i, s in enumerate(sessions or prep["students"])
    )
    if kind == "progress":
        extra = (
            'headers["Content-Type"] = "application/json"\n'
            f'  headers["X-CSRFToken"] = "{prep["csrf"]}"\n'
            f"  local pos = (n % {max(int(prep['duration']) - 2, 1)}) + 1\n"
            '  local body = string.format(\'{"position": %d, "start": %d, "end": %d}\', '
            "pos, pos - 1, pos)\n"
            f'  return wrk.format("POST", "{prep["progress"]}", headers, body)'
        )
    elif kind == "api-progress":  # the same report from an app: a bearer token, no cookie
        extra = (
            'headers["Cookie"] = nil\n'
            '  headers["Authorization"] = "Bearer " .. s.access\n'
            '  headers["Content-Type"] = "application/json"\n'
            f"  local pos = (n % {max(int(prep['duration']) - 2, 1)}) + 1\n"
            '  local body = string.format(\'{"position": %d, "start": %d, "end": %d}\', '
            "pos, pos - 1, pos)\n"
            f'  return wrk.format("POST", "{prep["api_progress"]}", headers, body)'
        )
    elif kind.startswith("api:"):  # a GET from an app: a bearer token, no cookie
        extra = (
            'headers["Cookie"] = nil\n'
            '  headers["Authorization"] = "Bearer " .. s.access\n'
            f'  return wrk.format("GET", "{kind[4:]}", headers)'
        )
    elif kind == "video":
        extra = 'return wrk.format("GET", s.video, headers)'
    else:  # a page as a logged-in person
        extra = f'return wrk.format("GET", "{kind}", headers)'
    return LUA_ROTATE % {"students": rows, "csrf": prep["csrf"], "extra": extra}


def video_of(student: dict, index: int | str) -> str:
    """The student's signed URL: of the index-th streamed video, or an HLS one by name."""
    if isinstance(index, str):
        return student.get("hls", {}).get(index, "")
    videos = student.get("videos", [])
    return videos[index] if index < len(videos) else ""


def run_wrk(base: str, path: str, script: str | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "10s"]
    if script:
        lua = Path(tempfile.mkstemp(suffix=".lua")[1])
        lua.write_text(script)
        command += ["-s", str(lua)]
    output = subprocess.run(
        [*command, base + path], capture_output=True, text=True, check=True
    ).stdout
    return parse_wrk(output)


def parse_wrk(output: str) -> dict:
    def number(pattern):
        match = re.search(pattern, output)
        return match.group(1) if match else "0"

    def to_ms(value: str) -> float:
        amount, unit = float(re.match(r"[\d.]+", value).group()), re.sub(r"[\d.]", "", value)
        return amount * {"us": 0.001, "ms": 1, "s": 1000}.get(unit, 1)

    def to_bytes(value: str) -> float:
        amount, unit = float(re.match(r"[\d.]+", value).group()), re.sub(r"[\d.]", "", value)
        return amount * {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}.get(unit, 1)

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "requests": int(number(r"(\d+) requests in")),
        "rps": float(number(r"Requests/sec:\s+([\d.]+)")),
        "p50": to_ms(number(r"50%\s+([\d.]+\w+)")),
        "p99": to_ms(number(r"99%\s+([\d.]+\w+)")),
        "bytes_per_s": to_bytes(number(r"Transfer/sec:\s+([\d.]+\w+)")),
        "errors": int(errors.group(1)) if errors else 0,
    }


NGINX_CONF = """
worker_processes 2;
%(user)s
pid %(workdir)s/nginx.pid;
error_log %(workdir)s/nginx-error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    types { video/mp4 mp4; video/webm webm; video/mp2t ts; }
    client_body_temp_path %(workdir)s/nginx-body;
    proxy_temp_path %(workdir)s/nginx-proxy;
    upstream lectern { server 127.0.0.1:%(upstream)d; keepalive 16; }
    server {
        listen 127.0.0.1:%(port)d;
        location /direct-videos/ { alias %(private)s/; }       # nginx alone: the yardstick
        location /protected-videos/ { internal; alias %(private)s/; }  # as deploy/nginx.conf
        location / {
            proxy_pass http://lectern;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host 127.0.0.1;
        }
    }
}
"""


class Nginx:
    def __init__(self, workdir: Path, *, upstream: int, private: Path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.conf = workdir / "nginx.conf"
        self.conf.write_text(
            NGINX_CONF
            % {
                "user": "user root;" if os.geteuid() == 0 else "",  # the files are 0640
                "workdir": workdir,
                "upstream": upstream,
                "port": self.port,
                "private": private,
            }
        )

    def start(self) -> None:
        subprocess.run(["nginx", "-c", str(self.conf)], check=True)

    def stop(self) -> None:
        subprocess.run(["nginx", "-c", str(self.conf), "-s", "quit"], check=False)


def scenario(
    results: dict, name: str, base: str, path: str, script: str | None = None, *, cpu=None
):
    """Warm up, then measure one row. ``cpu``: a callable giving the server processes'
    CPU seconds so far (``ServerCpu``), to record the CPU each request cost them."""
    run_wrk(base, path, script)  # warm-up pass, not recorded
    before = cpu() if cpu else 0.0
    r = results[name] = run_wrk(base, path, script)
    if cpu:
        r["cpu_ms"] = (cpu() - before) * 1000 / max(r["requests"], 1)
    print(
        f"{name:52} {r['rps']:9.1f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms  "
        f"{r['bytes_per_s'] / 1024**2:8.1f} MiB/s  errors {r['errors']}"
        + (f"  CPU {r['cpu_ms']:.2f} ms/request" if cpu else ""),
        flush=True,
    )


class ServerCpu:
    """CPU seconds (user + system) used so far by the served site's processes: gunicorn
    and its workers, and the harness's own PostgreSQL (with its backends) and Redis.

    On a machine shared with other work, requests/s move with the neighbours' load, but
    the CPU a request costs the server hardly does: compare rows by it when iterating."""

    def __init__(self, site: Site, services: list):
        self.roots = [site.server.pid]
        for service in services:
            pid_file = getattr(service, "data", None)
            if pid_file is not None and (pid_file / "postmaster.pid").exists():
                self.roots.append(int((pid_file / "postmaster.pid").read_text().split()[0]))
            elif getattr(service, "process", None) is not None:
                self.roots.append(service.process.pid)

    def __call__(self) -> float:
        children: dict[int, list[int]] = {}
        ticks: dict[int, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:  # gone meanwhile
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
            # utime, stime, and those of its children that ended (cutime, cstime).
            ticks[int(entry.name)] = sum(int(value) for value in fields[11:15])
        total, stack = 0, list(self.roots)
        while stack:
            pid = stack.pop()
            total += ticks.get(pid, 0)
            stack.extend(children.get(pid, []))
        return total / os.sysconf("SC_CLK_TCK")


def main(*, only_hls: bool = False, pages: list[str] | None = None) -> None:
    """The full run; ``only_hls``: the HLS rows; ``pages``: the quick page/API run (a list
    of words choosing rows, empty for all of them)."""
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    if "REDIS_URL" not in os.environ and not shutil.which("redis-server"):
        # DEBUG=0 refuses the local-memory cache (lms/checks.py): it is one per worker.
        sys.exit("redis-server is missing: apt-get install redis-server, or set REDIS_URL")
    workdir = temporary_folder("lectern-bench-")
    services, env = database_and_cache(workdir)
    for service in services:
        service.start()
    # API tokens are minted once, before the scenarios: they must outlast the whole run.
    env["JWT_ACCESS_TOKEN_SECONDS"] = "3600"  # noqa: S105 (a lifetime, not a secret)
    site = Site(workdir, port=free_port(), workers=WORKERS, env=env)
    print(f"Preparing the database ({site.database}) in {workdir} …", flush=True)
    site.prepare()
    if not only_hls:
        site.manage("generate_scale_data", "--courses", str(COURSES), "--students", str(STUDENTS))
    if pages is not None:
        pages_only(site, services, workdir, words=pages)
        return
    print(f"Transcoding a {HLS_SECONDS} s 720p clip …", flush=True)
    prep = site.bench_prepare(
        "--students",
        "50",
        "--video-mb",
        *([] if only_hls else map(str, VIDEO_MB)),
        "--hls-seconds",
        str(HLS_SECONDS),
    )
    hls = prep["hls"]
    print(
        f"Transcoding: {hls['transcode_seconds']} s for {hls['source_seconds']} s of 720p "
        f"({hls['seconds_per_source_minute']} s per source minute; rungs {hls['rungs']})",
        flush=True,
    )
    sizes = [f"{v['bytes'] / 1024**2:.0f} MB" for v in prep["videos"]]
    segment = f"HLS segment, {hls['segment_bytes'] / 1024**2:.1f} MB"
    results: dict[str, dict] = {}
    nginx = None
    try:
        site.start()
        base = site.base
        scenario(results, BARE, base, "/bench/ok/")
        hls_scenarios_django(results, base, prep, segment)
        if not only_hls:
            page_and_streaming_scenarios(results, base, prep, sizes)
        if shutil.which("nginx"):
            # The production hand-off: restart gunicorn with VIDEO_DELIVERY=nginx behind it.
            site.stop()
            site.env.update(VIDEO_DELIVERY="nginx", VIDEO_ACCEL_PREFIX="/protected-videos/")
            site.start()
            nginx = Nginx(workdir, upstream=site.port, private=workdir / "private")
            nginx.start()
            scenario(
                results,
                f"{segment}: nginx direct",
                nginx.base,
                f"/direct-videos/{hls['segment_name']}",
            )
            scenario(
                results,
                f"{segment}: nginx + X-Accel hand-off",
                nginx.base,
                "/",
                lua_for("video", prep, video="segment"),
            )
            for index, size in enumerate(sizes):
                scenario(
                    results,
                    f"Video streaming, {size} file: nginx direct",
                    nginx.base,
                    f"/direct-videos/{prep['videos'][index]['name']}",
                )
                scenario(
                    results,
                    f"Video streaming, {size} file: nginx + X-Accel hand-off",
                    nginx.base,
                    "/",
                    lua_for("video", prep, video=index),
                )
        else:
            print("nginx is not installed: the hand-off comparison is left out")
    finally:
        if nginx:
            nginx.stop()
        site.stop()
        for service in services:
            service.stop_quietly()
        shutil.rmtree(workdir, ignore_errors=True)
    description = {
        "machine": machine(),
        "server": f"gunicorn, {WORKERS} sync workers, DEBUG=0, WhiteNoise; database "
        f"{site.database}; cache {site.cache}"
        + (" (throwaway servers of the harness)" if services else ""),
        "data": f"the demo + {COURSES} generated courses and {STUDENTS} students "
        "(generate_scale_data); 50 logged-in benchmark students",
        "load": f"wrk, 2 threads, {CONNECTIONS} connections, {SECONDS} s per scenario after "
        "a warm-up pass, from the same machine (127.0.0.1)",
        "date": datetime.now(UTC).strftime(DATE),
    }
    hls["presign"] = presign_cost(hls["segments_per_rung"])
    if only_hls:  # the other rows stay as the last full run measured them
        raw = json.loads(RAW.read_text())
        kept = {k: v for k, v in raw["results"].items() if not k.startswith("HLS ")}
        if BARE in kept:
            results[BARE + " (HLS run)"] = results.pop(BARE)
        results = {**kept, **results}
        description = {k: raw[k] for k in ("machine", "server", "data", "load")}
        description["date"] = raw.get("date") or previous_date()
        description["hls_run"] = (
            f"HLS rows: `scripts/bench.py --hls` on {datetime.now(UTC).strftime(DATE)} "
            "(demo data only, same server setup)"
        )
    RAW.write_text(json.dumps({**description, "hls": hls, "results": results}, indent=1))
    write_report(results, hls=hls, **description)
    write_chart(results)


def page_rows(prep: dict) -> list[tuple[str, str, str | None]]:
    """The page and API scenarios: (row name, path, wrk script or None for anonymous)."""
    staff = [{"session": prep["staff_session"]}]
    return [
        ("Home (anonymous)", "/", None),
        ("Catalog search + filter (anonymous)", "/courses/?q=python&price=free&sort=rating", None),
        ("Course page (anonymous)", prep["course"], None),
        ("Player page (logged in)", prep["player"], lua_for(prep["player"], prep)),
        ("My learning (logged in)", prep["my_learning"], lua_for(prep["my_learning"], prep)),
        ("Progress update (50 students, POST)", prep["progress"], lua_for("progress", prep)),
        (
            "API: course list, search + filter (anonymous)",
            "/api/v1/courses?q=python&price=free&sort=rating",
            None,
        ),
        ("API: lesson (JWT)", prep["api_lesson"], lua_for("api:" + prep["api_lesson"], prep)),
        (
            "API: progress report (50 students, JWT)",
            prep["api_progress"],
            lua_for("api-progress", prep),
        ),
        ("Dashboard, 30 days (staff)", prep["dashboard"], lua_for(prep["dashboard"], prep, staff)),
    ]


def pages_only(site: Site, services: list, workdir: Path, *, words: list[str]) -> None:
    """``--pages``: the bare view and the page/API rows (those naming one of ``words``),
    printed as a table; latest.* are left as the last full run wrote them."""
    prep = site.bench_prepare("--students", "50")
    results: dict[str, dict] = {}
    try:
        site.start()
        cpu = ServerCpu(site, services)
        scenario(results, BARE, site.base, "/bench/ok/", cpu=cpu)
        for name, path, script in page_rows(prep):
            if not words or any(word.lower() in name.lower() for word in words):
                scenario(results, name, site.base, path, script, cpu=cpu)
    finally:
        site.stop()
        for service in services:
            service.stop_quietly()
        shutil.rmtree(workdir, ignore_errors=True)
    bare, bare_cpu = results[BARE]["rps"] or 1, results[BARE]["cpu_ms"]
    counted = "gunicorn" + (", PostgreSQL and Redis" if services else "")
    print(f"\n{machine()}; {WORKERS} workers; {site.database} + {site.cache}; {SECONDS} s each")
    print(f"CPU: of {counted}, per request; its ratio is the bare view's CPU ÷ the row's.")
    print("| scenario | requests/s | p50 ms | p99 ms | non-2xx | ratio | CPU ms | CPU ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in results.items():
        print(
            f"| {name} | {r['rps']:.1f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} | "
            f"{r['rps'] / bare:.0%} of bare | {r['cpu_ms']:.2f} | "
            f"{bare_cpu / (r['cpu_ms'] or 1):.0%} |"
        )


def page_and_streaming_scenarios(results: dict, base: str, prep: dict, sizes: list[str]) -> None:
    """Pages, API and video streaming through Django (left out by --hls)."""
    for name, path, script in page_rows(prep):
        scenario(results, name, base, path, script)
    for index, size in enumerate(sizes):
        scenario(
            results,
            f"Video streaming, {size} file: Django alone",
            base,
            "/",
            lua_for("video", prep, video=index),
        )


def previous_date() -> str:
    """The date latest.md gives for the last full run."""
    match = re.search(r"^- Date: (.+)$", OUT.read_text(), re.MULTILINE) if OUT.exists() else None
    return match.group(1) if match else ""


def hls_scenarios_django(results: dict, base: str, prep: dict, segment: str) -> None:
    """The HLS requests Django answers itself (VIDEO_DELIVERY=direct): a segment, and per
    playback the media playlist (signed for the viewer) and the key (entitlement)."""
    scenario(
        results, f"{segment}: Django alone", base, "/", lua_for("video", prep, video="segment")
    )
    scenario(
        results,
        f"HLS media playlist ({prep['hls']['segments_per_rung']} segments, signed per viewer)",
        base,
        "/",
        lua_for("video", prep, video="playlist"),
    )
    scenario(
        results, "HLS key (entitlement checked)", base, "/", lua_for("video", prep, video="key")
    )


def presign_cost(segments: int, rounds: int = 2000) -> dict:
    """VIDEO_DELIVERY=s3 writes a presigned S3 URL per segment into each media playlist
    (django-storages' url() is boto3's generate_presigned_url: local computation, no
    request). Its cost per URL, and for this clip's and an hour's playlist."""
    import time

    import boto3

    client = boto3.client(
        "s3",
        region_name="eu-west-1",
        aws_access_key_id="AKIAIOSFODNN7EXAMPLE",
        aws_secret_access_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # noqa: S106 (AWS's doc example)
    )

    def sign(n: int) -> str:
        return client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": "lectern-private",
                "Key": f"hls/1/0123456789abcdef/720p_{n:05d}.ts",
                "ResponseContentType": "video/mp2t",
            },
            ExpiresIn=3600,
        )

    for n in range(100):  # warm-up
        sign(n)
    started = time.perf_counter()
    for n in range(rounds):
        sign(n)
    per_url = (time.perf_counter() - started) / rounds
    return {
        "microseconds_per_url": round(per_url * 1e6, 1),
        "clip_playlist_ms": round(per_url * segments * 1000, 2),
        "hour_playlist_ms": round(per_url * 900 * 1000, 1),  # 3,600 s ÷ 4 s segments
    }


def redraw() -> None:
    """Rewrite the table and the chart from the last run's raw figures (latest.json)."""
    raw = json.loads(RAW.read_text())
    write_report(**raw)
    write_chart(raw["results"])


def write_report(
    results: dict,
    *,
    machine: str,
    server: str,
    data: str,
    load: str,
    hls: dict | None = None,
    hls_run: str = "",
    date: str = "",
) -> None:
    bare = results[BARE]["rps"] or 1
    # Rows of a separate `--hls` run compare with that run's own yardstick.
    hls_bare = results.get(BARE + " (HLS run)", results[BARE])["rps"] or 1
    lines = [
        "# Lectern benchmark — latest run",
        "",
        f"- Date: {date or datetime.fromtimestamp(RAW.stat().st_mtime, UTC).strftime(DATE)}",
        f"- Machine: {machine}",
        f"- Server: {server}",
        f"- Data: {data}",
        f"- Load: {load}",
        *([f"- {hls_run}"] if hls_run else []),
        "",
        "| scenario | requests/s | p50 ms | p99 ms | MiB/s | non-2xx | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        direct = direct_for(results, name)
        if direct:
            ratio = f"{r['bytes_per_s'] / (direct['bytes_per_s'] or 1):.0%} of nginx direct"
        elif name.startswith("HLS ") or name.endswith("(HLS run)"):
            ratio = f"{r['rps'] / hls_bare:.0%} of bare"
        else:
            ratio = f"{r['rps'] / bare:.0%} of bare"
        lines.append(
            f"| {name} | {r['rps']:.1f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['bytes_per_s'] / 1024**2:.1f} | {r['errors']} | {ratio} |"
        )
    if hls:
        presign = hls.get("presign", {})
        lines += [
            "",
            f"Transcoding (the real job, PyAV/x264 preset {hls.get('preset', 'veryfast')}, rungs "
            f"{', '.join(hls['rungs'])}): "
            f"{hls['transcode_seconds']} s for {hls['source_seconds']} s of generated 720p "
            f"source, **{hls['seconds_per_source_minute']} s per source minute**. Segments of the "
            f"top rung: {hls['segment_bytes'] / 1024**2:.2f} MB each.",
        ]
        if presign:
            lines += [
                "",
                f"S3 delivery (VIDEO_DELIVERY=s3) presigns each segment URL into the media "
                f"playlist: {presign['microseconds_per_url']} µs per URL, "
                f"{presign['hour_playlist_ms']} ms for an hour's playlist (900 segments); the "
                "segments themselves never pass through Lectern.",
            ]
    lines += [
        "",
        "Ratios: pages to the bare view's requests/s; streaming to nginx serving the same "
        "file directly, in bytes/s.",
        "",
        f"![Requests per second as a share of the bare view]({CHART.name})",
        "",
        "Made by `make bench` (scripts/bench.py).",
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"Written to {OUT.relative_to(ROOT)}")


def direct_for(results: dict, name: str) -> dict | None:
    """For a streaming row, the row of nginx serving the same file directly."""
    if not name.startswith(("Video streaming", "HLS segment")):
        return None
    return results.get(name.split(": ")[0] + ": nginx direct")


def write_chart(results: dict) -> None:
    """A horizontal bar chart of the ratios, with the targets marked."""
    try:
        import matplotlib
    except ImportError:
        print("matplotlib is missing (pip install -r requirements-bench.txt): chart not drawn")
        return

    matplotlib.use("Agg")
    from matplotlib import pyplot

    bare = results[BARE]["rps"] or 1
    hls_bare = results.get(BARE + " (HLS run)", results[BARE])["rps"] or 1
    # The player ≥ 20 % and the progress report (web and API) ≥ 25 % of the bare view; the
    # hand-off of a lesson-length (128 MB) file ≥ 90 % of nginx alone.
    targets = {
        "anonymous": 50,
        "Player": 20,
        "Progress": 25,
        "progress report": 25,
        "128 MB file: nginx + X-Accel": 90,
    }
    names, values, goals = [], [], []
    for name, r in results.items():
        if name == BARE or name.endswith("nginx direct"):
            continue
        direct = direct_for(results, name)
        yardstick = hls_bare if name.startswith("HLS ") or name.endswith("(HLS run)") else bare
        value = r["bytes_per_s"] / (direct["bytes_per_s"] or 1) if direct else r["rps"] / yardstick
        names.append(name + (" (vs nginx direct)" if direct else ""))
        values.append(value * 100)
        goals.append(
            None
            if name.startswith("HLS")
            else next((t for key, t in targets.items() if key in name), None)
        )
    figure, axes = pyplot.subplots(figsize=(12, 0.55 * len(names) + 1.4), dpi=110)
    bars = axes.barh(names[::-1], values[::-1], color="#3b5bdb")
    for bar, goal in zip(bars, goals[::-1], strict=True):
        if goal is not None:
            y = bar.get_y()
            axes.plot([goal, goal], [y, y + bar.get_height()], color="#c92a2a", lw=2)
    axes.bar_label(bars, fmt="%.0f %%", padding=3)
    axes.set_xlabel("% of the bare view's requests/s; streaming: % of nginx direct's bytes/s")
    axes.set_title("Lectern — make bench (red ticks: targets)")
    axes.set_xlim(0, max([*values, 100]) * 1.15)
    figure.tight_layout()
    figure.savefig(CHART)
    print(f"Chart: {CHART.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] == ["--redraw"]:
        redraw()
    elif sys.argv[1:2] == ["--pages"]:
        main(pages=sys.argv[2:])
    else:
        main(only_hls=sys.argv[1:] == ["--hls"])
