"""A release `atelier serve` on a free loopback port with a throw-away data folder, for the
live-server tests (test_contract.py, test_chaos.py). Standard library only.

    with LiveServer(binary, models, env={"ATELIER_WORKERS": "1"}) as server:
        urllib.request.urlopen(server.url + "/healthz")

The server is stopped (SIGTERM, then SIGKILL) and its folder removed however the block ends.
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
    def __init__(self, binary, models, env=None, args=(), training_photos=0, start_timeout=120):
        """`training_photos`: how many small synthetic photos to give `POST /styles` (0: none, so
        training answers 503 training_unavailable)."""
        self.binary = os.path.abspath(binary)
        self.models = os.path.abspath(models)
        self.env = dict(env or {})
        self.args = list(args)
        self.training_photos = training_photos
        self.start_timeout = start_timeout
        self.process = None
        self.folder = None
        self.port = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def __enter__(self):
        self.folder = tempfile.mkdtemp(prefix="atelier-live-")
        photos = os.path.join(self.folder, "training-photos")
        os.makedirs(photos)
        for i in range(self.training_photos):
            with open(os.path.join(photos, f"photo-{i}.png"), "wb") as f:
                f.write(gradient_png(160, 128, seed=i))
        self.port = free_port()
        self.log_path = os.path.join(self.folder, "server.log")
        command = [self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port),
                   "--data", os.path.join(self.folder, "data"), "--models", self.models,
                   "--training-photos", photos, *self.args]
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, **self.env})
        try:
            self._wait_until_healthy()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=35)   # the server's own grace period is 30 s
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.folder:
            shutil.rmtree(self.folder, ignore_errors=True)
        return False

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
