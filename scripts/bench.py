"""Lectern's benchmark: serve with gunicorn as production would, load it with wrk.

    make bench        # throwaway Redis, and PostgreSQL when installed (else SQLite)
    make bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/lectern_bench \
               REDIS_URL=redis://127.0.0.1:6379/2      # servers of your own (emptied)

Measures, in one run and on one server setup (DEBUG=0, WhiteNoise, gunicorn): a bare
Django view (the yardstick), the anonymous home, catalog and course pages, the player and
the progress update (50 logged-in students), the staff dashboard, and video streaming:
through Django alone, and, where nginx is installed, through the production hand-off
(nginx in front, Django checks the signed URL and answers X-Accel-Redirect) against nginx
serving the same file directly, for files of BENCH_VIDEO_MB megabytes (default 8,128: a
short clip and a lesson-length video; the hand-off costs a fixed Django request per file).
Data: the demo plus ``generate_scale_data`` at BENCH_COURSES courses (default 500) with
BENCH_STUDENTS students (default 2,000). Writes docs/benchmarks/latest.md and latest.png.
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
OUT = ROOT / "docs" / "benchmarks" / "latest.md"
CHART = OUT.with_suffix(".png")
RAW = OUT.with_suffix(".json")
BARE = "Bare Django view (yardstick)"

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


def lua_for(kind: str, prep: dict, sessions: list[dict] | None = None, video: int = 0) -> str:
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
    elif kind == "video":
        extra = 'return wrk.format("GET", s.video, headers)'
    else:  # a page as a logged-in person
        extra = f'return wrk.format("GET", "{kind}", headers)'
    return LUA_ROTATE % {"students": rows, "csrf": prep["csrf"], "extra": extra}


def video_of(student: dict, index: int) -> str:
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
    types { video/mp4 mp4; video/webm webm; }
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


def scenario(results: dict, name: str, base: str, path: str, script: str | None = None):
    run_wrk(base, path, script)  # warm-up pass, not recorded
    r = results[name] = run_wrk(base, path, script)
    print(
        f"{name:52} {r['rps']:9.1f} req/s  p50 {r['p50']:7.2f} ms  p99 {r['p99']:7.2f} ms  "
        f"{r['bytes_per_s'] / 1024**2:8.1f} MiB/s  errors {r['errors']}",
        flush=True,
    )


def main() -> None:
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
    site.manage("generate_scale_data", "--courses", str(COURSES), "--students", str(STUDENTS))
    prep = site.bench_prepare("--students", "50", "--video-mb", *map(str, VIDEO_MB))
    sizes = [f"{v['bytes'] / 1024**2:.0f} MB" for v in prep["videos"]]
    results: dict[str, dict] = {}
    nginx = None
    try:
        site.start()
        base = site.base
        staff = [{"session": prep["staff_session"]}]
        scenario(results, BARE, base, "/bench/ok/")
        scenario(results, "Home (anonymous)", base, "/")
        scenario(
            results,
            "Catalog search + filter (anonymous)",
            base,
            "/courses/?q=python&price=free&sort=rating",
        )
        scenario(results, "Course page (anonymous)", base, prep["course"])
        scenario(
            results, "Player page (logged in)", base, prep["player"], lua_for(prep["player"], prep)
        )
        scenario(
            results,
            "Progress update (50 students, POST)",
            base,
            prep["progress"],
            lua_for("progress", prep),
        )
        scenario(
            results,
            "API: course list, search + filter (anonymous)",
            base,
            "/api/v1/courses?q=python&price=free&sort=rating",
        )
        scenario(
            results,
            "API: progress report (50 students, JWT)",
            base,
            prep["api_progress"],
            lua_for("api-progress", prep),
        )
        scenario(
            results,
            "Dashboard, 30 days (staff)",
            base,
            prep["dashboard"],
            lua_for(prep["dashboard"], prep, staff),
        )
        for index, size in enumerate(sizes):
            scenario(
                results,
                f"Video streaming, {size} file: Django alone",
                base,
                "/",
                lua_for("video", prep, video=index),
            )
        if shutil.which("nginx"):
            # The production hand-off: restart gunicorn with VIDEO_DELIVERY=nginx behind it.
            site.stop()
            site.env.update(VIDEO_DELIVERY="nginx", VIDEO_ACCEL_PREFIX="/protected-videos/")
            site.start()
            nginx = Nginx(workdir, upstream=site.port, private=workdir / "private")
            nginx.start()
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
    }
    RAW.write_text(json.dumps({**description, "results": results}, indent=1))
    write_report(results, **description)
    write_chart(results)


def redraw() -> None:
    """Rewrite the table and the chart from the last run's raw figures (latest.json)."""
    raw = json.loads(RAW.read_text())
    write_report(**raw)
    write_chart(raw["results"])


def write_report(results: dict, *, machine: str, server: str, data: str, load: str) -> None:
    bare = results[BARE]["rps"] or 1
    lines = [
        "# Lectern benchmark — latest run",
        "",
        f"- Date: {datetime.fromtimestamp(RAW.stat().st_mtime, UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine}",
        f"- Server: {server}",
        f"- Data: {data}",
        f"- Load: {load}",
        "",
        "| scenario | requests/s | p50 ms | p99 ms | MiB/s | non-2xx | ratio |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        direct = direct_for(results, name)
        if direct:
            ratio = f"{r['bytes_per_s'] / (direct['bytes_per_s'] or 1):.0%} of nginx direct"
        else:
            ratio = f"{r['rps'] / bare:.0%} of bare"
        lines.append(
            f"| {name} | {r['rps']:.1f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['bytes_per_s'] / 1024**2:.1f} | {r['errors']} | {ratio} |"
        )
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
    if not name.startswith("Video streaming"):
        return None
    return results.get(name.split(": ")[0] + ": nginx direct")


def write_chart(results: dict) -> None:
    """A horizontal bar chart of the ratios, with the targets marked."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    bare = results[BARE]["rps"] or 1
    targets = {"anonymous": 50, "Player": 25, "Progress": 40, "hand-off": 90}
    names, values, goals = [], [], []
    for name, r in results.items():
        if name == BARE or name.endswith("nginx direct"):
            continue
        direct = direct_for(results, name)
        value = r["bytes_per_s"] / (direct["bytes_per_s"] or 1) if direct else r["rps"] / bare
        names.append(name + (" (vs nginx direct)" if direct else ""))
        values.append(value * 100)
        goals.append(next((t for key, t in targets.items() if key in name), None))
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
    redraw() if sys.argv[1:] == ["--redraw"] else main()
