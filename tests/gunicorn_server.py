"""Serve ``tests/served_app.py`` with gunicorn on 127.0.0.1 for the multi-process tests."""
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
SECRET_KEY = "served-secret-key-0123456789abcdef0123"


def free_port() -> int:
    """A port on 127.0.0.1 nobody is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def served_env(database_url: str, twilio_port: int, **extra: str) -> dict:
    """The environment ``served_app`` reads: database, fake Twilio, and any SERVED_CONFIG."""
    return {**{k: v for k, v in os.environ.items() if k != "TRUSTED_PROXIES"},
            "SERVED_DATABASE_URL": database_url, "SERVED_SECRET_KEY": SECRET_KEY,
            "SERVED_TWILIO_URL": f"http://127.0.0.1:{twilio_port}", **extra}


@contextmanager
def gunicorn(env: dict, log_path: Path, workers: int = 2, threads: int = 4):
    """An instance: one gunicorn master and its workers; yields its URL, then checks its log."""
    port = free_port()
    with open(log_path, "w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads",
             str(threads), "--bind", f"127.0.0.1:{port}", "--timeout", "30",
             "--graceful-timeout", "5", "--no-control-socket",
             "--pythonpath", f"{ROOT},{ROOT / 'tests'}", "served_app:app"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(url, server, log_path)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)
    assert "Traceback" not in log_path.read_text()  # no worker crashed or answered 500


def wait_until_up(url: str, server: subprocess.Popen, log_path: Path) -> None:
    """Poll until gunicorn answers, failing after 30 s or if it exits."""
    deadline = time.monotonic() + 30
    while True:
        try:  # the master accepts at once; the answer waits for a worker to finish booting
            requests.get(url + "/healthz", timeout=5)
            return
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline or server.poll() is not None:
                pytest.fail("gunicorn did not start:\n" + log_path.read_text())
            time.sleep(0.1)
