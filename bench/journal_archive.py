"""Data generator for the journal search benchmark: a synthetic archive written straight into PostgreSQL.

`await generate(database_url, journalposts=1_000_000)` fills an empty, migrated journal
database with saksmapper (one per ten journalposts), journalposts with Norwegian titles and
correspondents, and their search texts, in set-based SQL (generate_series), so a million
rows take about a minute rather than hours through the API. About 5 % are screened.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.engine import make_url

WORDS = [
    "søknad", "byggesøknad", "klage", "vedtak", "melding", "tilsyn", "barnehageplass", "sosialhjelp",
    "bostøtte", "skjenkebevilling", "dispensasjon", "reguleringsplan", "garasje", "tilbygg", "oppmåling",
    "feiing", "renovasjon", "vannmåler", "startlån", "introduksjonsprogram", "skoleskyss", "spesialundervisning",
    "parkering", "brannsyn", "avløp", "eiendomsskatt", "kulturmidler", "idrettshall", "veilys", "brøyting",
]
NAMES = ["Ola Nordmann", "Kari Hansen", "Per Olsen", "Anne Berg", "Lindesnes Bygg AS", "Mandal Rør AS",
         "Nils Johansen", "Ingrid Dahl", "Sør Elektro AS", "Astrid Lie"]
UNITS = 20


def _array(values: list[str]) -> str:
    return "(ARRAY[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "])"


W, N = _array(WORDS), _array(NAMES)


async def generate(database_url: str, *, journalposts: int = 1_000_000, arkivdel_id: str) -> None:
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    cases = max(1, journalposts // 10)
    try:
        await connection.execute("SELECT setseed(0.42)")
        # random() per row (not in a LATERAL subquery, which PostgreSQL would evaluate once):
        # words, names and dates independent of each other, as in a real archive.
        await connection.execute(f"""
            INSERT INTO saksmappe (system_id, arkivdel_id, mappe_id, saksaar, sakssekvensnummer, saksdato, tittel,
                offentlig_tittel, administrativ_enhet_id, saksstatus, skjerming_metadata, siste_journalpostnummer,
                opprettet_dato, opprettet_av)
            SELECT gen_random_uuid(), '{arkivdel_id}', d.aar || '/' || (1000000 + d.i), d.aar, 1000000 + d.i,
                   d.dato, d.t, d.t,
                   ('00000000-0000-4000-8000-' || lpad((d.i % {UNITS})::text, 12, '0'))::uuid, 'B', '[]'::json, 10,
                   now(), 'generator'
            FROM (SELECT i, extract(year FROM dt)::int AS aar, dt AS dato,
                         {W}[1 + floor(random() * {len(WORDS)})::int] || ' ' ||
                         {W}[1 + floor(random() * {len(WORDS)})::int] AS t
                  FROM (SELECT i, date '2016-01-01' + floor(random() * 3650)::int AS dt
                        FROM generate_series(1, {cases}) AS i) AS g) AS d
        """)
        await connection.execute(f"""
            INSERT INTO journalpost (system_id, saksmappe_id, journalaar, journalsekvensnummer, journalpostnummer,
                journalposttype, journalstatus, journaldato, tittel, offentlig_tittel, er_vedtak,
                administrativ_enhet_id, skjerming_metadata, tilgangsrestriksjon, skjermingshjemmel,
                er_etterregistrert, har_forsendelsesfeil, opprettet_dato, opprettet_av)
            SELECT gen_random_uuid(), x.saksmappe_id, extract(year FROM x.dato)::int,
                   1000000 + x.sakssekvensnummer * 10 + x.n, x.n,
                   (ARRAY['I','U','N','X'])[1 + floor(random() * 4)::int],
                   (ARRAY['J','E','A','F'])[1 + floor(random() * 4)::int],
                   x.dato, x.t, CASE WHEN x.screened THEN '*****' ELSE x.t END, false,
                   x.administrativ_enhet_id,
                   CASE WHEN x.screened THEN '["TRO","NA"]'::json ELSE '[]'::json END,
                   CASE WHEN x.screened THEN '6' END, CASE WHEN x.screened THEN 'Offl. § 13' END,
                   false, false, now(), 'generator'
            FROM (SELECT s.system_id AS saksmappe_id, s.sakssekvensnummer, s.administrativ_enhet_id, n,
                         s.saksdato + floor(random() * 60)::int AS dato,
                         {W}[1 + floor(random() * {len(WORDS)})::int] || ' ' ||
                         {W}[1 + floor(random() * {len(WORDS)})::int] || ' ' ||
                         {N}[1 + floor(random() * {len(NAMES)})::int] AS t,
                         random() < 0.05 AS screened
                  FROM saksmappe s, generate_series(1, 10) AS n
                  WHERE s.opprettet_av = 'generator') AS x
        """)
        await connection.execute("""
            INSERT INTO journalpost_sok (journalpost_id, offentlig_tekst, full_tekst, journaldato, opprettet_dato,
                journalaar, journalstatus, journalposttype, administrativ_enhet_id, saksbehandler_id)
            SELECT j.system_id, lower(j.offentlig_tittel || ' ' || s.offentlig_tittel), lower(j.tittel || ' ' || s.tittel),
                   j.journaldato, j.opprettet_dato, j.journalaar, j.journalstatus, j.journalposttype,
                   j.administrativ_enhet_id, j.saksbehandler_id
            FROM journalpost j JOIN saksmappe s ON s.system_id = j.saksmappe_id
            WHERE j.opprettet_av = 'generator'
        """)
        # What autovacuum does soon after a bulk load (journal_0005 makes it eager on
        # journalpost_sok): statistics, and the visibility map the index-only scans need.
        await connection.execute("VACUUM (ANALYZE) saksmappe, journalpost, journalpost_sok")
    finally:
        await connection.close()
