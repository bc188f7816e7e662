"""`arkiv5-journal serve|migrate|export|validate-extraction` (also `python -m arkiv5_journal …`)."""

import sys


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from .uttrekk import cli as uttrekk_cli

    if argv and argv[0] in uttrekk_cli.COMMANDS:
        return uttrekk_cli.main(argv)
    from .migrering import cli as migrering_cli

    if argv and argv[0] in migrering_cli.COMMANDS:
        return migrering_cli.main(argv)
    # The service and its routers are imported only to serve or migrate.
    from arkiv5_kit.cli import run_service_cli

    from .app import create_app
    from .settings import JournalSettings

    run_service_cli(JournalSettings, create_app, argv)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
