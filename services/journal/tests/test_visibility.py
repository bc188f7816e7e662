"""What each caller sees of a screened journalpost: per skjerming code, role and field, on every way out.

The expected cell comes from the code list's meaning (Noark 5 skjermingMetadata), written
here as a table — not from the journal's screening module: TRO/M screen the title, NA/M the
sender, NM/M the recipient, TD/M (and a screened title) the document titles, MT/M the
remarks; a fødselsnummer is shown only to a cleared caller. The same masking must hold for
the read, the list, search and for the answers to writes (a correction that changes
nothing, a status change), where a writer without clearance must learn nothing new.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import httpx

from .conftest import FNR, UNIT, Journal, case, incoming

CODES = ["TRO", "NA", "NM", "TD", "MT", "M", None]
FIELDS = ["tittel", "avsender", "mottaker", "dokumenttittel", "merknad", "foedselsnummer"]

# Which fields each skjermingMetadata code screens, by the code list's meaning.
SCREENS: dict[str | None, set[str]] = {
    "TRO": {"tittel", "dokumenttittel"},
    "NA": {"avsender"},
    "NM": {"mottaker"},
    "TD": {"dokumenttittel"},
    "MT": {"merknad"},
    "M": {"tittel", "avsender", "mottaker", "dokumenttittel", "merknad"},
    None: set(),
}

# role name -> (roles, access codes, whether the role is cleared for the code "6")
ROLES = {
    "arkivar": (["arkivtjeneste"], ["6"], True),
    "leser": (["lesetilgang"], [], False),
    "leder": (["leder"], [], False),
}

SECRET = "Hemmeligsen"
"""Marked skjermet (skjermedeOrd) on every screened journalpost: screened in every field."""
SHOWN = "Olavsdottir"
"""Beside it in every field, unmarked: shown wherever the code does not screen the whole field."""
PDF = b"%PDF-1.7\n" + b"x" * 200 + b"\n%%EOF\n"


def expected_visible(code: str | None, role: str, field: str) -> bool:
    """Whether the field is shown at all (not replaced by ***** or left out)."""
    cleared = ROLES[role][2]
    if cleared or code is None:
        return True
    if field == "foedselsnummer":
        return False  # a screened record's identity numbers are for cleared case work only
    if SCREENS[code] & {"avsender", "mottaker"}:
        return False  # a screened name is a screened word: masked wherever it stands
    if field == "tittel":
        return True  # the title is then offentligTittel: shown, with the screened words masked
    return field not in SCREENS[code]


def expected_secret(code: str | None, role: str, field: str) -> bool:
    """Whether the word marked skjermet shows in the field: a marked word is screened in every field."""
    if field == "foedselsnummer":
        return expected_visible(code, role, field)
    return ROLES[role][2] or code is None


def seen(journalpost: dict[str, Any], marker: str) -> dict[str, bool]:
    """For each field, whether the marker (a word of each field's text) or the fødselsnummer is in the answer."""
    parts = {p["korrespondanseparttype"]["kode"]: p for p in journalpost["korrespondansepart"]}
    return {
        "tittel": marker in journalpost["tittel"],
        "avsender": marker in (parts["EA"]["korrespondansepartNavn"] or ""),
        "mottaker": marker in (parts["EM"]["korrespondansepartNavn"] or ""),
        "dokumenttittel": any(marker in d["tittel"] for d in journalpost["dokumentbeskrivelse"]),
        "merknad": any(marker in m["merknadstekst"] for m in journalpost["merknad"]),
        "foedselsnummer": parts["EA"]["foedselsnummer"] == FNR,
    }


async def _register(journal: Journal, headers: dict[str, str], saksmappe: str, code: str | None) -> str:
    metadata: dict[str, Any] = {
        "journalposttype": "I", "mottattDato": "2026-11-20", "tittel": f"Søknad fra {SHOWN} {SECRET}",
        "korrespondansepart": [
            {"korrespondanseparttype": "EA", "korrespondansepartNavn": f"{SHOWN} {SECRET}", "foedselsnummer": FNR},
            {"korrespondanseparttype": "EM", "korrespondansepartNavn": f"{SHOWN} {SECRET}"},
        ],
        "dokumentbeskrivelse": [{"fil": "brev", "tittel": f"Brev fra {SHOWN} {SECRET}"}],
    }
    if code is not None:
        metadata["skjermedeOrd"] = [SECRET]
        metadata["skjerming"] = {"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13",
                                 "skjermingMetadata": [code]}
    request = httpx.Request("POST", "http://t/", data={"journalpost": json.dumps(metadata)},
                            files={"brev": ("brev.pdf", PDF, "application/pdf")})
    response = await journal.client.post(f"/saksmapper/{saksmappe}/journalposter", content=request.read(),
                                         headers={**headers, "Content-Type": request.headers["Content-Type"]})
    assert response.status_code == 201, response.text
    jp = response.json()["systemID"]
    remark = await journal.client.post(f"/journalposter/{jp}/merknader", headers=headers,
                                       json={"merknadstekst": f"Ringte {SHOWN} {SECRET}"})
    assert remark.status_code == 201, remark.text
    return jp


async def test_each_caller_sees_each_field_as_the_code_list_says_on_every_way_out(journal: Journal) -> None:
    for name, (roles, codes, _cleared) in ROLES.items():
        await journal.grant(name, roles=roles, codes=codes, led=[UNIT] if "leder" in roles else None)
    arkivar = journal.person("arkivar")
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=arkivar)).json()["systemID"]
    posts = {code: await _register(journal, arkivar, saksmappe, code) for code in CODES}

    wrong = []
    uncleared_write_answers = 0
    for role in ROLES:
        headers = journal.person(role)
        listed = await journal.client.get(f"/saksmapper/{saksmappe}/journalposter", headers=headers)
        assert listed.status_code == 200, listed.text
        by_id = {r["systemID"]: r for r in listed.json()["results"]}
        for code, jp in posts.items():
            read = await journal.client.get(f"/journalposter/{jp}", headers=headers)
            assert read.status_code == 200, read.text
            ways = {"read": read.json(), "case list": by_id[jp]}
            patched = await journal.client.patch(
                f"/journalposter/{jp}", json={"forfallsdato": "2027-01-01"},
                headers={**headers, "Content-Type": "application/merge-patch+json", "If-Match": read.headers["ETag"]})
            if patched.status_code == 200:
                ways["correction answer"] = patched.json()
            if not ROLES[role][2] and code is not None:
                uncleared_write_answers += len(ways) - 2
            remark = await journal.client.post(f"/journalposter/{jp}/merknader", headers=headers,
                                               json={"merknadstekst": "Sett"})
            if remark.status_code == 201:
                # The answer to adding a remark shows only the new remark, which holds no secret.
                assert SECRET not in remark.text
            for way, answer in ways.items():
                shown, secret = seen(answer, SHOWN), seen(answer, SECRET)
                for field in FIELDS:
                    if way == "case list" and field in ("merknad",):
                        continue
                    if shown[field] != expected_visible(code, role, field):
                        wrong.append(f"{role} / {code} / {field} / {way}: visible={shown[field]}")
                    if secret[field] != expected_secret(code, role, field):
                        wrong.append(f"{role} / {code} / {field} / {way}: marked word visible={secret[field]}")
    assert not wrong, "\n".join(wrong)
    assert uncleared_write_answers > 0, "no write answer to a caller without clearance was checked"


async def test_a_writer_without_clearance_learns_nothing_from_a_correction_that_changes_nothing(
        journal: Journal) -> None:
    """The no-op PATCH of a screened case answers the case masked, as a read would."""
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    await journal.grant("leder", roles=["leder"], led=[UNIT])
    skjerming = {"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13", "skjermingMetadata": ["TMO", "NPS"]}
    created = await journal.client.post(
        "/saksmapper", headers=journal.person("arkivar"),
        json=case(tittel=f"Barnevern Ola {SECRET}", skjermedeOrd=[SECRET], skjerming=skjerming,
                  klient={"partNavn": f"Ola {SECRET}", "foedselsnummer": FNR}))
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    leder = journal.person("leder")
    read = await journal.client.get(url, headers=leder)
    assert read.status_code == 200 and SECRET not in read.text and FNR not in read.text
    patched = await journal.client.patch(url, json={"saksansvarlig": None}, headers={
        **leder, "Content-Type": "application/merge-patch+json", "If-Match": read.headers["ETag"]})
    if patched.status_code == 200:
        assert SECRET not in patched.text and FNR not in patched.text
    else:
        assert patched.status_code == 403, patched.text
    closed = await journal.client.post(f"{url}/avslutt", headers=leder)
    assert SECRET not in closed.text and FNR not in closed.text


async def test_the_etag_is_a_version_not_a_digest_of_the_content(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    arkivar = journal.person("arkivar")
    created = await journal.client.post("/saksmapper", json=case(tittel="Første tittel"), headers=arkivar)
    url = created.headers["location"]
    first = (await journal.client.get(url, headers=arkivar)).headers["ETag"]
    tag = first
    for title in ("Andre tittel", "Første tittel"):
        patched = await journal.client.patch(url, json={"tittel": title}, headers={
            **arkivar, "Content-Type": "application/merge-patch+json", "If-Match": tag})
        assert patched.status_code == 200, patched.text
        tag = patched.headers["ETag"]
    # The same content as at first, but two changes later: a digest of the columns would repeat itself.
    assert tag != first
    unchanged = await journal.client.patch(url, json={"tittel": "Første tittel"}, headers={
        **arkivar, "Content-Type": "application/merge-patch+json", "If-Match": tag})
    assert unchanged.headers["ETag"] == tag
    stale = await journal.client.patch(url, json={"tittel": "Tredje"}, headers={
        **arkivar, "Content-Type": "application/merge-patch+json", "If-Match": first})
    assert stale.status_code == 412


async def test_a_screened_word_and_a_client_are_screened_in_every_field_without_anyone_marking_them(
        journal: Journal) -> None:
    """The README's letter: "Ola Hansen" marked skjermet in the title is masked beside it too (the
    korrespondansepart in the public journal). In a client's case, a title, a remark and a document
    title that name the client unmarked show the name to no reader without clearance — in the
    read, the lists, search, the public journal and the postjournal."""
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6", "KL"])
    await journal.grant("leser", roles=["lesetilgang"])
    arkivar, leser = journal.person("arkivar"), journal.person("leser")
    open_case = (await journal.client.post("/saksmapper", json=case(), headers=arkivar)).json()["systemID"]
    letter = incoming(tittel="Søknad om tilbygg fra Ola Hansen", skjermedeOrd=["Ola Hansen"],
                      korrespondansepart=[{"korrespondanseparttype": "EA", "korrespondansepartNavn": "Ola Hansen",
                                           "postadresse": ["Storgata 1"], "postnummer": "4514", "poststed": "Mandal"}])
    assert (await journal.client.post(f"/saksmapper/{open_case}/journalposter", json=letter,
                                      headers=arkivar)).status_code == 201
    today = date.today().isoformat()
    public = await journal.client.get("/rapporter/offentlig-journal", params={"fra": today, "til": today},
                                      headers=leser)
    assert public.status_code == 200, public.text
    [row] = public.json()
    assert row["offentligTittel"] == "Søknad om tilbygg fra *****"
    assert row["korrespondansepart"] == ["*****"], "the marked name stood beside the masked title"

    client = "Ingvild Tverrbakken"
    created = await journal.client.post("/saksmapper", headers=arkivar, json=case(
        tittel="Oppfølging", klient={"partNavn": client, "foedselsnummer": FNR}))
    assert created.status_code == 201, created.text
    client_case = created.json()["systemID"]
    registered = await journal.client.post(f"/saksmapper/{client_case}/journalposter", headers=arkivar, json=incoming(
        tittel=f"Samtale med {client}", korrespondansepart=[
            {"korrespondanseparttype": "EA", "korrespondansepartNavn": "Per Verge", "foedselsnummer": FNR}]))
    assert registered.status_code == 201, registered.text
    jp = registered.json()["systemID"]
    for path in (f"/saksmapper/{client_case}/merknader", f"/journalposter/{jp}/merknader"):
        assert (await journal.client.post(path, headers=arkivar, json={
            "merknadstekst": f"{client.split()[0]} ringte om Per Verge"})).status_code == 201
    uploaded = await journal.client.post(f"/journalposter/{jp}/dokumenter", params={"tittel": f"Notat {client}"},
                                         content=PDF, headers={**arkivar, "Content-Type": "application/pdf"})
    assert uploaded.status_code == 201, uploaded.text

    reads = {
        "case": f"/saksmapper/{client_case}", "case remarks": f"/saksmapper/{client_case}/merknader",
        "case list": f"/saksmapper/{client_case}/journalposter", "journalpost": f"/journalposter/{jp}",
        "remarks": f"/journalposter/{jp}/merknader", "list": "/journalposter",
        "search": "/sok?q=Samtale", "search by name": "/sok?q=Tverrbakken",
        "public journal": f"/rapporter/offentlig-journal?fra={today}&til={today}",
        "postjournal": f"/rapporter/postjournal?fra={today}&til={today}",
    }
    control = await journal.client.get(f"/journalposter/{jp}", headers=arkivar)
    assert client in control.text and "Per Verge" in control.text, "the cleared reader sees what was planted"
    for way, path in reads.items():
        answer = await journal.client.get(path, headers=leser)
        assert answer.status_code == 200, (way, answer.text)
        for word in (client, *client.split(), "Per Verge", "Verge", FNR):
            assert word not in answer.text, f"{word} reached a reader without clearance through the {way}"
    hits = (await journal.client.get("/sok", params={"q": "Samtale"}, headers=leser)).json()
    assert hits["count"] == 1, "the post is found by its public words, shown masked"
    assert (await journal.client.get("/sok", params={"q": "Tverrbakken"}, headers=leser)).json()["count"] == 0


async def test_making_oneself_responsible_for_a_restricted_case_is_no_way_to_clearance(journal: Journal) -> None:
    """A leader without clearance for a restricted case in her unit tree may not set herself as
    saksansvarlig (nor distribute its journalpost to herself) and still reads it masked; the
    archive service, or a leader cleared for the code, may change who is responsible."""
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    leder_id = await journal.grant("leder", roles=["leder"], led=[UNIT])
    cleared_id = await journal.grant("klarert", roles=["leder"], led=[UNIT], codes=["6"])
    arkivar, leder = journal.person("arkivar"), journal.person("leder")
    skjerming = {"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13", "skjermingMetadata": ["TMO"]}
    created = await journal.client.post("/saksmapper", headers=arkivar, json=case(
        tittel=f"Barnevern {SECRET}", skjermedeOrd=[SECRET], skjerming=skjerming))
    assert created.status_code == 201, created.text
    url = created.headers["location"]
    registered = await journal.client.post(f"{url}/journalposter", headers=arkivar, json=incoming(
        tittel=f"Melding om {SECRET}", skjermedeOrd=[SECRET]))
    assert registered.status_code == 201, registered.text
    jp = registered.json()["systemID"]

    read = await journal.client.get(url, headers=leder)
    assert read.status_code == 200 and SECRET not in read.text
    patched = await journal.client.patch(url, json={"saksansvarlig": str(leder_id)}, headers={
        **leder, "Content-Type": "application/merge-patch+json", "If-Match": read.headers["ETag"]})
    assert patched.status_code == 403, patched.text
    assert patched.json()["rule"] == "assign.restricted.not-cleared"
    distributed = await journal.client.post(f"/journalposter/{jp}/fordeling", json={"saksbehandler": str(leder_id)},
                                            headers=leder)
    assert distributed.status_code == 403, distributed.text
    for path in (url, f"/journalposter/{jp}"):
        again = await journal.client.get(path, headers=leder)
        assert again.status_code == 200 and SECRET not in again.text, path

    # A leader cleared for the code, and the archive service, may change who is responsible.
    cleared = journal.person("klarert")
    tag = (await journal.client.get(url, headers=cleared)).headers["ETag"]
    by_cleared = await journal.client.patch(url, json={"saksansvarlig": str(cleared_id)}, headers={
        **cleared, "Content-Type": "application/merge-patch+json", "If-Match": tag})
    assert by_cleared.status_code == 200, by_cleared.text
    by_archive = await journal.client.patch(url, json={"saksansvarlig": None}, headers={
        **arkivar, "Content-Type": "application/merge-patch+json", "If-Match": by_cleared.headers["ETag"]})
    assert by_archive.status_code == 200, by_archive.text
