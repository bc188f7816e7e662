"""The Noark 5 service interface (tjenestegrensesnitt) as an external client uses it: it knows only
the root, logs in through the rel the root advertises, and from there follows `_links` alone.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import FNR, UNIT, Journal, incoming

ROOT = "/noark5/api/"
REL = "https://rel.arkivverket.no/noark5/v5/api/"
NOARK5 = "application/vnd.noark5+json"
ACCEPT = {"Accept": NOARK5}
PDF = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


def rel(name: str) -> str:
    return f"{REL}{name}/"


async def _get(journal: Journal, href: str, headers: dict[str, str], status: int = 200) -> Any:
    response = await journal.client.get(href, headers={**ACCEPT, **headers})
    assert response.status_code == status, response.text
    return response


async def _package(journal: Journal, headers: dict[str, str], name: str) -> dict[str, Any]:
    root = (await _get(journal, ROOT, headers)).json()
    return dict((await _get(journal, root["_links"][rel(name)]["href"], headers)).json())


def _list_href(links: dict[str, Any], name: str) -> str:
    """A templated list link without its template part."""
    return str(links[rel(name)]["href"]).split("{")[0]


async def _handler(journal: Journal) -> tuple[dict[str, str], str]:
    person = await journal.grant("saksbehandler", roles=["saksbehandler"])
    return journal.person("saksbehandler"), str(person)


async def _new_case(journal: Journal, headers: dict[str, str], person: str, **fields: Any) -> httpx.Response:
    sakarkiv = await _package(journal, headers, "sakarkiv")
    href = sakarkiv["_links"][rel("sakarkiv/ny-saksmappe")]["href"]
    template = (await _get(journal, href, headers)).json()
    assert template["saksstatus"]["kode"] == "B"
    body = {**template, "tittel": "Byggesak Storgata 1", "administrativEnhet": str(UNIT), "saksansvarlig": person,
            **fields}
    return await journal.client.post(href, json=body, headers={**ACCEPT, **headers, "Content-Type": NOARK5})


async def _new_journalpost(journal: Journal, headers: dict[str, str], saksmappe: dict[str, Any],
                           **fields: Any) -> httpx.Response:
    href = saksmappe["_links"][rel("sakarkiv/ny-journalpost")]["href"]
    template = (await _get(journal, href, headers)).json()
    body = {**template, **incoming(**fields)}
    return await journal.client.post(href, json=body, headers={**ACCEPT, **headers, "Content-Type": NOARK5})


SKJERMING = {"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13", "skjermingMetadata": ["TRO", "NA"]}


async def _arkivar_leser_and_case(journal: Journal) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """An arkivar cleared for code 6, a reader without clearance, and a case the arkivar made."""
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    await journal.grant("leser", roles=["lesetilgang"])
    arkivar, leser = journal.person("arkivar"), journal.person("leser")
    sakarkiv = await _package(journal, arkivar, "sakarkiv")
    created = await journal.client.post(sakarkiv["_links"][rel("sakarkiv/ny-saksmappe")]["href"], headers=arkivar,
                                        json={"tittel": "Byggesak", "administrativEnhet": str(UNIT)})
    assert created.status_code == 201, created.text
    return arkivar, leser, created.json()


async def _screened_journalpost(journal: Journal, arkivar: dict[str, str], saksmappe: dict[str, Any],
                                tittel: str) -> httpx.Response:
    """A journalpost screened by code 6 whose title hides «Hemmeligsen», from the party Kari Hemmeligsen."""
    return await _new_journalpost(
        journal, arkivar, saksmappe, tittel=tittel, skjermedeOrd=["Hemmeligsen"], skjerming=SKJERMING,
        korrespondansepart=[{"korrespondanseparttype": "EA", "korrespondansepartNavn": "Kari Hemmeligsen",
                             "foedselsnummer": FNR}])


async def test_the_anonymous_root_advertises_login_and_the_logged_in_root_the_packages(journal: Journal) -> None:
    anonymous = await _get(journal, ROOT, {})
    assert anonymous.headers["content-type"].startswith(NOARK5)
    links = anonymous.json()["_links"]
    assert links[rel("login/rfc6749")]["href"].endswith("/oauth2/token")
    oidc = await _get(journal, links[rel("login/oidc")]["href"], {})
    assert oidc.json()["token_endpoint"] == links[rel("login/rfc6749")]["href"]
    assert rel("sakarkiv") not in links

    headers, _person = await _handler(journal)
    root = (await _get(journal, ROOT, headers)).json()["_links"]
    assert {rel("arkivstruktur"), rel("sakarkiv"), rel("metadata")} <= set(root)
    system = (await _get(journal, root[rel("admin/system")]["href"], headers)).json()
    assert system["protokollversjon"] == "1.1" and system["bulkgrense"] > 0 and system["versjon"]
    assert all(key == "self" or key.startswith(REL) and key.endswith("/") for key in root)
    plain = await journal.client.get(ROOT, headers={**headers, "Accept": "application/json"})
    assert plain.status_code == 200 and plain.headers["content-type"].startswith("application/json")
    refused = await journal.client.get(ROOT, headers={**headers, "Accept": "text/html"})
    assert refused.status_code == 406
    assert refused.json()["feil"] == {"kode": 406, "beskrivelse": refused.json()["detail"]}
    bad_token = await journal.client.get(ROOT, headers={"Authorization": "Bearer nope"})
    assert bad_token.status_code == 401 and bad_token.json()["feil"]["kode"] == 401
    missing = await journal.client.get(root[rel("sakarkiv")]["href"].replace("sakarkiv", "finnesikke"),
                                       headers=headers)
    assert missing.status_code == 404


async def test_the_root_advertises_the_standards_login_rels_beside_the_reference_implementations(
        journal: Journal) -> None:
    links = (await _get(journal, ROOT, {})).json()["_links"]
    for mechanism in ("oidc", "rfc6749", "rfc7617"):
        reference = f"https://nikita.arkivlab.no/noark5/v5/login/{mechanism}/"
        assert links[rel(f"login/{mechanism}")] == links[reference], mechanism
    # HTTP Basic is taken on every request, starting at the root.
    assert links[rel("login/rfc7617")]["href"] == links["self"]["href"]
    # OpenID Connect: the configuration relative to the root, as chapter 4 of the standard places it.
    configuration_url = links[rel("login/oidc")]["href"]
    assert configuration_url == links["self"]["href"] + ".well-known/openid-configuration"
    configuration = (await _get(journal, configuration_url, {})).json()
    # The issuer is the one whose tokens the journal accepts; the JWKS sits beside the token endpoint.
    assert configuration["issuer"] == journal.issuer.issuer
    assert configuration["jwks_uri"] == configuration["token_endpoint"].removesuffix("/oauth2/token") + (
        "/.well-known/jwks.json")
    assert configuration["grant_types_supported"] == ["password", "client_credentials"]
    assert set(configuration["token_endpoint_auth_methods_supported"]) == {"client_secret_basic",
                                                                          "client_secret_post"}
    assert {"journal.read", "journal.write", "journal.admin"} <= set(configuration["scopes_supported"])
    assert configuration["response_types_supported"] == []
    # The reference implementation's address answers the same document.
    old = await _get(journal, ROOT + "login/oidc/.well-known/openid-configuration", {})
    assert old.json() == configuration


async def test_saksmappe_and_journalpost_created_read_and_patched_by_following_links(journal: Journal) -> None:
    headers, person = await _handler(journal)
    created = await _new_case(journal, headers, person)
    assert created.status_code == 201, created.text
    saksmappe = created.json()
    assert created.headers["location"] == saksmappe["_links"]["self"]["href"]
    assert saksmappe["systemID"] and saksmappe["opprettetAv"] and saksmappe["opprettetDato"]
    assert saksmappe["opprettetDato"].endswith(("Z", "+00:00")), "dates carry a time zone"
    assert saksmappe["_links"][rel("sakarkiv/saksmappe")] == saksmappe["_links"]["self"]

    read = await _get(journal, saksmappe["_links"]["self"]["href"], headers)
    assert read.json()["tittel"] == "Byggesak Storgata 1"
    tag = read.headers["etag"]
    patch = {**headers, "Content-Type": "application/merge-patch+json"}
    changed = await journal.client.patch(read.json()["_links"]["self"]["href"], json={"tittel": "Byggesak Storgata 2"},
                                         headers={**patch, "If-Match": tag})
    assert changed.status_code == 200, changed.text
    assert changed.json()["tittel"] == "Byggesak Storgata 2" and changed.headers["etag"] != tag
    stale = await journal.client.patch(saksmappe["_links"]["self"]["href"], json={"tittel": "Byggesak Storgata 3"},
                                       headers={**patch, "If-Match": tag})
    assert stale.status_code == 409 and stale.json()["feil"]["kode"] == 409
    # Some Noark 5 clients send the tag as read in an ETag request header.
    by_etag = await journal.client.patch(saksmappe["_links"]["self"]["href"], json={"tittel": "Byggesak Storgata 3"},
                                         headers={**patch, "ETag": changed.headers["etag"]})
    assert by_etag.status_code == 200, by_etag.text

    second = (await _new_case(journal, headers, person, tittel="Byggesak Storgata 9")).json()
    cases = _list_href((await _package(journal, headers, "sakarkiv"))["_links"], "sakarkiv/saksmappe")
    first_page = (await _get(journal, f"{cases}?$top=1", headers)).json()
    assert [r["systemID"] for r in first_page["results"]] == [second["systemID"]]
    second_page = (await _get(journal, first_page["_links"]["next"]["href"], headers)).json()
    assert [r["systemID"] for r in second_page["results"]] == [saksmappe["systemID"]]
    assert "next" not in second_page["_links"]

    registered = await _new_journalpost(journal, headers, saksmappe)
    assert registered.status_code == 201, registered.text
    journalpost = registered.json()
    assert journalpost["journalpostnummer"] == 1 and journalpost["journalaar"] >= 2026
    assert journalpost["journalstatus"]["kode"] == "J" and journalpost["opprettetAv"]
    assert registered.headers["location"] == journalpost["_links"]["self"]["href"]
    listed = await _get(journal, saksmappe["_links"][rel("sakarkiv/journalpost")]["href"], headers)
    assert [r["systemID"] for r in listed.json()["results"]] == [journalpost["systemID"]]
    back = await _get(journal, journalpost["_links"][rel("arkivstruktur/mappe")]["href"], headers)
    assert back.json()["systemID"] == saksmappe["systemID"]

    read_jp = await _get(journal, journalpost["_links"]["self"]["href"], headers)
    fixed = await journal.client.patch(journalpost["_links"]["self"]["href"], json={"forfallsdato": "2027-01-04"},
                                       headers={**patch, "If-Match": read_jp.headers["etag"]})
    assert fixed.status_code == 200 and fixed.json()["forfallsdato"] == "2027-01-04"
    again = await journal.client.patch(journalpost["_links"]["self"]["href"], json={"forfallsdato": "2027-01-05"},
                                       headers={**patch, "If-Match": read_jp.headers["etag"]})
    assert again.status_code == 409


async def test_put_of_the_object_as_read_changes_its_correctable_fields_only(journal: Journal) -> None:
    headers, person = await _handler(journal)
    saksmappe = (await _new_case(journal, headers, person)).json()
    journalpost = (await _new_journalpost(journal, headers, saksmappe)).json()
    put = {**headers, **ACCEPT, "Content-Type": NOARK5}
    for entity, change, fixed in ((saksmappe, {"tittel": "Byggesak Storgata 5"}, {"saksdato": "2001-01-01"}),
                                  (journalpost, {"forfallsdato": "2027-02-01"}, {"journalposttype": "U"})):
        url = entity["_links"]["self"]["href"]
        read = await _get(journal, url, headers)
        same = await journal.client.put(url, json=read.json(), headers={**put, "If-Match": read.headers["etag"]})
        assert same.status_code == 200 and same.headers["etag"] == read.headers["etag"], same.text
        changed = await journal.client.put(url, json={**read.json(), **change},
                                           headers={**put, "If-Match": read.headers["etag"]})
        assert changed.status_code == 200, changed.text
        assert all(changed.json()[name] == value for name, value in change.items())
        refused = await journal.client.put(url, json={**changed.json(), **fixed},
                                           headers={**put, "If-Match": changed.headers["etag"]})
        assert refused.status_code == 422 and refused.json()["feil"]["kode"] == 422
        stale = await journal.client.put(url, json=read.json(), headers={**put, "If-Match": read.headers["etag"]})
        assert stale.status_code == 409, stale.text
        after = await _get(journal, url, headers)
        assert after.headers["etag"] == changed.headers["etag"]


async def test_refused_input_is_precise_and_writes_nothing(journal: Journal) -> None:
    headers, person = await _handler(journal)
    missing_title = await _new_case(journal, headers, person, tittel=None)
    assert missing_title.status_code == 422
    assert missing_title.json()["feil"]["kode"] == 422
    assert [e["field"] for e in missing_title.json()["errors"]] == ["body.tittel"]
    saksmappe = (await _new_case(journal, headers, person)).json()
    wrong_fnr = await _new_journalpost(journal, headers, saksmappe, korrespondansepart=[
        {"korrespondanseparttype": "EA", "korrespondansepartNavn": "Kari", "foedselsnummer": "01010012345"}])
    assert wrong_fnr.status_code == 422 and "01010012345" not in wrong_fnr.text
    not_json = await journal.client.post(saksmappe["_links"][rel("sakarkiv/ny-journalpost")]["href"],
                                         content=b"tittel=x", headers={**headers, "Content-Type": "text/plain"})
    assert not_json.status_code == 415
    listed = await _get(journal, saksmappe["_links"][rel("sakarkiv/journalpost")]["href"], headers)
    assert listed.json()["count"] == 0


async def test_a_file_uploaded_on_the_fil_link_downloads_byte_exact(journal: Journal) -> None:
    headers, person = await _handler(journal)
    saksmappe = (await _new_case(journal, headers, person)).json()
    journalpost = (await _new_journalpost(journal, headers, saksmappe)).json()
    uploaded = await journal.client.post(
        journalpost["_links"][rel("arkivstruktur/fil")]["href"], content=PDF,
        headers={**ACCEPT, **headers, "Content-Type": "application/pdf",
                 "Content-Disposition": 'attachment; filename="soknad.pdf"'})
    assert uploaded.status_code == 201, uploaded.text
    objekt = uploaded.json()
    assert objekt["filstoerrelse"] == len(PDF) and objekt["format"] == "application/pdf"
    assert uploaded.headers["location"] == objekt["_links"]["self"]["href"]

    documents = await _get(journal, journalpost["_links"][rel("arkivstruktur/dokumentbeskrivelse")]["href"], headers)
    [beskrivelse] = documents.json()["results"]
    assert beskrivelse["tittel"] == "soknad.pdf" and beskrivelse["tilknyttetRegistreringSom"]["kode"] == "H"
    objekter = await _get(journal, beskrivelse["_links"][rel("arkivstruktur/dokumentobjekt")]["href"], headers)
    [listed] = objekter.json()["results"]
    assert listed["systemID"] == objekt["systemID"]
    file_href = listed["_links"][rel("arkivstruktur/fil")]["href"]
    download = await journal.client.get(file_href, headers={**headers, "Accept": "application/pdf"})
    assert download.status_code == 200
    assert download.content == PDF and download.headers["content-type"] == "application/pdf"
    anything = await journal.client.get(file_href, headers={**headers, "Accept": "*/*"})
    assert anything.content == PDF
    refused = await journal.client.get(file_href, headers={**headers, "Accept": "text/plain"})
    assert refused.status_code == 406 and refused.json()["feil"]["kode"] == 406


async def test_odata_filters_and_pages_the_journalpost_list(journal: Journal) -> None:
    headers, person = await _handler(journal)
    saksmappe = (await _new_case(journal, headers, person)).json()
    for _ in range(3):
        assert (await _new_journalpost(journal, headers, saksmappe)).status_code == 201
    outgoing = {"journalposttype": "U", "mottattDato": None,
                "korrespondansepart": [{"korrespondanseparttype": "EM", "korrespondansepartNavn": "Ola"}]}
    for _ in range(2):
        response = await _new_journalpost(journal, headers, saksmappe, **outgoing)
        assert response.status_code == 201, response.text
    links = (await _package(journal, headers, "sakarkiv"))["_links"]
    assert links[rel("sakarkiv/journalpost")]["templated"] is True
    href = _list_href(links, "sakarkiv/journalpost")
    newest = (await _get(journal, href, headers)).json()["results"][0]
    year = newest["journalaar"]
    month, day = (int(part) for part in newest["journaldato"].split("-")[1:])

    async def count(filter_: str) -> int:
        response = await journal.client.get(href, params={"$filter": filter_}, headers=headers)
        assert response.status_code == 200, response.text
        return int(response.json()["count"])

    assert await count("journalposttype/kode eq 'I'") == 3
    assert await count("journalposttype/kode ne 'I'") == 2
    assert await count("journalstatus/kode eq 'J' and journalposttype/kode eq 'I'") == 3
    assert await count(f"journalaar eq {year}") == 5
    assert await count(f"journalaar gt {year}") == 0
    assert await count(f"journalaar lt {year + 1} and journalaar ge {year}") == 5
    assert await count("journaldato le 2999-12-31 and journaldato gt 2000-01-01") == 5
    assert await count("journaldato lt 2000-01-01") == 0
    assert await count("journalposttype/kode eq 'U' or journalposttype/kode eq 'I'") == 5
    assert await count("not journalposttype/kode eq 'I'") == 2
    assert await count(f"year(journaldato) eq {year}") == 5
    assert await count(f"year(journaldato) ne {year} or year(journaldato) gt {year}") == 0
    assert await count(f"year(journaldato) ge {year} and year(journaldato) le {year}") == 5
    assert await count(f"year(journaldato) lt {year}") == 0
    assert await count(f"month(journaldato) eq {month} and day(journaldato) eq {day}") == 5
    assert await count(f"month(journaldato) ne {month} or day(journaldato) gt {day}") == 0
    assert await count(f"not day(journaldato) le {day} and journalposttype/kode eq 'I'") == 0
    assert await count(f"(journalposttype/kode eq 'U' or journalaar gt {year}) and not journalstatus/kode eq 'J'") == 2
    assert await count(f"journalposttype/kode eq 'I' and (journalaar lt {year} or journaldato lt 2000-01-01)") == 0

    oldest_first = await journal.client.get(href, params={"$orderby": "journaldato asc, journalsekvensnummer"},
                                            headers=headers)
    newest_first = await journal.client.get(href, headers=headers)
    numbers = [r["journalsekvensnummer"] for r in oldest_first.json()["results"]]
    assert numbers == sorted(numbers) and len(numbers) == 5
    assert [r["journalsekvensnummer"] for r in newest_first.json()["results"]] == numbers[::-1]

    seen: list[str] = []
    next_href: str | None = f"{href}?$top=2"
    pages = 0
    while next_href:
        page = (await _get(journal, next_href, headers)).json()
        seen += [r["systemID"] for r in page["results"]]
        next_href = page["_links"].get("next", {}).get("href")
        pages += 1
    assert pages == 3 and len(set(seen)) == 5

    for refused in ({"$filter": "tittel eq 'x' or journalaar eq 2026"}, {"$filter": "year(journalaar) eq 2026"},
                    {"$filter": "month(journaldato) eq 13"}, {"$filter": "day(journalaar) eq 1"},
                    {"$filter": "day(journaldato) eq 'x'"}, {"$filter": "hour(journaldato) eq 1"},
                    {"$filter": "(journalaar eq 2026"}, {"$filter": "journalaar eq 'x'"},
                    {"$filter": "not " * 30 + "journalaar eq 2026"}, {"$filter": "journalaar eq 2026 journalaar"},
                    {"$filter": "journalstatus/kode gt 'A'"}, {"$orderby": "tittel"}, {"$search": "x", "$orderby": "journalaar"},
                    {"$skip": "-1"}):
        response = await journal.client.get(href, params=refused, headers=headers)
        assert response.status_code == 400, (refused, response.text)
        assert response.json()["feil"]["kode"] == 400 and response.json()["detail"]


async def test_every_code_list_is_reachable_from_the_metadata_package(journal: Journal) -> None:
    headers, _person = await _handler(journal)
    links = (await _package(journal, headers, "metadata"))["_links"]
    lists = {key: value for key, value in links.items() if key != "self"}
    assert rel("metadata/journalstatus") in lists and rel("metadata/journalposttype") in lists
    assert rel("metadata/dokumentstatus") in lists
    for key, target in lists.items():
        codes = (await _get(journal, target["href"], headers)).json()
        assert codes["count"] == len(codes["results"]) > 0, key
        assert all(code["kode"] and code["kodenavn"] for code in codes["results"])
    journalstatus = (await _get(journal, lists[rel("metadata/journalstatus")]["href"], headers)).json()
    assert {"kode": "J", "kodenavn": "Journalført"} in [
        {"kode": c["kode"], "kodenavn": c["kodenavn"]} for c in journalstatus["results"]]


async def test_a_screened_title_and_party_are_masked_as_in_our_own_api(journal: Journal) -> None:
    arkivar, leser, saksmappe = await _arkivar_leser_and_case(journal)
    registered = await _screened_journalpost(journal, arkivar, saksmappe, "Søknad fra Hemmeligsen")
    assert registered.status_code == 201, registered.text
    jp = registered.json()
    noark5 = (await _get(journal, jp["_links"]["self"]["href"], leser)).json()
    own = (await journal.client.get(f"/journalposter/{jp['systemID']}", headers=leser)).json()
    for field in ("tittel", "offentligTittel"):
        assert noark5[field] == own[field], field
    # The same parties, the same masking; the Noark 5 answer leaves out the empty fields.
    assert noark5["korrespondansepart"] == [{k: v for k, v in part.items() if v is not None}
                                            for part in own["korrespondansepart"]]
    assert "Hemmeligsen" not in str(noark5) and FNR not in str(noark5)
    href = _list_href((await _package(journal, leser, "sakarkiv"))["_links"], "sakarkiv/journalpost")
    listed = (await _get(journal, href, leser)).json()["results"]
    assert listed and "Hemmeligsen" not in str(listed) and FNR not in str(listed)
    assert "Hemmeligsen" in (await _get(journal, jp["_links"]["self"]["href"], arkivar)).json()["tittel"]


async def test_an_odata_filter_finds_the_same_journalposts_as_our_own_list(journal: Journal) -> None:
    """Every combination of the filters both lists know: the same set on both ways in."""
    headers, person = await _handler(journal)
    saksmappe = (await _new_case(journal, headers, person)).json()
    outgoing = {"journalposttype": "U", "mottattDato": None,
                "korrespondansepart": [{"korrespondanseparttype": "EM", "korrespondansepartNavn": "Ola"}]}
    for fields in ({}, {}, outgoing, {**outgoing, "journalstatus": "F"}, {"journalposttype": "N", "mottattDato": None}):
        response = await _new_journalpost(journal, headers, saksmappe, **fields)
        assert response.status_code == 201, response.text
    href = _list_href((await _package(journal, headers, "sakarkiv"))["_links"], "sakarkiv/journalpost")
    newest = (await _get(journal, href, headers)).json()["results"][0]
    year = newest["journalaar"]
    month, day = (int(part) for part in newest["journaldato"].split("-")[1:])
    day = (await _get(journal, href, headers)).json()["results"][0]["journaldato"]
    checked = 0
    for status in (None, "J", "R", "F"):
        for kind in (None, "I", "U", "N"):
            for journalaar in (None, year):
                for fra, til in ((None, None), (day, None), (None, "2000-01-01")):
                    own: dict[str, Any] = {"$top": 100}
                    terms = []
                    for name, value, term in (("journalstatus", status, f"journalstatus/kode eq '{status}'"),
                                              ("journalposttype", kind, f"journalposttype/kode eq '{kind}'"),
                                              ("journalaar", journalaar, f"journalaar eq {journalaar}"),
                                              ("fra", fra, f"journaldato ge {fra}"), ("til", til, f"journaldato le {til}")):
                        if value is not None:
                            own[name] = value
                            terms.append(term)
                    theirs = await journal.client.get("/journalposter", params=own, headers=headers)
                    params = {"$filter": " and ".join(terms)} if terms else {}
                    ours = await journal.client.get(href, params=params, headers=headers)
                    assert theirs.status_code == ours.status_code == 200, (own, ours.text)
                    expected = [r["systemID"] for r in theirs.json()["results"]]
                    assert [r["systemID"] for r in ours.json()["results"]] == expected, params
                    checked += bool(expected)
    assert checked > 15, "too few combinations matched anything for the comparison to mean much"
