from django.core.management.base import BaseCommand

from core import demo


class Command(BaseCommand):
    help = "Print the demo logins (one per role)."

    def handle(self, *args, **options):
        logins = demo.demo_logins()
        if not logins:
            self.stdout.write("No demo users (run `manage.py seed`).")
            return
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, roles in logins:
            self.stdout.write(f"  {username:<10} {roles}")
