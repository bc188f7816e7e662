"""`python -m arkiv5_journal serve|migrate`."""

from arkiv5_kit.cli import run_service_cli

from .app import create_app
from .settings import JournalSettings

if __name__ == "__main__":
    run_service_cli(JournalSettings, create_app)
