"""Journal numbers taken at commit: a deferred constraint trigger on journalpost.

PostgreSQL only (SQLite serialises all writers anyway; there the registration takes the
number itself, see numbering.py). The gapless series row must stay locked from the moment
a number is taken until the registering transaction ends. Taken by the application, that
lock spans a round trip and the wait for the application to send COMMIT, and under load
every other registration queues behind it. A DEFERRABLE INITIALLY DEFERRED trigger runs
inside the COMMIT: it takes the number, sets it on the journalpost, logs it in the
endringslogg and sets it into the journalpost's unpublished events (built with a
placeholder), so the lock is held only while the commit itself runs. A rollback never takes
a number. A journalpost inserted with its number (an import) is left as it is.

Revision ID: journal_0006
Revises: journal_0005
Create Date: 2026-11-21
"""

from alembic import op

revision = "journal_0006"
down_revision = "journal_0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE FUNCTION journal_assign_journalsekvensnummer() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            nummer integer;
        BEGIN
            IF NEW.journalsekvensnummer IS NOT NULL THEN
                RETURN NULL;
            END IF;
            INSERT INTO nummerserie (serie, aar, sist_tildelt) VALUES ('journalnummer', NEW.journalaar, 1)
                ON CONFLICT (serie, aar) DO UPDATE SET sist_tildelt = nummerserie.sist_tildelt + 1
                RETURNING sist_tildelt INTO nummer;
            UPDATE journalpost SET journalsekvensnummer = nummer WHERE system_id = NEW.system_id;
            INSERT INTO endringslogg (id, referanse_arkivenhet, arkivenhet_type, referanse_metadata, endret_dato,
                                      endret_av, tidligere_verdi, ny_verdi)
                VALUES (gen_random_uuid(), NEW.system_id, 'journalpost', 'journalsekvensnummer', NEW.opprettet_dato,
                        NEW.opprettet_av, NULL, nummer::text);
            UPDATE outbox SET payload = jsonb_set(payload::jsonb, '{journalsekvensnummer}', to_jsonb(nummer))::text
                WHERE message_key = NEW.system_id::text AND published_at IS NULL
                  AND payload::jsonb ? 'journalsekvensnummer';
            RETURN NULL;
        END
        $$
    """)
    op.execute("""
        CREATE CONSTRAINT TRIGGER journalpost_journalsekvensnummer AFTER INSERT ON journalpost
            DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION journal_assign_journalsekvensnummer()
    """)
    # The trigger finds the journalpost's events among the unpublished ones by key.
    op.execute("CREATE INDEX ix_outbox_unpublished_key ON outbox (message_key) WHERE published_at IS NULL")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_outbox_unpublished_key")
    op.execute("DROP TRIGGER journalpost_journalsekvensnummer ON journalpost")
    op.execute("DROP FUNCTION journal_assign_journalsekvensnummer()")
