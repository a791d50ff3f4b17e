"""The one render worker: requests in, images out, newest request wins.

`Renderer` lives on the UI thread. `submit()` stamps a request and parks it in a slot per
channel, replacing any request of that channel still waiting (so dragging a slider never
queues work). A single Python thread takes one parked request at a time, runs it with its
own `Engine` (the only copy of the networks) and sends the result back through a queued Qt
signal; results that are no longer the newest for their channel are dropped on arrival.
Errors come back as signals carrying a message, never as a traceback dialog.

A progressive request (a 64x64 grid) comes back in pieces: each partial result goes to the
channel's listeners as soon as its chunk is rendered (never to `result_ready`, which carries
complete results only), and a newer request for the channel, or a model load, makes the render
thread abandon the older request's remaining chunks (engine.Engine.run).

`sync=True` runs everything inline on the caller's thread: for tests only.

Nothing here imports torch: the `Engine` (and torch with it) is created on first use, which in
the app is the render thread's first job, so the window can appear while torch loads.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from gan_models.errors import GanExplorerError

from .requests import DirectionsRequest, LoadRequest, RenderRequest

if TYPE_CHECKING:
    from .engine import Engine

log = logging.getLogger(__name__)


def one_line(e: BaseException) -> str:
    """What a user reads of an error: its message's first line, never the exception's class name
    (a "_LinAlgError" says nothing to a user; the log keeps the traceback)."""
    text = next((line.strip() for line in str(e).splitlines() if line.strip()), "")
    if not text or isinstance(e, KeyError):       # str(KeyError) is only the quoted key
        return "an internal error; the details are in the log"
    return text if len(text) <= 300 else text[:297] + "…"


MODEL_CHANNEL = "__model__"


def default_threads() -> int:
    """Torch threads for the render thread: all cores but one for the UI, at most 8."""
    return max(1, min(8, (os.cpu_count() or 2) - 1))


@dataclass
class _Outcome:
    channel: str
    stamp: int
    kind: str                 # "result" | "partial" | "error" | "loaded" | "load_failed" | "stale" | "abandoned"
    payload: object


class Renderer(QObject):
    result_ready = Signal(object)      # RenderResult, the newest for its channel
    render_failed = Signal(str, str)   # channel, message
    model_loaded = Signal(object)      # ModelInfo
    model_failed = Signal(str, str)    # path, message
    _finished = Signal(object)         # internal: render thread -> UI thread

    def __init__(self, parent=None, *, sync: bool = False, engine: Engine | None = None,
                 threads: int | None = None):
        super().__init__(parent)
        self.sync = sync
        self._engine = engine              # created on first use (see `engine`)
        self._engine_lock = threading.Lock()
        self.threads = threads or default_threads()
        self.info = None                   # ModelInfo of the model loaded on the render thread
        self._stamp = 0
        self._next_model_id = 0
        self._latest: dict[str, int] = {}  # channel -> newest submitted stamp
        self._pending: dict[str, object] = {}
        self._in_flight = 0
        self._cv = threading.Condition()
        self._stop = False
        self._thread = None
        self.stats = {"rendered": 0, "dropped_before_run": 0, "dropped_on_arrival": 0,
                      "partials": 0, "abandoned": 0}
        self._listeners: dict[str, list] = {}   # channel prefix -> callbacks for its results
        self._partials: list = []                # partial outcomes arrived, not yet handed out
        self._partial_timer = QTimer(self, singleShot=True, interval=0)
        self._partial_timer.timeout.connect(self._deliver_partials)
        self._finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    @property
    def engine(self) -> Engine:
        """The render thread's Engine, created (importing torch) on first use: in the app that is
        the render thread's first job; from the UI thread, only once torch is loaded anyway."""
        if self._engine is None:
            with self._engine_lock:
                if self._engine is None:
                    from .engine import Engine
                    self._engine = Engine()
        return self._engine

    @property
    def device_name(self) -> str | None:
        """"CPU", "CUDA <name>", ...; None while the engine (and torch) is not loaded yet."""
        return None if self._engine is None else self._engine.device_name

    # ------------------------------------------------------------------ UI-thread API
    def submit(self, req: RenderRequest | DirectionsRequest) -> int:
        """Queue a render (or a directions search); returns its stamp. Replaces a waiting
        request of the same channel."""
        return self._put(req.channel, req)

    def load_model(self, path) -> int:
        """Ask the render thread to load a checkpoint or run folder; returns the new model id.

        `model_loaded` or `model_failed` answers; on failure the previous model stays.
        """
        self._next_model_id += 1
        self._put(MODEL_CHANNEL, LoadRequest(str(path), self._next_model_id))
        return self._next_model_id

    def listen(self, prefix: str, callback, owner: QObject | None = None) -> None:
        """Call `callback(result)` for each fresh result of a channel named "prefix.*", before
        `result_ready` is emitted, until `owner` (if given) is destroyed; also for each fresh
        partial result (`result.partial`) of a progressive request. A plain call: a signal
        connected to every panel cost each frame one Python slot per panel (~0.1 ms on the path
        from slider to image)."""
        callbacks = self._listeners.setdefault(prefix, [])
        callbacks.append(callback)
        if owner is not None:
            owner.destroyed.connect(lambda *_: callback in callbacks and callbacks.remove(callback))

    def is_idle(self) -> bool:
        with self._cv:
            return not self._pending and self._in_flight == 0

    def close(self) -> None:
        with self._cv:
            self._stop = True
            self._pending.clear()
            self._cv.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    # ------------------------------------------------------------------ internals
    def _put(self, channel: str, req) -> int:
        self._stamp += 1
        req = replace(req, stamp=self._stamp)
        self._latest[channel] = self._stamp
        if self.sync:
            self._on_finished(self._execute(req))
            return self._stamp
        with self._cv:
            if channel in self._pending:
                self.stats["dropped_before_run"] += 1
            self._pending[channel] = req
            self._cv.notify()
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="render", daemon=True)
            self._thread.start()
        return self._stamp

    def _take(self):
        """The next job: a model load first, then the oldest waiting request."""
        if MODEL_CHANNEL in self._pending:
            return self._pending.pop(MODEL_CHANNEL)
        channel = min(self._pending, key=lambda c: self._pending[c].stamp)
        return self._pending.pop(channel)

    def _loop(self) -> None:
        import torch
        torch.set_num_threads(self.threads)
        self.engine                    # noqa: B018  (created here, off the UI thread)
        while True:
            with self._cv:
                while not self._pending and not self._stop:
                    self._cv.wait()
                if self._stop:
                    return
                job = self._take()
                self._in_flight += 1
            outcome = self._execute(job)
            self._finished.emit(outcome)

    def _execute(self, job) -> _Outcome:
        """Runs on the render thread (or inline in sync mode); never raises."""
        if isinstance(job, LoadRequest):
            try:
                return _Outcome(MODEL_CHANNEL, job.stamp, "loaded", self.engine.load(job))
            except GanExplorerError as e:
                return _Outcome(MODEL_CHANNEL, job.stamp, "load_failed", (job.path, str(e)))
            except Exception as e:   # a bug or an odd file: still a message, the details go to the log
                log.exception("loading %s failed", job.path)
                return _Outcome(MODEL_CHANNEL, job.stamp, "load_failed",
                                (job.path, f"{job.path}: could not be loaded ({one_line(e)})"))
        engine_info = self.engine.info
        if engine_info is None or engine_info.model_id != job.model_id:
            return _Outcome(job.channel, job.stamp, "stale", None)
        try:
            if isinstance(job, DirectionsRequest):
                return _Outcome(job.channel, job.stamp, "result", self.engine.directions(job))
            result = self.engine.run(job, on_partial=lambda part: self._partial(job, part),
                                     should_stop=lambda: self._superseded(job))
            if result is None:
                return _Outcome(job.channel, job.stamp, "abandoned", None)
            return _Outcome(job.channel, job.stamp, "result", result)
        except GanExplorerError as e:
            return _Outcome(job.channel, job.stamp, "error", f"Rendering failed: {one_line(e)}")
        except Exception as e:
            log.exception("render on %s failed", job.channel)
            return _Outcome(job.channel, job.stamp, "error", f"Rendering failed: {one_line(e)}")

    def _deliver_partials(self) -> None:
        self._partial_timer.stop()
        outs, self._partials = self._partials, []
        for out in outs:
            if out.stamp != self._latest.get(out.channel):
                continue                     # its request was replaced: the rest is abandoned
            self.stats["partials"] += 1
            for callback in self._listeners.get(out.channel.partition(".")[0], ()):
                callback(out.payload)

    def _partial(self, job, part) -> None:
        """Render thread: hand a partial result to the UI thread (inline in sync mode)."""
        out = _Outcome(job.channel, job.stamp, "partial", part)
        if self.sync:
            self._on_finished(out)
        else:
            self._finished.emit(out)

    def _superseded(self, job) -> bool:
        """Render thread, between chunks: has a newer request for the job's channel (or a model
        load) been submitted since? (Reads of dict entries the UI thread writes: atomic.)"""
        return (self._stop or self._latest.get(job.channel) != job.stamp
                or self._latest.get(MODEL_CHANNEL, 0) > job.stamp)

    def _on_finished(self, out: _Outcome) -> None:
        if out.kind == "partial":
            # Handed out one event-loop turn later: the render thread's emit waits for the GIL
            # this slot holds, so a slot that painted here held the next chunk back by the
            # panel's whole handling (0.8 ms a partial in bench/ui_latency.py); now it waits
            # only for this append, and the handling runs beside the next chunk's forward.
            self._partials.append(out)
            if self.sync:
                self._deliver_partials()
            elif not self._partial_timer.isActive():
                self._partial_timer.start()
            return
        self._deliver_partials()             # what came before this outcome goes first
        if not self.sync:
            with self._cv:
                self._in_flight -= 1
        if out.kind == "abandoned":
            self.stats["abandoned"] += 1
            return
        if out.kind == "loaded":
            self.info = out.payload
            self.model_loaded.emit(out.payload)
            return
        if out.kind == "load_failed":
            self.model_failed.emit(*out.payload)
            return
        if out.kind == "stale" or out.stamp != self._latest.get(out.channel):
            self.stats["dropped_on_arrival"] += 1
            return
        if out.kind == "error":
            self.render_failed.emit(out.channel, out.payload)
            return
        self.stats["rendered"] += 1
        for callback in self._listeners.get(out.channel.partition(".")[0], ()):
            callback(out.payload)
        self.result_ready.emit(out.payload)
