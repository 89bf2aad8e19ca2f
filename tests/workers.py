"""Webhook worker processes for scale-out and crash tests: real `run_bot.py telegram` processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass

from bot.settings import PROJECT_ROOT

SECRET = "scale-out-secret-0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Worker:
    """One webhook worker process."""

    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def kill(self) -> None:
        """SIGKILL: no clean-up, no goodbye."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()


def start_worker(*, database_url: str, index_dir: str, api_base: str, token: str, port: int | None = None,
                 extra_env: dict[str, str] | None = None) -> Worker:
    """Start a worker and wait until its webhook answers /healthz."""
    port = port or free_port()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": database_url, "INDEX_DIR": index_dir,
           "TELEGRAM_BOT_TOKEN": token, "TELEGRAM_API_BASE_URL": api_base, "TELEGRAM_WEBHOOK_SECRET": SECRET,
           "LOG_LEVEL": "WARNING", **(extra_env or {})}
    process = subprocess.Popen([sys.executable, "run_bot.py", "telegram", "--webhook-url",
                                "https://lb.invalid/hook", "--listen", "127.0.0.1", "--port", str(port)],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"worker exited: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return Worker(port, process)
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("worker did not start in 60 s")
