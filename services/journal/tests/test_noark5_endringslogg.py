"""Loggingogsporing: the endringslogg of a saksmappe and a journalpost, reached from the record
by its link, paged, each entry read by its own link; only for a caller who may see the
record in full, exactly as our own change log.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from typing import Any

from .conftest import Journal
from .test_noark5_api import (
    _arkivar_leser_and_case,
    _get,
    _handler,
    _new_case,
    _new_journalpost,
    _screened_journalpost,
    rel,
)

LOG = rel("loggingogsporing/endringslogg")


def _log_href(record: dict[str, Any]) -> str:
    assert record["_links"][LOG].get("templated") is True
    return str(record["_links"][LOG]["href"]).split("{")[0]


async def _entries(journal: Journal, href: str, headers: dict[str, str]) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    next_href: str | None = href
    while next_href is not None:
        page = (await _get(journal, next_href, headers)).json()
        entries += page["results"]
        next_href = page["_links"].get("next", {}).get("href")
    return entries


async def test_a_records_change_log_is_reached_from_it_paged_and_read_entry_by_entry(journal: Journal) -> None:
    headers, person = await _handler(journal)
    saksmappe = (await _new_case(journal, headers, person)).json()
    read = await _get(journal, saksmappe["_links"]["self"]["href"], headers)
    changed = await journal.client.patch(saksmappe["_links"]["self"]["href"], json={"tittel": "Byggesak Storgata 2"},
                                         headers={**headers, "Content-Type": "application/merge-patch+json",
                                                  "If-Match": read.headers["etag"]})
    assert changed.status_code == 200, changed.text

    log = await _entries(journal, _log_href(changed.json()) + "?$top=2", headers)
    assert all(e["referanseArkivenhet"] == saksmappe["systemID"] for e in log)
    titles = [e for e in log if e["referanseMetadata"] == "tittel"]
    assert [(e.get("tidligereVerdi"), e["nyVerdi"]) for e in titles] == [
        (None, "Byggesak Storgata 1"), ("Byggesak Storgata 1", "Byggesak Storgata 2")]
    assert titles[-1]["endretAv"] == titles[-1]["referanseEndretAv"] == person
    assert titles[-1]["endretDato"].endswith(("Z", "+00:00")), "dates carry a time zone"
    assert len({e["systemID"] for e in log}) == len(log) > 2
    whole = (await _get(journal, _log_href(changed.json()) + "?$top=100", headers)).json()
    assert [e["systemID"] for e in whole["results"]] == [e["systemID"] for e in log]
    for entry in titles:
        assert (await _get(journal, entry["_links"]["self"]["href"], headers)).json() == entry

    journalpost = (await _new_journalpost(journal, headers, saksmappe)).json()
    jp_log = await _entries(journal, _log_href(journalpost), headers)
    # The journalpost's log holds its parties' rows too (as our own change log does).
    assert {e["referanseArkivenhet"] for e in jp_log} >= {journalpost["systemID"]}
    assert len({e["referanseArkivenhet"] for e in jp_log}) == 3  # the journalpost and its two parties
    await _get(journal, _log_href(journalpost) + "?$orderby=endretDato", headers, status=400)


async def test_a_screened_records_log_is_neither_linked_nor_served_to_a_caller_not_cleared(
        journal: Journal) -> None:
    arkivar, leser, saksmappe = await _arkivar_leser_and_case(journal)
    screened = await _screened_journalpost(journal, arkivar, saksmappe, "Klage fra Hemmeligsen")
    assert screened.status_code == 201, screened.text
    own = screened.json()["_links"]["self"]["href"]
    cleared = (await _get(journal, own, arkivar)).json()
    log = await _entries(journal, _log_href(cleared), arkivar)
    assert any("Hemmeligsen" in (e.get("nyVerdi") or "") for e in log)

    masked = (await _get(journal, own, leser)).json()
    assert masked["erSkjermetForDeg"] is True and LOG not in masked["_links"]
    refused = (await _get(journal, _log_href(cleared), leser, status=403)).json()
    assert refused["feil"]["kode"] == 403 and "Hemmeligsen" not in str(refused)
    entry = (await _get(journal, log[0]["_links"]["self"]["href"], leser, status=403)).json()
    assert "Hemmeligsen" not in str(entry)
    # The unscreened case's own log is the reader's to see.
    case = (await _get(journal, saksmappe["_links"]["self"]["href"], leser)).json()
    assert await _entries(journal, _log_href(case), leser)


async def test_an_unknown_entry_or_record_is_a_404(journal: Journal) -> None:
    headers, _person = await _handler(journal)
    missing = "00000000-0000-4000-8000-0000000000ff"
    for path in (f"loggingogsporing/endringslogg/{missing}/", f"sakarkiv/saksmappe/{missing}/endringslogg/",
                 f"sakarkiv/journalpost/{missing}/endringslogg/"):
        answer = (await _get(journal, "/noark5/api/" + path, headers, status=404)).json()
        assert answer["feil"]["kode"] == 404
