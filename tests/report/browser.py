"""A page in headless Chromium driven through the DevTools protocol: real mouse events.

Chromium's ``--screenshot`` takes a picture but cannot hover; the DevTools protocol
(``Input.dispatchMouseEvent``, ``Runtime.evaluate``) moves a real pointer over the
page and reads what it shows. Same offline flags as the report's screenshot.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

import websocket

from harness.report.screenshot import FLAGS, find_chromium


class HeadlessPage:
    """One page; a context manager so the browser never outlives the test."""

    def __init__(
        self,
        path: Path,
        width: int = 1100,
        height: int = 1400,
        ready: str = "!!window.drydockReport",
    ) -> None:
        """``ready``: a JavaScript condition true once the page is usable."""
        self.path, self.width, self.height, self.ready = path, width, height, ready
        self._ids = itertools.count(1)

    def __enter__(self) -> HeadlessPage:
        # Chromium's helpers (crashpad, zygote) outlive the killed browser by a moment and
        # may still write to the profile while it is removed: that is no test failure.
        self._profile = tempfile.TemporaryDirectory(
            prefix="drydock-cdp-", ignore_cleanup_errors=True
        )
        self._browser = subprocess.Popen(
            [
                find_chromium(),
                *FLAGS,
                "--remote-debugging-port=0",
                "--remote-allow-origins=*",
                f"--user-data-dir={self._profile.name}",
                f"--window-size={self.width},{self.height}",
                self.path.resolve().as_uri(),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self._browser.stderr is not None
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = self._browser.stderr.readline()
            if found := re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line):
                port = int(found.group(1))
        assert port is not None, "Chromium did not open its DevTools port"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            pages = [t for t in json.load(answer) if t["type"] == "page"]
        self._socket = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=30)
        self.wait_for(f"document.readyState === 'complete' && ({self.ready})")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._socket.close()
        self._browser.kill()
        self._browser.wait()
        self._profile.cleanup()

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        ident = next(self._ids)
        self._socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv())
            if message.get("id") == ident:
                assert "error" not in message, message
                return dict(message.get("result", {}))

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in result, result
        return result["result"].get("value")

    def wait_for(self, condition: str, timeout_s: float = 15) -> None:
        deadline = time.monotonic() + timeout_s
        while not self.evaluate(condition):
            assert time.monotonic() < deadline, f"never true: {condition}"
            time.sleep(0.05)

    def mouse(self, kind: str, x: float, y: float, buttons: int = 0) -> None:
        """``kind``: mouseMoved, mousePressed, mouseReleased (left button)."""
        extra = {"button": "left", "clickCount": 1} if kind != "mouseMoved" else {}
        self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, buttons=buttons, **extra)

    def screenshot(self) -> bytes:
        return base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
