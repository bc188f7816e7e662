"""`arkiv5-journal serve|migrate|export|validate-extraction` (also `python -m arkiv5_journal …`)."""

import sys

from arkiv5_kit.cli import run_service_cli

from .app import create_app
from .settings import JournalSettings
from .uttrekk import cli as uttrekk_cli


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] in uttrekk_cli.COMMANDS:
        return uttrekk_cli.main(argv)
    run_service_cli(JournalSettings, create_app, argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
