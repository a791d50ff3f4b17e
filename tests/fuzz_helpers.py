"""Running fuzz cases through the real loaders (issue 29, item 4): the capped worker, the property,
and the tally of outcomes. The cases themselves are drawn by Hypothesis (tests/fuzz_strategies.py,
used by tests/test_fuzz_loaders.py).

`LoaderWorker` is one subprocess under a 3 GB address-space cap that loads case after case through
`gan_models.checkpoint.load_checkpoint` or `train.data.load_dataset` (the torch import dominates
its start-up, so it is started once and reused). A case that kills it (a memory blow-up that became
a signal) or runs past the time limit is recorded against that case, and the next case gets a new
worker.

Outcomes: `loaded`, `refused` (a GanExplorerError), `nonfinite` (loaded, but a weight or a data
value is NaN or inf: the model would draw nothing), `crashed` (any other exception), `memory`
(MemoryError), `died` (the worker was killed), `hung` (past the time limit), and `ran_code` (a
malicious pickle's payload left its marker). Only the first two are allowed, and a refusal is one
line that names no Python exception class.

The tally by category is printed at the end of a run (`pytest -s`); with FUZZ_COUNT_ONLY=1 the
property is not asserted, only counted, so the numbers of an older checkout can be taken too
(FUZZ_KEEP=FOLDER keeps a copy of each bad case, FUZZ_LOG=FILE appends each case's outcome):

    FUZZ_TARGET=/tmp/old-checkout FUZZ_COUNT_ONLY=1 FUZZ_EXAMPLES=300 \\
        python -m pytest -q -s tests/test_fuzz_loaders.py
"""
from __future__ import annotations

import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEM_CAP = 3 << 30
ALLOWED = {"loaded", "refused"}
CASE_TIMEOUT = 30.0          # seconds for one case (the biggest legal case loads in well under 1 s)
START_TIMEOUT = 180.0        # seconds for the worker's imports on a busy machine
RESTART_EVERY = 250          # cases per worker: thousands of cases in one capped process fragment its
                             # address space until an allowed case (an 8192x8192 PNG) no longer fits
COUNT_ONLY = os.environ.get("FUZZ_COUNT_ONLY") == "1"
TARGET = Path(os.environ.get("FUZZ_TARGET") or ROOT)     # the checkout whose loaders are fuzzed
# a Python exception class named in a message the user reads ("(UnpicklingError: ...)")
_EXC_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception|Warning)\b")

_WORKER = r"""
import json, resource, sys
import torch
resource.setrlimit(resource.RLIMIT_AS, ({cap}, {cap}))
from gan_models.errors import GanExplorerError
from gan_models.checkpoint import load_checkpoint
from train.data import load_dataset
print(json.dumps({{"ready": True}}), flush=True)
for line in sys.stdin:
    case = json.loads(line)
    print(json.dumps({{"begin": case["id"]}}), flush=True)
    try:
        if case["loader"] == "checkpoint":
            ck = load_checkpoint(case["path"], training_state=case["state"])
            tensors = [(n, t) for m in (ck.generator, ck.discriminator) if m is not None
                       for n, t in m.state_dict().items()]
        else:
            ds = load_dataset(case["path"], sizes=(28, 32, 64))
            tensors = [("x", ds.x)] if torch.is_tensor(getattr(ds, "x", None)) else []
        bad = [n for n, t in tensors if t.is_floating_point() and not bool(torch.isfinite(t).all())]
        res = {{"outcome": "nonfinite", "message": "loaded with NaN or inf in " + bad[0]}} if bad else \
            {{"outcome": "loaded", "message": ""}}
    except GanExplorerError as e:
        res = {{"outcome": "refused", "message": str(e)}}
    except MemoryError as e:
        res = {{"outcome": "memory", "message": "MemoryError " + str(e)[:300]}}
    except BaseException as e:
        res = {{"outcome": "crashed", "message": type(e).__name__ + ": " + str(e)[:300]}}
    res["id"] = case["id"]
    print(json.dumps(res), flush=True)
"""


class LoaderWorker:
    """One capped loader subprocess, restarted after a case kills it or hangs."""

    def __init__(self, cwd: Path = TARGET, python: str = sys.executable, timeout: float = CASE_TIMEOUT):
        self.cwd, self.python, self.timeout = cwd, python, timeout
        self.proc: subprocess.Popen | None = None
        self.starts = self.done = 0

    def _start(self) -> None:
        self.proc = subprocess.Popen([self.python, "-c", _WORKER.format(cap=MEM_CAP)], cwd=self.cwd, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "OMP_NUM_THREADS": "1"})
        self.starts += 1
        self.lines: queue.Queue = queue.Queue()

        def read(p=self.proc, q=self.lines):
            for line in p.stdout:
                q.put(line)
            q.put(None)
        threading.Thread(target=read, daemon=True).start()
        try:
            first = self.lines.get(timeout=START_TIMEOUT)
        except queue.Empty:
            first = None
        if first is None or not json.loads(first).get("ready"):
            self.close()
            raise RuntimeError(f"the loader worker did not start in {self.cwd}")

    def run(self, case: dict) -> dict:
        """{outcome, message} of loading one case {id, loader, path, state}."""
        if self.proc is not None and self.done >= RESTART_EVERY:
            self.close()
        if self.proc is None or self.proc.poll() is not None:
            self._start()
            self.done = 0
        self.done += 1
        try:
            self.proc.stdin.write(json.dumps(case) + "\n")
            self.proc.stdin.flush()
        except OSError:
            pass                                  # it died; the reader below sees the end
        while True:
            try:
                line = self.lines.get(timeout=self.timeout)
            except queue.Empty:
                self.close()
                return {"outcome": "hung", "message": f"no answer in {self.timeout:.0f} s"}
            if line is None:
                code = self.proc.wait()
                self.proc = None
                return {"outcome": "died", "message": f"worker exit status {code}"}
            rec = json.loads(line)
            if "begin" not in rec:
                return rec

    def close(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None


# ----------------------------------------------------------------------------- the property and the tally
TALLY: dict[str, Counter] = defaultdict(Counter)
EXAMPLES: dict[tuple[str, str], str] = {}


def problem(result: dict) -> str | None:
    """None when the outcome keeps the promise, else what is wrong with it."""
    if result["outcome"] not in ALLOWED:
        return f"{result['outcome']}: {result['message'][:300]}"
    if result["outcome"] == "refused":
        msg = result["message"]
        if not msg.strip() or "\n" in msg.strip():
            return f"refused, but not in one line: {msg[:300]!r}"
        if "Traceback" in msg or _EXC_NAME.search(msg):
            return f"refused, but the line names a Python exception: {msg[:300]}"
    return None


class FuzzRig:
    """Writes one case at a time into a scratch folder, loads it in the worker, records the
    outcome by category and asserts the property (unless FUZZ_COUNT_ONLY=1)."""

    def __init__(self, folder: Path, worker: LoaderWorker):
        self.folder, self.worker, self.n = folder, worker, 0

    def check(self, category: str, write, loader: str = "checkpoint", state: bool = False) -> dict:
        """write(path, marker) puts the case at `path` (a file for checkpoints, a folder it fills
        for data sets); `marker` is where a malicious payload would leave its trace."""
        self.n += 1
        case_dir = self.folder / f"{self.n:05d}"
        case_dir.mkdir()
        path, marker = case_dir / ("data" if loader == "dataset" else "model"), case_dir / "RAN"
        if loader == "dataset":
            path.mkdir()
        path = write(path, str(marker)) or path
        result = self.worker.run({"id": self.n, "loader": loader, "path": str(path), "state": state})
        if marker.exists():
            result = {"outcome": "ran_code", "message": f"the payload ran ({marker} exists)"}
        bad = problem(result)
        outcome = result["outcome"] if bad is None or result["outcome"] not in ALLOWED else "bad-message"
        TALLY[category][outcome] += 1
        EXAMPLES.setdefault((category, outcome), result["message"][:200])
        if os.environ.get("FUZZ_LOG"):                       # one line a case, to compare checkouts
            with open(os.environ["FUZZ_LOG"], "a") as f:
                f.write(json.dumps({"category": category, "case": self.n, **result}) + "\n")
        if bad and os.environ.get("FUZZ_KEEP"):              # a folder to keep the bad cases in
            shutil.copytree(case_dir, Path(os.environ["FUZZ_KEEP"]) / f"{category}-{self.n:05d}")
        shutil.rmtree(case_dir, ignore_errors=True)
        if bad and not COUNT_ONLY:
            raise AssertionError(f"{category}: {bad}")
        return result


COLUMNS = ["loaded", "refused", "bad-message", "nonfinite", "crashed", "memory", "died", "hung", "ran_code"]


def summarize(tally: dict[str, Counter] = TALLY) -> str:
    lines = [f"{'category':16s} {'tried':>5s} " + " ".join(f"{c:>11s}" for c in COLUMNS)]
    total = Counter()
    for cat, cnt in sorted(tally.items()):
        total.update(cnt)
        lines.append(f"{cat:16s} {sum(cnt.values()):5d} " + " ".join(f"{cnt[c]:11d}" for c in COLUMNS))
    lines.append(f"{'total':16s} {sum(total.values()):5d} " + " ".join(f"{total[c]:11d}" for c in COLUMNS))
    return "\n".join(lines)
