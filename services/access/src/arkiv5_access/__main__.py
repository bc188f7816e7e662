"""`python -m arkiv5_access serve|migrate`."""

from arkiv5_kit.cli import run_service_cli

from .app import create_app
from .settings import AccessSettings

if __name__ == "__main__":
    run_service_cli(AccessSettings, create_app)
