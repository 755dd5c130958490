"""Lectern's benchmark: serve with gunicorn as production would, load it with wrk.

    make bench                       # SQLite file in a temp folder, local-memory cache
    make bench DATABASE_URL=postgres://postgres@127.0.0.1:5432/lectern_bench REDIS_URL=redis://127.0.0.1:6379/2

Measures, in one run and on one server setup (DEBUG=0, WhiteNoise, gunicorn):
a bare Django view (the yardstick), the progress update (50 logged-in students) and
video streaming through the protected view. Writes docs/benchmarks/latest.md.
Bounded: each scenario runs BENCH_SECONDS (default 10) seconds on 127.0.0.1 only.
"""

import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
PORT = int(os.environ.get("BENCH_PORT", "8765"))
BASE = f"http://127.0.0.1:{PORT}"
SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "16"))
WORKERS = int(os.environ.get("BENCH_WORKERS", str((os.cpu_count() or 1) * 2 + 1)))
OUT = ROOT / "docs" / "benchmarks" / "latest.md"

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


def lua_for(kind: str, prep: dict) -> str:
    rows = "\n".join(
        f'students[{i + 1}] = {{session="{s["session"]}", video="{s["video"]}"}}'
        for i, s in enumerate(prep["students"])
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
    elif kind == "video":
        extra = 'return wrk.format("GET", s.video, headers)'
    else:  # a page as a logged-in student
        extra = f'return wrk.format("GET", "{kind}", headers)'
    return LUA_ROTATE % {"students": rows, "csrf": prep["csrf"], "extra": extra}


def run_wrk(path: str, script: str | None = None) -> dict:
    command = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "10s"]
    if script:
        lua = Path(tempfile.mkstemp(suffix=".lua")[1])
        lua.write_text(script)
        command += ["-s", str(lua)]
    output = subprocess.run(
        [*command, BASE + path], capture_output=True, text=True, check=True
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


def main() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")
    workdir = Path(tempfile.mkdtemp(prefix="lectern-bench-"))
    env = {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "x" * 60,
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "BENCHMARK_ENDPOINTS": "1",
        "PRIVATE_MEDIA_ROOT": str(workdir / "private"),
        "MEDIA_ROOT": str(workdir / "media"),
        "LOG_LEVEL": "WARNING",
    }
    env.setdefault("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    database = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    cache = "Redis" if env.get("REDIS_URL") else "local memory"

    def manage(*args) -> str:
        return subprocess.run(
            [PY, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout

    print(f"Preparing the database ({database}) in {workdir} …")
    manage("migrate", "--noinput", "-v0")
    manage("flush", "--noinput", "-v0")  # a fresh start: demo files live in a temp folder
    manage("collectstatic", "--noinput", "-v0")
    prep = json.loads(manage("bench_prepare", "--students", "50").strip().splitlines()[-1])

    server = subprocess.Popen(
        [
            str(Path(PY).parent / "gunicorn"),
            "lms.wsgi",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--workers",
            str(WORKERS),
            "--no-control-socket",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        for _ in range(50):
            try:
                urllib.request.urlopen(BASE + "/bench/ok/", timeout=1)  # noqa: S310 (loopback)
                break
            except OSError:
                time.sleep(0.2)
        results = {}
        scenarios = [
            ("Bare Django view (yardstick)", "/bench/ok/", None),
            ("Home (anonymous)", "/", None),
            (
                "Catalog search + filter (anonymous)",
                "/courses/?q=python&price=free&sort=rating",
                None,
            ),
            ("Course page (anonymous)", prep["course"], None),
            ("Progress update (50 students, POST)", prep["progress"], lua_for("progress", prep)),
            ("Player page (logged in)", prep["player"], lua_for(prep["player"], prep)),
            (
                f"Video streaming ({prep['video_bytes'] // 1024} KB file, direct)",
                "/",
                lua_for("video", prep),
            ),
        ]
        for name, path, script in scenarios:
            run_wrk(path, script)  # warm-up pass, not recorded
            results[name] = run_wrk(path, script)
            r = results[name]
            print(
                f"{name:42} {r['rps']:9.1f} req/s  p50 {r['p50']:7.2f} ms  "
                f"p99 {r['p99']:7.2f} ms  {r['bytes_per_s'] / 1024**2:8.1f} MiB/s  "
                f"errors {r['errors']}"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)
    write_report(results, database=database, cache=cache)


def write_report(results: dict, *, database: str, cache: str) -> None:
    bare = results["Bare Django view (yardstick)"]["rps"] or 1
    lines = [
        "# Lectern benchmark — latest run",
        "",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {machine()}",
        f"- Server: gunicorn, {WORKERS} sync workers, DEBUG=0, WhiteNoise; "
        f"database {database}; cache {cache}",
        f"- Load: wrk, 2 threads, {CONNECTIONS} connections, {SECONDS} s per scenario after "
        "a warm-up pass, from the same machine (127.0.0.1)",
        "",
        "| scenario | requests/s | p50 ms | p99 ms | MiB/s | non-2xx | ratio to bare view |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r in results.items():
        lines.append(
            f"| {name} | {r['rps']:.1f} | {r['p50']:.2f} | {r['p99']:.2f} | "
            f"{r['bytes_per_s'] / 1024**2:.1f} | {r['errors']} | {r['rps'] / bare:.0%} |"
        )
    lines += ["", "Made by `make bench` (scripts/bench.py)."]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n")
    print(f"Written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
