"""Load rounds: wrk (from Debian) with load.lua, or a small Python generator when wrk is missing."""
import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

LUA = Path(__file__).resolve().parent / "load.lua"
CONNECTIONS = 4


def load_round(base: str, method: str, path: str, sessions: list, expect: str,
               seconds: int, most: int) -> dict:
    """Load ``path`` for ``seconds`` (at most ``most`` answers), cycling over ``sessions``.

    ``sessions`` holds (browser, form or None); returns req/s, p50/p99 in ms, and how many
    answers were the expected page.
    """
    lines = [(browser.cookie_header(), browser.ip, urlencode(form) if form else "")
             for browser, form in sessions]
    run = _wrk if shutil.which("wrk") else _python
    result = run(base, method, path, lines, expect, seconds, most)
    result["rps"] = result["answered"] / result["seconds"]
    return result


def generator() -> str:
    """Which load generator rounds use, for the report."""
    if not shutil.which("wrk"):
        return f"Python threads ({CONNECTIONS} connections)"
    version = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout
    return f"wrk {version.split()[1]} (1 thread, {CONNECTIONS} connections)"


def _wrk(base, method, path, lines, expect, seconds, most) -> dict:
    """One round with wrk; its summary comes from load.lua's done()."""
    with tempfile.NamedTemporaryFile("w", suffix=".tsv") as data:
        data.write("".join("\t".join(line) + "\n" for line in lines))
        data.flush()
        out = subprocess.run(
            ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA),
             base + path, "--", method, path, data.name, expect, str(most)],
            capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    return json.loads(out.split("BENCH ", 1)[1].splitlines()[0])


def _python(base, method, path, lines, expect, seconds, most) -> dict:
    """One round with CONNECTIONS threads, each sending a request as soon as it has an answer."""
    parts, deadline = urlsplit(base), time.monotonic() + seconds
    latencies, matched, errors, lock = [], [0], [0], threading.Lock()
    began = time.monotonic()

    def client(n: int) -> None:
        i = n
        while time.monotonic() < deadline and len(latencies) < most:
            cookie, ip, body = lines[i % len(lines)]
            i += CONNECTIONS
            headers = {"Cookie": cookie, "X-Forwarded-For": ip, "X-Forwarded-Proto": "https",
                       "Referer": f"https://{parts.netloc}/"}
            if body:
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            sent, conn = time.perf_counter(), http.client.HTTPConnection(
                parts.hostname, parts.port, timeout=10)
            try:
                conn.request(method, path, body or None, headers)
                response = conn.getresponse()
                page = response.read().decode()
            except OSError:
                with lock:
                    errors[0] += 1
                continue
            finally:
                conn.close()  # gunicorn's sync workers close every connection anyway
            with lock:
                latencies.append(time.perf_counter() - sent)
                matched[0] += response.status == 200 and expect in page

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
    return {"answered": len(latencies), "matched": matched[0], "errors": errors[0],
            "seconds": time.monotonic() - began, "p50_ms": cuts[49] * 1000,
            "p99_ms": cuts[98] * 1000}
