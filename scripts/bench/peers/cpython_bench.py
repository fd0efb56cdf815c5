"""CPython's asyncio on the eight workloads of WORKLOADS.md (issue 7).

Run: python3 cpython_bench.py <B1..B8> [--quick] [--n N] [--uvloop]
Prints one JSON line in the shared result format. Python has no raw-promise
floor, so `floor` and `ratio` are null. Median of 5 rounds after 1 warm-up
(1 round with --quick, which also divides N by 10).

--uvloop (B1..B5, issue 17): the same workloads on uvloop's event loop
(`asyncio.Runner(loop_factory=uvloop.new_event_loop)`), for the Python that
has the uvloop module (Debian's python3-uvloop, for the system python3).
"""

import asyncio
import datetime
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

ARGS = sys.argv[1:]
QUICK = "--quick" in ARGS
RUNS = 1 if QUICK else 5
WORKLOAD = next((arg for arg in ARGS if arg in {f"B{i}" for i in range(1, 9)}), None)
UVLOOP = "--uvloop" in ARGS
WORKERS = 2
FIB_N = 25  # ~0.5 s for 32 calls on CPython, as fib(32) x 32 is on V8 (WORKLOADS.md)
FIB_JOBS = 32


def size_of(full):
    if "--n" in ARGS:
        return int(ARGS[ARGS.index("--n") + 1])
    return max(1, full // 10) if QUICK else full


def check_sum(total, n):
    if total != n * (n - 1) // 2:
        raise AssertionError(f"{WORKLOAD}: wrong sum {total}")


# -- B1..B5: one asyncio.run() per round, each timing its measured part in ms --


async def spawn_gather(n):
    async def body(i):
        await asyncio.sleep(0)
        return i

    start = time.perf_counter()
    tasks = [asyncio.create_task(body(i)) for i in range(n)]
    results = await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - start
    check_sum(sum(results), n)
    return elapsed * 1000


async def queue_pingpong(n):
    start = time.perf_counter()
    queue = asyncio.Queue(maxsize=100)

    async def produce():
        for i in range(n):
            await queue.put(i)

    async def consume():
        total = 0
        for _ in range(n):
            total += await queue.get()
        return total

    producer = asyncio.create_task(produce())
    total = await asyncio.create_task(consume())
    await producer
    elapsed = time.perf_counter() - start
    check_sum(total, n)
    return elapsed * 1000


async def timers(n):
    """The overhead: wall time past the longest sleep's 0.5 s."""
    start = time.perf_counter()
    await asyncio.gather(*(asyncio.create_task(asyncio.sleep((i % 500) / 1000)) for i in range(n)))
    return (time.perf_counter() - start - 0.5) * 1000


async def cancel_storm(n):
    tasks = [asyncio.create_task(asyncio.sleep(3600)) for _ in range(n)]
    await asyncio.sleep(0)
    start = time.perf_counter()
    for task in tasks:
        task.cancel()
    results = await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.perf_counter() - start
    if not all(isinstance(result, asyncio.CancelledError) for result in results):
        raise AssertionError("B4: a result is not a CancelledError")
    return elapsed * 1000


async def semaphore(n):
    start = time.perf_counter()
    sem = asyncio.Semaphore(100)
    holders = most = 0

    async def hold():
        nonlocal holders, most
        async with sem:
            holders += 1
            most = max(most, holders)
            await asyncio.sleep(0)
            holders -= 1

    await asyncio.gather(*(asyncio.create_task(hold()) for _ in range(n)))
    elapsed = time.perf_counter() - start
    if most != 100:
        raise AssertionError(f"B5: {most} holders at most, expected 100")
    return elapsed * 1000


# -- B6, B7: executors -----------------------------------------------------------


def echo(x):
    return x


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


async def echoes(executor, n):
    """B6's round: n echo calls submitted at once through `executor`; jobs/s."""
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    results = await asyncio.gather(*(loop.run_in_executor(executor, echo, i) for i in range(n)))
    elapsed = time.perf_counter() - start
    if results != list(range(n)):
        raise AssertionError("B6: wrong result")
    return n / elapsed


async def fibs(executor):
    """B7's pooled round, in ms."""
    loop = asyncio.get_running_loop()
    start = time.perf_counter()
    results = await asyncio.gather(
        *(loop.run_in_executor(executor, fib, FIB_N) for _ in range(FIB_JOBS))
    )
    elapsed = time.perf_counter() - start
    if results != [fib(FIB_N)] * FIB_JOBS:
        raise AssertionError("B7: wrong result")
    return elapsed * 1000


def serial_fibs():
    start = time.perf_counter()
    results = [fib(FIB_N) for _ in range(FIB_JOBS)]
    elapsed = time.perf_counter() - start
    if len(set(results)) != 1:
        raise AssertionError("B7: wrong result")
    return elapsed * 1000


# -- B8: memory per task, one fresh process per round -----------------------------


def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def park(n):
    """Parks n tasks on one Event; prints (RSS once they all wait - RSS before) / n."""
    gc.collect()
    before = rss_bytes()
    event = asyncio.Event()

    async def waiter(i):
        await event.wait()
        return i

    tasks = [asyncio.create_task(waiter(i)) for i in range(n)]
    await asyncio.sleep(0)
    gc.collect()
    after = rss_bytes()
    event.set()
    check_sum(sum(await asyncio.gather(*tasks)), n)
    print(json.dumps({"per_task": (after - before) / n, "peak_mb": peak_rss_mb()}))


def b8_round(n):
    """RSS hardly shrinks once grown, so a second round in one process would read less."""
    args = [sys.executable, __file__, "B8", "--n", str(n), "--b8-child"]
    out = subprocess.run(args, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


# -- running ----------------------------------------------------------------------


def rounds(bodies, warm_up=True):
    """One warm-up of each body (unless each is a fresh process), then RUNS rounds, in turns."""
    for body in bodies if warm_up else []:
        body()
    figures = [[] for _ in bodies]
    for _ in range(RUNS):
        for figure, body in zip(figures, bodies):
            figure.append(body())
    return figures


def stats(figures):
    ordered = sorted(figures)
    return {
        "median": round(ordered[len(ordered) // 2], 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
    }


def machine():
    model = "unknown"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{model} x{os.cpu_count()}, {round(memory / 2**30)} GiB"


def peak_rss_mb():
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 3)


def emit(name, n, unit, runs, extra, rss_mb=None):
    line = {
        "workload": WORKLOAD,
        "name": name,
        "impl": "cpython asyncio + uvloop" if UVLOOP else "cpython asyncio",
        "runtime": f"python {platform.python_version()}",
        "n": n,
        "unit": unit,
        **stats(runs),
        "runs": [round(x, 3) for x in runs],
        "floor": None,
        "ratio": None,
        "rss_mb": peak_rss_mb() if rss_mb is None else rss_mb,
        "extra": extra,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "machine": machine(),
    }
    print(json.dumps(line, separators=(",", ":")))


LOOP_WORKLOADS = {
    "B1": ("spawn-gather", 100_000, spawn_gather),
    "B2": ("queue-pingpong", 200_000, queue_pingpong),
    "B3": ("timers", 50_000, timers),
    "B4": ("cancel-storm", 100_000, cancel_storm),
    "B5": ("semaphore", 100_000, semaphore),
}


def run_loop(coro):
    """asyncio.run() on uvloop's loop (3.11 takes a loop_factory only in Runner)."""
    import uvloop

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coro)


def main():
    if UVLOOP and WORKLOAD not in LOOP_WORKLOADS:
        sys.exit(f"--uvloop runs B1..B5 (the event-loop workloads); got {WORKLOAD}")
    if WORKLOAD in LOOP_WORKLOADS:
        name, full, workload = LOOP_WORKLOADS[WORKLOAD]
        n = size_of(full)
        if not UVLOOP:
            (runs,) = rounds([lambda: asyncio.run(workload(n))])
            emit(name, n, "ms", runs, {})
            return
        import uvloop

        # Plain asyncio in the same process, taking turns: this interpreter
        # may not be the one the plain CPython line ran on.
        runs, plain = rounds([lambda: run_loop(workload(n)), lambda: asyncio.run(workload(n))])
        extra = {
            "uvloop": uvloop.__version__,
            "same_python_asyncio_ms": stats(plain)["median"],
        }
        emit(name, n, "ms", runs, extra)
    elif WORKLOAD == "B6":
        # The default executor is a ThreadPoolExecutor, and for echo (no CPU
        # work, nothing to win from the GIL) threads are what a Python user
        # would use: that is the figure. A ProcessPoolExecutor's, whose
        # workers are isolated and exchange pickled messages as our Workers
        # exchange structured clones, is in `extra`.
        n = size_of(20_000)
        processes = ProcessPoolExecutor(WORKERS)

        async def through_default_executor(n):
            # asyncio.run() shuts the default executor down: a new one per round.
            asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(WORKERS))
            return await echoes(None, n)

        runs, process_runs = rounds(
            [
                lambda: asyncio.run(through_default_executor(n)),
                lambda: asyncio.run(echoes(processes, n)),
            ]
        )
        processes.shutdown()
        extra = {
            "executor": f"ThreadPoolExecutor({WORKERS}) as the default executor",
            "process_pool_jobs_per_s": stats(process_runs)["median"],
        }
        emit("executor-echo", n, "jobs/s", runs, extra)
    elif WORKLOAD == "B7":
        # Processes, since threads cannot run Python code in parallel under the GIL.
        processes = ProcessPoolExecutor(WORKERS)
        serial_ms, pooled_ms = rounds(
            [serial_fibs, lambda: asyncio.run(fibs(processes))]
        )
        processes.shutdown()
        speedups = [serial / pooled for serial, pooled in zip(serial_ms, pooled_ms)]
        extra = {
            "executor": f"ProcessPoolExecutor({WORKERS}) via loop.run_in_executor",
            "job": f"fib({FIB_N})",
            "serial_ms": round(stats(serial_ms)["median"]),
            "pooled_ms": round(stats(pooled_ms)["median"]),
        }
        emit("executor-cpu", FIB_JOBS, "speedup", speedups, extra)
    elif WORKLOAD == "B8":
        n = size_of(100_000)
        if "--b8-child" in ARGS:
            asyncio.run(park(n))
        else:
            (children,) = rounds([lambda: b8_round(n)], warm_up=False)
            runs = [child["per_task"] for child in children]
            extra = {"event": "asyncio.Event", "rss": "fresh process per round, gc before reads"}
            peak_mb = max(child["peak_mb"] for child in children)
            emit("memory-per-task", n, "bytes/task", runs, extra, peak_mb)
    else:
        sys.exit(f"usage: python3 cpython_bench.py <B1..B8> [--quick] [--n N]; got {WORKLOAD}")


if __name__ == "__main__":
    main()
