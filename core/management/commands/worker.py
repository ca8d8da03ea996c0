"""The background worker: periodic jobs + the database task queue, in one process.

    python manage.py worker                # run forever
    python manage.py worker --once         # enqueue due jobs, run every ready task, exit

Several workers may run side by side (on PostgreSQL): periodic slots are claimed through a
unique constraint and tasks are taken with row locks (django-tasks-db).
"""

import logging
import os
import signal
import socket
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django_tasks_db.management.commands.db_worker import Worker

from core import jobs

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Run periodic jobs and queued background tasks."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run what is due now, then exit.")
        parser.add_argument("--interval", type=float, default=2.0, help="Seconds between polls.")

    def handle(self, *args, once: bool, interval: float, **options):
        worker_id = f"{socket.gethostname()}-{os.getpid()}"
        self.running = True
        self.current = None

        def stop(signum, frame):
            # finish the task under way, then leave (do not drain the whole queue first)
            self.running = False
            if self.current is not None:
                self.current.running = False

        if not once:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            self.stdout.write(f"DigDeal worker {worker_id} started ({len(jobs.JOBS)} periodic jobs).")
        while self.running:
            close_old_connections()
            try:
                jobs.enqueue_due(worker=worker_id)
            except Exception:
                logger.exception("Scheduling periodic jobs failed")
            self.current = Worker(
                queue_names=["*"],
                interval=0,
                batch=True,
                backend_name="default",
                startup_delay=False,
                max_tasks=None,
                worker_id=worker_id,
                excluded_queue_names=[],
            )
            self.current.run()
            self.current = None
            if once:
                break
            for _ in range(int(interval * 10)):
                if not self.running:
                    break
                time.sleep(0.1)
        self.stdout.write("Worker stopped.")
