"""A release `atelier serve` on a free loopback port with a throw-away data folder, for the
live-server tests (test_contract.py, test_chaos.py). Standard library only.

    with LiveServer(binary, models, env={"ATELIER_WORKERS": "1"}) as server:
        urllib.request.urlopen(server.url + "/healthz")

The server is stopped (SIGTERM, then SIGKILL) and its folder removed however the block ends
(unless the caller gave the folder: test_training_faults.py restarts servers on one).
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

from synthetic_png import gradient_png


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, binary, models, env=None, args=(), training_photos=0, start_timeout=120, folder=None):
        """`training_photos`: how many small synthetic photos to give `POST /styles` (0: none, so
        training answers 503 training_unavailable). `folder`: a folder that outlives the server, so
        `kill9()` and `start()` restart it on the same data (kept at exit); by default a
        temporary one, removed at exit."""
        self.binary = os.path.abspath(binary)
        self.models = os.path.abspath(models)
        self.env = dict(env or {})
        self.args = list(args)
        self.training_photos = training_photos
        self.start_timeout = start_timeout
        self.folder = folder
        self.owns_folder = folder is None
        self.process = None
        self.port = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def data(self) -> str:
        return os.path.join(self.folder, "data")

    def __enter__(self):
        if self.folder is None:
            self.folder = tempfile.mkdtemp(prefix="atelier-live-")
        try:
            self.start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        if self.folder and self.owns_folder:
            shutil.rmtree(self.folder, ignore_errors=True)
        return False

    def start(self):
        """Starts the server on the folder (again, after `kill9` or `stop`) at a new port."""
        photos = os.path.join(self.folder, "training-photos")
        if not os.path.isdir(photos):
            os.makedirs(photos)
            for i in range(self.training_photos):
                with open(os.path.join(photos, f"photo-{i}.png"), "wb") as f:
                    f.write(gradient_png(160, 128, seed=i))
        self.port = free_port()
        self.log_path = os.path.join(self.folder, "server.log")
        command = [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                   "--data", self.data, "--models", self.models, "--training-photos", photos, *self.args]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, **self.env})
        self._wait_until_healthy()

    def kill9(self):
        """SIGKILL: no drain, no checkpoint, whatever the server was writing cut short."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self):
        """SIGTERM, then SIGKILL past the server's own 30 s grace period."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=35)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def healthy(self, timeout=5) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=timeout) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def log_tail(self, lines=40) -> str:
        try:
            with open(self.log_path, errors="replace") as f:
                return "".join(f.readlines()[-lines:])
        except OSError:
            return ""

    def peak_rss_kib(self) -> int:
        """VmHWM: the process's peak resident set so far, in KiB."""
        with open(f"/proc/{self.process.pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmHWM in /proc status")

    def _wait_until_healthy(self):
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"atelier serve exited with {self.process.returncode}:\n{self.log_tail()}")
            if self.healthy(timeout=1):
                return
            time.sleep(0.2)
        raise RuntimeError(f"atelier serve not healthy after {self.start_timeout} s:\n{self.log_tail()}")
