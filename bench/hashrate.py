"""Password-hash rate of this machine with the project's own hasher settings.

Loads the IAM settings (``DJANGO_SETTINGS_MODULE=iam.settings``) and takes the
first of ``PASSWORD_HASHERS`` (what ``make_password`` uses, so what a login
verifies), hashes one password, then verifies it in a loop for ``--seconds``
in each of ``--processes`` processes started together. A login costs exactly
one such verify, so ``processes = cores`` gives the machine's upper bound for
logins/s. Prints one JSON object: hasher, parameters, per-process and total
rates.

Run by ``bench/drive.py`` as a subprocess.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-for-the-hash-rate"


def _hasher() -> Any:
    sys.path.insert(0, str(ROOT))
    os.environ["DJANGO_SETTINGS_MODULE"] = "iam.settings"
    import django

    django.setup()
    from django.contrib.auth.hashers import get_hasher

    return get_hasher("default")


def _worker(encoded: str, seconds: float, barrier: Any, results: Any) -> None:
    parent = os.getppid()
    hasher = _hasher()
    barrier.wait()
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        if os.getppid() != parent:  # the measuring process was killed (the bench was stopped)
            return
        if not hasher.verify(PASSWORD, encoded):
            raise RuntimeError("the hasher did not verify its own hash")
        count += 1
    results.put(count / (time.perf_counter() - started))


def measure(processes: int, seconds: float) -> dict[str, Any]:
    hasher = _hasher()
    encoded = hasher.encode(PASSWORD, hasher.salt())
    context = multiprocessing.get_context("spawn")  # each worker sets Django up on its own
    barrier = context.Barrier(processes)
    results = context.Queue()
    workers = [context.Process(target=_worker, args=(encoded, seconds, barrier, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    rates = [results.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join()
        if worker.exitcode != 0:
            raise RuntimeError(f"a hash-rate worker exited with {worker.exitcode}")
    params = {
        name: getattr(hasher, name)
        for name in ("time_cost", "memory_cost", "parallelism", "iterations", "rounds")
        if hasattr(hasher, name)
    }
    return {
        "hasher": f"{type(hasher).__module__}.{type(hasher).__qualname__}",
        "algorithm": hasher.algorithm,
        "params": params,
        "processes": processes,
        "seconds": seconds,
        "per_process": rates,
        "total": sum(rates),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=3.0)
    args = parser.parse_args()
    print(json.dumps(measure(max(1, args.processes), args.seconds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
