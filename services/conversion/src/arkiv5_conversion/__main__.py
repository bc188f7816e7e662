"""`python -m arkiv5_conversion serve|migrate`."""

from arkiv5_kit.cli import run_service_cli

from .app import create_app
from .settings import ConversionSettings

if __name__ == "__main__":
    run_service_cli(ConversionSettings, create_app)
