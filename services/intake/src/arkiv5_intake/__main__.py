"""`python -m arkiv5_intake serve|migrate`."""

from arkiv5_kit.cli import run_service_cli

from .app import create_app
from .settings import IntakeSettings

if __name__ == "__main__":
    run_service_cli(IntakeSettings, create_app)
