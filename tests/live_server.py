"""A Flask app served over real HTTP on 127.0.0.1 for the length of a test, for the browser."""
from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import waitress
from flask import Flask
from waitress import wasyncore


@contextmanager
def serving(app: Flask) -> Iterator[str]:
    """The app on a free port; yields its base URL. Stopped from inside the server's own loop
    (closing its sockets from this thread while the loop waits on them ends the loop with a
    'bad file descriptor' error in the server's thread)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = waitress.create_server(app, host="127.0.0.1", port=port, threads=4)
    thread = threading.Thread(target=server.run, daemon=True, name=f"served:{port}")
    thread.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        # The loop runs while its socket map holds anything: emptied there, the loop ends.
        server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=10)
        server.task_dispatcher.shutdown()
