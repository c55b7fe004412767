"""The processes a run needs: the fake Twilio, and gunicorn serving an app; their memory."""
import http.client
import socket
import subprocess
import sys
import time
from pathlib import Path

from database import ROOT
from settings import ACCOUNT_SID, AUTH_TOKEN

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests"))

from fake_twilio import FakeTwilio  # noqa: E402


def start_fake_twilio() -> FakeTwilio:
    """The tests' fake api.twilio.com on 127.0.0.1, timing its own work on each request."""
    fake = FakeTwilio(ACCOUNT_SID, AUTH_TOKEN)
    fake.seconds = []  # the stand-in's share of each send, reported apart from the app's
    handle = fake.handle

    def timed(handler):
        began = time.perf_counter()
        handle(handler)
        fake.seconds.append(time.perf_counter() - began)
    fake.handle = timed
    return fake


def free_port() -> int:
    """A port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Gunicorn:
    """gunicorn with 2 sync workers (or ``workers``) serving ``module:app`` on 127.0.0.1."""

    def __init__(self, module: str, env: dict, log_path: Path, workers: int = 2):
        self.port, self.log_path = free_port(), log_path
        self.base = f"http://127.0.0.1:{self.port}"
        with open(log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "--workers", str(workers),
                 "--worker-class", "sync", "--bind", f"127.0.0.1:{self.port}", "--timeout", "60",
                 "--graceful-timeout", "5", "--no-control-socket",
                 "--pythonpath", f"{ROOT},{BENCH},{ROOT / 'tests'}", f"{module}:app"],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def wait_until_up(self, path: str, seconds: float = 60) -> None:
        """Poll ``path`` until a worker answers; fail if gunicorn exits or takes too long."""
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.get(path)
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit(f"gunicorn did not start:\n{self.log_path.read_text()}")
                time.sleep(0.2)

    def get(self, path: str) -> bytes:
        """One GET of ``path`` on a new connection; the body."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path)
            return conn.getresponse().read()
        finally:
            conn.close()

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker process, in MB (from /proc)."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        sizes = []
        for child in children:
            for line in Path(f"/proc/{child}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sorted(sizes)

    def crashed(self) -> bool:
        """Whether a worker logged a traceback (a crash or a 500)."""
        return "Traceback" in self.log_path.read_text()

    def stop(self) -> None:
        """Stop the master and its workers."""
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
