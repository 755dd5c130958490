"""scripts/bench.py's own logic: the wrk scripts it writes for the logged-in and API rows,
the rows it measures, and the server CPU it reads from /proc."""

import os
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import bench  # a script, importable from its folder

PREP = {
    "csrf": "c" * 32,
    "duration": 10,
    "progress": "/progress/7/",
    "api_progress": "/api/v1/lessons/7/progress",
    "api_lesson": "/api/v1/courses/intro/lessons/7",
    "my_learning": "/learn/",
    "player": "/learn/intro/lessons/7/",
    "course": "/courses/intro/",
    "dashboard": "/admin/dashboard/",
    "staff_session": "staff-session",
    "students": [{"session": "s1", "access": "token-1"}, {"session": "s2", "access": "token-2"}],
}


def test_an_api_row_sends_the_token_and_no_cookie():
    script = bench.lua_for("api:" + PREP["api_lesson"], PREP)
    assert 'headers["Cookie"] = nil' in script
    assert 'headers["Authorization"] = "Bearer " .. s.access' in script
    assert 'wrk.format("GET", "/api/v1/courses/intro/lessons/7", headers)' in script
    assert 'access="token-2"' in script


def test_a_page_row_sends_the_session_cookie():
    script = bench.lua_for(PREP["my_learning"], PREP)
    assert '"sessionid=" .. s.session' in script
    assert 'wrk.format("GET", "/learn/", headers)' in script


def test_the_rows_include_my_learning_and_the_apis_lesson_and_progress():
    rows = {name: path for name, path, _ in bench.page_rows(PREP)}
    assert rows["My learning (logged in)"] == "/learn/"
    assert rows["API: lesson (JWT)"] == PREP["api_lesson"]
    assert rows["API: progress report (50 students, JWT)"] == PREP["api_progress"]
    assert rows["Progress update (50 students, POST)"] == PREP["progress"]


def test_wrk_output_gives_the_request_count():
    output = (
        "  2 threads and 16 connections\n  1234 requests in 8.00s, 1.00MB read\n"
        "Requests/sec:    154.25\nTransfer/sec:    128.00KB\n"
    )
    parsed = bench.parse_wrk(output)
    assert parsed["requests"] == 1234 and parsed["rps"] == 154.25


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_server_cpu_counts_a_process_and_its_children():
    site = SimpleNamespace(server=SimpleNamespace(pid=os.getpid()))
    cpu = bench.ServerCpu(site, services=[])
    before = cpu()
    deadline = time.process_time() + 0.2
    while time.process_time() < deadline:  # burn 0.2 s of CPU in this process
        pass
    assert cpu() - before >= 0.15
