"""What a phase measures: interleaved load rounds, statement counts, whole sign-ins."""
import itertools
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import loadgen
from browser import WRONG_ANSWER, Browser, pending_wrong_code, sign_in
from fill import PASSWORD

from twofactor.extensions import db
from twofactor.models import User

SESSIONS = 64  # pending sign-ins the wrong-code load cycles over, one account each
MOST = 200_000  # answers in one round, at most
MOST_SIGN_INS = 2_000  # sign-ins in one round, at most


def address(n: int) -> str:
    """A distinct client address for the n-th simulated person."""
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def password_hash_ms(local, username: str) -> float:
    """Median time of one password check (the app's method, on a stored hash), in ms."""
    with local.app_context():
        user = db.session.scalar(db.select(User).where(User.username == username))
        times = []
        for _ in range(7):
            began = time.perf_counter()
            user.check_password(PASSWORD)
            times.append(time.perf_counter() - began)
        db.session.remove()
    return statistics.median(times) * 1000


def browsers(app_base: str, bare_base: str, fake, people: list) -> tuple[list, list]:
    """SESSIONS browsers at the app's code page with a wrong code, and as many at the bare route."""
    with ThreadPoolExecutor(2) as pool:  # one password hash per worker at a time
        wrong = list(pool.map(lambda n: pending_wrong_code(
            app_base, fake, people[n], address(n)), range(SESSIONS)))
    readers = [(Browser(bare_base, address(n)), None) for n in range(SESSIONS)]
    for reader, _ in readers:
        reader.request("GET", "/start")
    return wrong, readers


def interleave(app_base: str, bare_base: str, wrong: list, readers: list,
               rounds: int, seconds: int) -> tuple[list, list]:
    """Rounds of bare route, wrong-code POST, bare route, ... after a 1-second warm-up of each."""
    def bare_round(length):
        return loadgen.load_round(bare_base, "GET", "/", readers, "Hello, bench", length, MOST)

    def app_round(length):
        return loadgen.load_round(app_base, "POST", "/code", wrong, WRONG_ANSWER, length, MOST)
    bare_round(1)
    app_round(1)
    bares, apps = [], []
    for n in range(rounds):
        bares.append(bare_round(seconds))
        apps.append(app_round(seconds))
        print(f"round {n + 1}: bare route {bares[-1]['rps']:.0f} req/s, "
              f"wrong-code POST {apps[-1]['rps']:.1f} req/s", flush=True)
    if any(r["answered"] >= MOST for r in bares + apps):
        print(f"WARNING: a round stopped at {MOST:,} answers; its req/s is understated")
    return bares, apps


def wrong_code_statements(wrong: list) -> dict:
    """SQL statements of one more wrong-code POST, keyed like the sign-in steps."""
    browser, form = wrong[0]
    browser.request("POST", "/code", form)
    return {"POST /code wrong": {browser.statements["POST /code"]}}


def sign_in_rounds(base: str, fake, people: list, rounds: int, seconds: int,
                   counted: dict) -> dict:
    """Whole sign-ins at 1 client, then 2, ``rounds`` times: per client count, rate and times.

    Adds the statements each request ran to ``counted``.
    """
    queue, numbers = itertools.cycle(people), itertools.count(SESSIONS)
    runs = {1: [], 2: []}
    for _ in range(rounds):
        for clients, taken in runs.items():
            taken.append(_sign_ins(base, fake, queue, numbers, clients, seconds, counted))
    figures = {}
    for clients, taken in runs.items():
        samples = [sample for run in taken for sample in run["samples"]]
        elapsed = sum(run["seconds"] for run in taken)
        twilio_ms = sum(run["twilio_s"] for run in taken) / len(samples) * 1000  # one text each
        outside = statistics.median(s["server_ms"] - s["hash_ms"] for s in samples)
        figures[clients] = {"per_s": len(samples) / elapsed,
                            **{key: statistics.median(s[key] for s in samples)
                               for key in ("ms", "server_ms", "hash_ms")},
                            "outside_ms": outside, "app_ms": outside - twilio_ms}
        print(f"sign-ins at {clients} client(s): {figures[clients]['per_s']:.1f}/s", flush=True)
    return figures


def _sign_ins(base: str, fake, queue, numbers, clients: int, seconds: int, counted: dict) -> dict:
    """Whole sign-ins from ``clients`` threads for ``seconds``, as the next people in ``queue``."""
    samples, lock, twilio_before = [], threading.Lock(), len(fake.seconds)
    deadline = time.monotonic() + seconds

    def client():
        while time.monotonic() < deadline and len(samples) < MOST_SIGN_INS:
            with lock:
                person, n = next(queue), next(numbers)
            began = time.perf_counter()
            browser = sign_in(base, fake, person, address(n))
            with lock:
                samples.append({"ms": (time.perf_counter() - began) * 1000,
                                "server_ms": sum(browser.server_ms.values()),
                                "hash_ms": sum(browser.hash_ms.values())})
                for step, count in browser.statements.items():
                    counted.setdefault(step, set()).add(count)

    began = time.monotonic()
    with ThreadPoolExecutor(clients) as pool:
        for done in [pool.submit(client) for _ in range(clients)]:
            done.result()  # a failed sign-in stops the run with its error
    return {"samples": samples, "seconds": time.monotonic() - began,
            "twilio_s": sum(fake.seconds[twilio_before:])}
