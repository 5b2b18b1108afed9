"""Open a page in headless Chromium and report what went wrong there.

Speaks the DevTools protocol over ``--remote-debugging-pipe`` (JSON messages ending in
NUL on file descriptors 3 and 4), so it needs no package beyond the browser itself.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

NAMES = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    return next((path for name in NAMES if (path := shutil.which(name))), None)


@dataclass
class PageVisit:
    """What happened while a page loaded."""

    console_errors: list[str] = field(default_factory=list)  # console.error, exceptions, logs
    failed_requests: list[str] = field(default_factory=list)  # loads that did not succeed
    requests: list[str] = field(default_factory=list)  # every URL the page asked for
    screenshot: bytes = b""  # PNG of the viewport


class _Pipe:
    def __init__(self, executable: str, profile: str, width: int, height: int):
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire() -> None:  # in the child: our pipes become its fds 3 (in) and 4 (out)
            r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [
            executable,
            "--headless",
            "--no-sandbox",  # CI runs as root, where the sandbox refuses to start
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={width},{height}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.process = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=wire,
            close_fds=False,
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []

    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_child, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._receive(timeout=60)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not any(e.get("method") == method for e in self.events):
            self.events.append(self._receive(deadline - time.monotonic()))

    def _receive(self, timeout: float) -> dict:
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._from_child], [], [], max(0.0, timeout))
            if not ready:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        os.close(self._to_child)
        os.close(self._from_child)


def visit(url: str, *, executable: str | None = None, width: int = 1100, height: int = 1400,
          settle: float = 1.0) -> PageVisit:  # fmt: skip
    """Load ``url``, wait for its load event (and ``settle`` seconds more), screenshot it."""
    executable = executable or find_chromium()
    if executable is None:
        raise FileNotFoundError("no Chromium found (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="aekit-chromium-") as profile:
        pipe = _Pipe(executable, profile, width, height)
        try:
            target = pipe.send("Target.createTarget", {"url": "about:blank"})["targetId"]
            session = pipe.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
                "sessionId"
            ]
            for domain in ("Page", "Runtime", "Log", "Network"):
                pipe.send(f"{domain}.enable", session=session)
            pipe.events.clear()
            pipe.send("Page.navigate", {"url": url}, session=session)
            pipe.wait_for("Page.loadEventFired", timeout=60)
            time.sleep(settle)
            shot = pipe.send("Page.captureScreenshot", {"format": "png"}, session=session)
            return _summarise(pipe.events, base64.b64decode(shot["data"]))
        finally:
            pipe.close()


def _summarise(events: list[dict], screenshot: bytes) -> PageVisit:
    seen = PageVisit(screenshot=screenshot)
    urls: dict[str, str] = {}
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Network.requestWillBeSent":
            urls[params["requestId"]] = params["request"]["url"]
            seen.requests.append(params["request"]["url"])
        elif method == "Network.loadingFailed":
            url = urls.get(params["requestId"], "?")
            seen.failed_requests.append(f"{url[:80]}: {params.get('errorText')}")
        elif method == "Network.responseReceived" and params["response"].get("status", 200) >= 400:
            seen.failed_requests.append(f"{params['response']['url'][:80]}: HTTP error")
        elif method == "Runtime.consoleAPICalled" and params["type"] in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
            seen.console_errors.append(text)
        elif method == "Runtime.exceptionThrown":
            seen.console_errors.append(params["exceptionDetails"].get("text", "exception"))
        elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
            seen.console_errors.append(params["entry"]["text"])
    return seen
