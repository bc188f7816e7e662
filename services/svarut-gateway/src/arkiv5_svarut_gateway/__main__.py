"""`python -m arkiv5_svarut_gateway serve|migrate`."""

from arkiv5_kit.cli import run_service_cli

from .app import create_app
from .settings import SvarutGatewaySettings

if __name__ == "__main__":
    run_service_cli(SvarutGatewaySettings, create_app)
