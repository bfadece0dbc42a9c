"""gunicorn's settings for the app image (docker/Dockerfile).

Several worker processes answer requests; each counts its own requests, so prometheus-client's
multiprocess mode keeps the counts in files under PROMETHEUS_MULTIPROC_DIR and /metrics adds
them up (app/observability/metrics.py). The folder is emptied when gunicorn starts, and a
process that ends is marked so its figures are kept but not reported as live.
"""
import os
import shutil

bind = "0.0.0.0:8000"
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# Longer than the slowest page (a large PDF); the health checks answer in milliseconds.
timeout = 120
# No access log: its lines would carry query strings (a search for a personal code); the app
# logs every request itself, by route, with its request id.
accesslog = None


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)


def child_exit(server, worker):
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
