"""Screened stays screened: a leak test generated from every service's OpenAPI document.

A case handler with clearance plants a client case (always screened) with a distinctive
client name and fødselsnummer, a journalpost whose title names the client, a screened word,
a korrespondansepart, a document and remarks. Then, for every role without clearance for
that case, every operation of every service's OpenAPI document is called — reads with the
planted objects' ids, writes with an empty body (a no-op correction included) — and no
response body or header may carry a planted value, nor a hash or base64 of one.

The operations come from the OpenAPI documents, so a new endpoint is covered without a new
test. The control at the start proves the planted values are really there for a cleared
reader, so a test that sees nothing because nothing was planted cannot pass.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid
from datetime import date
from typing import Any

import httpx
from stdnum.no import fodselsnummer as fnr_rules

from suite_harness import Suite, eventually, pdf_bytes, suite

__all__ = ["suite"]  # the fixture, imported for pytest

CLIENT_NAME = "Xylofon Kvernstuen"
SECRET_WORD = "Trollkrittet"
SERVICES = ["journal", "access", "conversion", "svarut-gateway"]
UNCLEARED_PEOPLE = ["arkivtjeneste", "lesetilgang", "systemansvarlig"]
UNCLEARED_CLIENTS = {"demo-fagsystem": "journal.read journal.write"}
# Served beside the services, not by them: the token endpoint and the KS simulator.
NOT_A_READ_OF_ARCHIVE_DATA = re.compile(r"^/(oauth2|\.well-known)/")


def _client_fnr() -> str:
    """A valid fødselsnummer no other test uses (born 29 February 1964)."""
    for individual in range(499, 0, -1):
        body = f"290264{individual:03d}"
        for k1 in range(10):
            for k2 in range(10):
                candidate = f"{body}{k1}{k2}"
                if fnr_rules.is_valid(candidate):
                    return candidate
    raise AssertionError("no valid number found")


CLIENT_FNR = _client_fnr()


def _forbidden_fragments() -> list[str]:
    """Every planted value, its parts, and the usual hashes and encodings of each."""
    values = [CLIENT_NAME, *CLIENT_NAME.split(), CLIENT_FNR, SECRET_WORD]
    fragments = []
    for value in values:
        raw = value.encode()
        fragments += [value, hashlib.md5(raw).hexdigest(), hashlib.sha1(raw).hexdigest(),
                      hashlib.sha256(raw).hexdigest(), base64.b64encode(raw).decode().rstrip("="),
                      base64.urlsafe_b64encode(raw).decode().rstrip("=")]
    return [fragment.lower() for fragment in fragments]


FORBIDDEN = _forbidden_fragments()


def _leaks(response: httpx.Response) -> list[str]:
    seen = response.content.decode("utf-8", "replace").lower()
    seen += "\n" + "\n".join(f"{name}: {value}" for name, value in response.headers.items()).lower()
    return [fragment for fragment in FORBIDDEN if fragment in seen]


async def _plant(s: Suite) -> dict[str, Any]:
    """The cleared case handler's client case; returns the ids every operation is called with."""
    handler = await s.person_token("saksbehandler")

    async def created_case() -> httpx.Response | None:
        response = await s.journal("POST", "/saksmapper", handler, json={
            "tittel": f"Oppfølging av {CLIENT_NAME}", "administrativEnhet": s.units["HO-BV"],
            "saksansvarlig": s.person_ids["saksbehandler"],
            "klient": {"partNavn": CLIENT_NAME, "foedselsnummer": CLIENT_FNR}})
        return response if response.status_code == 201 else None

    case = (await eventually(created_case, what="the handler's rights in the journal")).json()
    case_id = case["systemID"]
    registered = await s.journal("POST", f"/saksmapper/{case_id}/journalposter", handler, json={
        "journalposttype": "I", "tittel": f"Søknad fra {CLIENT_NAME} om {SECRET_WORD}",
        "skjermedeOrd": [SECRET_WORD], "mottattDato": date.today().isoformat(),
        "korrespondansepart": [{"korrespondanseparttype": "EA", "korrespondansepartNavn": CLIENT_NAME,
                                "foedselsnummer": CLIENT_FNR, "postadresse": ["Storgata 1"],
                                "postnummer": "4514", "poststed": "Mandal"}]})
    assert registered.status_code == 201, registered.text
    journalpost = registered.json()
    jp_id = journalpost["systemID"]
    uploaded = await s.journal(
        "POST", f"/journalposter/{jp_id}/dokumenter", handler,
        params={"tittel": f"Søknad fra {CLIENT_NAME}", "filnavn": f"soknad {CLIENT_NAME}.pdf"},
        content=pdf_bytes(), headers={"Content-Type": "application/pdf"})
    assert uploaded.status_code == 201, uploaded.text
    dokument = uploaded.json()
    for path in (f"/saksmapper/{case_id}/merknader", f"/journalposter/{jp_id}/merknader"):
        remark = await s.journal("POST", path, handler, json={
            "merknadstekst": f"Ringte {CLIENT_NAME} om {SECRET_WORD}", "merknadstype": "A"})
        assert remark.status_code == 201, remark.text

    # The control: a cleared reader sees what was planted, so the checks below can fail.
    for path in (f"/saksmapper/{case_id}", f"/journalposter/{jp_id}"):
        seen = await s.journal("GET", path, handler)
        assert seen.status_code == 200 and _leaks(seen), f"the planted values are not visible to the handler: {path}"

    return {
        "saksmappe": case_id,
        "journalpost": jp_id,
        "dokumentbeskrivelse": dokument["systemID"],
        "dokumentobjekt": dokument["dokumentobjekt"][0]["systemID"],
        "korrespondansepart": journalpost["korrespondansepart"][0]["systemID"],
        "part": case["part"][0]["systemID"] if case.get("part") else case_id,
    }


def _path_variants(path: str, ids: dict[str, Any]) -> list[str]:
    """The path with its parameters filled by the planted objects' ids (every id where unclear)."""
    names = re.findall(r"{([^}]+)}", path)
    variants = [path]
    for name in names:
        matching = [value for kind, value in ids.items() if kind in name.lower().replace("_", "")]
        choices = matching or (list(ids.values()) if "id" in name.lower() else [str(uuid.uuid4())])
        variants = [variant.replace("{" + name + "}", str(choice)) for variant in variants for choice in choices]
    return variants


def _query(operation: dict[str, Any], ids: dict[str, Any]) -> dict[str, str]:
    """Query parameters: a search for the client's surname where there is a search, else plausible values."""
    params = {}
    for parameter in operation.get("parameters", []):
        if parameter.get("in") != "query":
            continue
        name, schema = parameter["name"], parameter.get("schema", {})
        kinds = {schema.get("type"), schema.get("format"),
                 *(option.get("type") for option in schema.get("anyOf", [])),
                 *(option.get("format") for option in schema.get("anyOf", []))}
        if name in ("q", "$search", "sok", "query"):
            params[name] = CLIENT_NAME.split()[1]
        elif not parameter.get("required"):
            continue
        elif "date" in kinds:
            params[name] = date.today().isoformat()
        elif "uuid" in kinds:
            params[name] = ids["saksmappe"]
        elif "integer" in kinds:
            params[name] = str(date.today().year if "aar" in name else 1)
        else:
            params[name] = "x"
    return params


async def _tokens(s: Suite) -> dict[tuple[str, str], str]:
    """A token per uncleared caller and service it can get one for."""
    tokens = {}
    for service in SERVICES:
        for person in UNCLEARED_PEOPLE:
            tokens[(person, service)] = await s.person_token(person, audience=service)
        for client, scope in UNCLEARED_CLIENTS.items():
            if service == "journal":
                tokens[(client, service)] = await s.client_token(client, scope, audience=service)
    return tokens


async def test_no_operation_of_any_service_shows_screened_values_to_a_caller_without_clearance(suite: Suite) -> None:
    s = suite
    ids = await _plant(s)
    tokens = await _tokens(s)
    documents = {service: (await s.http.get(f"{s.base}/{service}/openapi.json")).json() for service in SERVICES}
    found: list[str] = []
    calls = answered = 0
    for (caller, service), token in sorted(tokens.items()):
        operations = [(path, method, operation) for path, item in documents[service]["paths"].items()
                      for method, operation in item.items() if isinstance(operation, dict)]
        # Reads first, so the writes' side effects (a case closed) cannot hide a read's leak.
        operations.sort(key=lambda entry: entry[1] != "get")
        etags: dict[str, str] = {}
        for path, method, operation in operations:
            if NOT_A_READ_OF_ARCHIVE_DATA.match(path):
                continue
            for concrete in _path_variants(path, ids):
                headers = {}
                if method in ("patch", "put") and concrete in etags:
                    headers["If-Match"] = etags[concrete]
                kwargs: dict[str, Any] = {"params": _query(operation, ids), "headers": headers}
                if method in ("post", "put", "patch"):
                    kwargs["json"] = {}
                response = await s.call(method.upper(), f"/{service}{concrete}", token, **kwargs)
                calls += 1
                answered += response.status_code < 300
                if method == "get" and "etag" in response.headers:
                    etags[concrete] = response.headers["etag"]
                leaked = _leaks(response)
                if leaked:
                    found.append(f"{caller} {method.upper()} /{service}{concrete} -> {response.status_code}: {leaked}")
    noark5_calls, noark5_found = await _walk_noark5(s, ids, tokens)
    assert noark5_calls > 4 * 20, f"only {noark5_calls} Noark 5 calls: its links were not followed"
    calls += noark5_calls
    found += noark5_found
    assert calls > 200, f"only {calls} calls were made: the OpenAPI documents were not walked"
    assert answered > 20, f"only {answered} calls were answered with 2xx: the callers were refused everything"
    assert not found, "screened values reached callers without clearance:\n" + "\n".join(found)


def _hrefs(node: Any) -> list[str]:
    """Every link of a Noark 5 answer (its own `_links` and those of its results), templates cut off."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "_links" and isinstance(value, dict):
                found += [str(target["href"]).split("{")[0] for target in value.values() if isinstance(target, dict)]
            else:
                found += _hrefs(value)
    elif isinstance(node, list):
        for value in node:
            found += _hrefs(value)
    return found


async def _walk_noark5(s: Suite, ids: dict[str, Any], tokens: dict[tuple[str, str], str]) -> tuple[int, list[str]]:
    """The Noark 5 interface (not in the OpenAPI document), walked as its clients walk it: from the
    root by `_links`, and the planted records' own resources; each record read is then sent a
    merge-patch with its ETag (an empty one: a refusal must not show the record either)."""
    root = s.url("journal", "/noark5/api/")
    planted = [f"{root}sakarkiv/saksmappe/{ids['saksmappe']}/", f"{root}sakarkiv/journalpost/{ids['journalpost']}/",
               f"{root}arkivstruktur/dokumentbeskrivelse/{ids['dokumentbeskrivelse']}/",
               f"{root}arkivstruktur/dokumentobjekt/{ids['dokumentobjekt']}/",
               f"{root}sakarkiv/journalpost/?$filter=journalposttype/kode eq 'I'",
               f"{root}sakarkiv/journalpost/{ids['journalpost']}/korrespondansepart/",
               f"{root}arkivstruktur/korrespondansepartperson/{ids['korrespondansepart']}/"]
    handler = await s.person_token("saksbehandler")
    control = await s.http.get(planted[1], headers={"Authorization": f"Bearer {handler}"})
    assert control.status_code == 200 and _leaks(control), "the planted journalpost is not visible through Noark 5"
    calls, found = 0, []
    for (caller, service), token in sorted(tokens.items()):
        if service != "journal":
            continue
        auth = {"Authorization": f"Bearer {token}"}
        queue, visited = [root, *planted], set[str]()
        while queue and len(visited) < 200:
            url = queue.pop(0)
            if url in visited or not url.startswith(root):
                continue
            visited.add(url)
            answers = [await s.http.get(url, headers=auth)]
            if "etag" in answers[0].headers and url in planted:
                answers.append(await s.http.patch(url, json={}, headers={
                    **auth, "Content-Type": "application/merge-patch+json", "If-Match": answers[0].headers["etag"]}))
            for response in answers:
                calls += 1
                leaked = _leaks(response)
                if leaked:
                    found.append(f"{caller} {response.request.method} {url} (Noark 5) -> {response.status_code}: {leaked}")
            if answers[0].headers.get("content-type", "").startswith(("application/vnd.noark5+json", "application/json")):
                queue += _hrefs(answers[0].json())
    return calls, found



async def test_noark5_merknad_and_avskrivning_show_no_screened_values_to_a_caller_without_clearance(
        suite: Suite) -> None:
    """The planted records' merknad and avskrivning resources, walked from each record's links as a
    Noark 5 client walks them: the lists, each entry's own address, the templates, and the writes
    a client could try on them (an empty merknad, a change of a merknad or an avskrivning, and
    at the end the avskrivning's deletion); no answer may carry a planted value."""
    s = suite
    ids = await _plant(s)
    tokens = await _tokens(s)
    root = s.url("journal", "/noark5/api/")
    handler = await s.person_token("saksbehandler")
    signed_off = await s.journal("POST", f"/journalposter/{ids['journalpost']}/avskrivninger", handler,
                                 json={"avskrivningsmaate": "TLF"})
    assert signed_off.status_code == 201, signed_off.text
    records = [f"{root}sakarkiv/saksmappe/{ids['saksmappe']}/", f"{root}sakarkiv/journalpost/{ids['journalpost']}/"]
    rels = [f"https://rel.arkivverket.no/noark5/v5/api/{name}/" for name in
            ("arkivstruktur/merknad", "arkivstruktur/ny-merknad", "sakarkiv/avskrivning", "sakarkiv/ny-avskrivning")]

    async def resources(auth: dict[str, str]) -> list[str]:
        """The new resources as the caller is led to them (every planted record's list address when the
        record itself is refused, so that a refusal is tried too), and the entries the lists show."""
        found: list[str] = []
        for record in records:
            read = await s.http.get(record, headers=auth)
            links = read.json().get("_links", {}) if read.status_code == 200 else {}
            found += [str(links[r]["href"]).split("{")[0] for r in rels if r in links] or \
                [record + tail for tail in ("merknad/", "ny-merknad/", "avskrivning/", "ny-avskrivning/")]
        for listed in [href for href in found if href.endswith(("/merknad/", "/avskrivning/"))]:
            page = await s.http.get(listed, headers=auth)
            if page.status_code == 200:
                found += [entry["_links"]["self"]["href"] for entry in page.json()["results"]]
        return list(dict.fromkeys(found))

    # The control: the cleared handler is led to the planted remarks and reads them in full.
    seen = await resources({"Authorization": f"Bearer {handler}"})
    remarks = [href for href in seen if "/arkivstruktur/merknad/" in href]
    avskrivninger = [href for href in seen if "/sakarkiv/avskrivning/" in href]
    assert len(remarks) == 2 and len(avskrivninger) == 1, seen
    control = [await s.http.get(href, headers={"Authorization": f"Bearer {handler}"}) for href in remarks]
    assert all(_leaks(answer) for answer in control), "the planted remarks are not visible through Noark 5"

    calls, found = 0, []
    journal_callers = sorted((caller, token) for (caller, service), token in tokens.items() if service == "journal")
    for caller, token in journal_callers:
        auth = {"Authorization": f"Bearer {token}"}
        hrefs = [*await resources(auth), *remarks, *avskrivninger]
        answers = [await s.http.get(href, headers=auth) for href in dict.fromkeys(hrefs)]
        for href in [h for h in hrefs if h.endswith("/ny-merknad/")]:
            answers.append(await s.http.post(href, json={}, headers=auth))
        for href in remarks:
            answers += [await s.http.request(method, href, json={}, headers=auth) for method in ("PUT", "PATCH", "DELETE")]
        answers += [await s.http.patch(href, json={}, headers=auth) for href in avskrivninger]
        for response in answers:
            calls += 1
            if leaked := _leaks(response):
                found.append(f"{caller} {response.request.method} {response.request.url} (Noark 5) -> "
                             f"{response.status_code}: {leaked}")
    for caller, token in journal_callers:  # last: a caller allowed to delete leaves nothing for the others
        deleted = await s.http.delete(avskrivninger[0], headers={"Authorization": f"Bearer {token}"})
        calls += 1
        if leaked := _leaks(deleted):
            found.append(f"{caller} DELETE {avskrivninger[0]} (Noark 5) -> {deleted.status_code}: {leaked}")
    assert calls > len(journal_callers) * 10, f"only {calls} calls: the links were not followed"
    assert not found, "screened values reached callers without clearance:\n" + "\n".join(found)


async def test_the_noark5_parts_skjerming_sekundaerklassifikasjon_and_rights_views_show_no_screened_value(
        suite: Suite) -> None:
    """The planted client case's part, sekundærklassifikasjon and skjerming, and the admin package's
    rettighet and tilgang, asked directly by every uncleared caller: each answers masked or refuses
    (403/404), a rights view is linked exactly where it answers, and a change of the skjerming
    sent with its ETag shows nothing either."""
    s = suite
    ids = await _plant(s)
    root = s.url("journal", "/noark5/api/")
    case = f"{root}sakarkiv/saksmappe/{ids['saksmappe']}/"
    rel = "https://rel.arkivverket.no/noark5/v5/api/"
    handler = {"Authorization": f"Bearer {await s.person_token('saksbehandler')}"}
    for control in (case + "part/", case + "sekundaerklassifikasjon/", f"{root}arkivstruktur/partperson/{ids['part']}/"):
        seen = await s.http.get(control, headers=handler)
        assert seen.status_code == 200 and _leaks(seen), f"the planted values are not visible to the handler: {control}"
    rights = [f"{root}admin/rettighet/", f"{root}admin/tilgang/",
              f"{root}admin/rettighet/{s.person_ids['saksbehandler']}/"]
    records = [case + "part/", f"{root}arkivstruktur/partperson/{ids['part']}/", case + "sekundaerklassifikasjon/",
               f"{root}sakarkiv/sekundaerklassifikasjon/{ids['saksmappe']}/", case + "skjerming/",
               f"{root}sakarkiv/journalpost/{ids['journalpost']}/skjerming/"]
    found: list[str] = []
    masked = 0
    for (caller, service), token in sorted((await _tokens(s)).items()):
        if service != "journal":
            continue
        auth = {"Authorization": f"Bearer {token}"}
        admin_links = (await s.http.get(f"{root}admin/", headers=auth)).json()["_links"]
        answers = []
        for url in [*records, *rights]:
            response = await s.http.get(url, headers=auth)
            assert response.status_code in (200, 403, 404), f"{caller} GET {url}: {response.status_code}"
            answers.append(response)
            if url in rights[:2]:
                linked = f"{rel}{url.removeprefix(root)}" in admin_links
                assert linked == (response.status_code == 200), f"{caller}: {url} linked={linked}"
            if url == case + "part/" and response.status_code == 200:
                masked += 1
                assert all(p["foedselsnummer"] == "*****" for p in response.json()["results"])
        skjerming = answers[4]
        if "etag" in skjerming.headers:
            answers.append(await s.http.patch(case + "skjerming/", json={}, headers={
                **auth, "Content-Type": "application/merge-patch+json", "If-Match": skjerming.headers["etag"]}))
        for response in answers:
            if leaked := _leaks(response):
                found.append(f"{caller} {response.request.method} {response.request.url} (Noark 5) -> "
                             f"{response.status_code}: {leaked}")
    assert masked > 0, "no uncleared caller read the parts masked: the masking was not checked"
    assert not found, "screened values reached callers without clearance:\n" + "\n".join(found)


async def test_noark5_search_and_title_filters_find_no_screened_value_for_a_caller_without_clearance(
        suite: Suite) -> None:
    """`$search`, the title functions (also under `or` and `not`) and the count of the Noark 5 lists:
    a screened word, the client's name and fødselsnummer find nothing for an uncleared caller, and no
    answer's records carry them (the self link repeats the query itself, so only the records are read)."""
    s = suite
    ids = await _plant(s)
    journalposter = s.url("journal", "/noark5/api/sakarkiv/journalpost/")
    saksmapper = s.url("journal", "/noark5/api/sakarkiv/saksmappe/")
    handler = {"Authorization": f"Bearer {await s.person_token('saksbehandler')}"}
    control = await s.http.get(journalposter, params={"$search": SECRET_WORD}, headers=handler)
    assert [row["systemID"] for row in control.json()["results"]] == [ids["journalpost"]], control.text
    tokens = await _tokens(s)
    found: list[str] = []
    for (caller, service), token in sorted(tokens.items()):
        if service != "journal":
            continue
        auth = {"Authorization": f"Bearer {token}"}
        for value in (SECRET_WORD, *CLIENT_NAME.split(), CLIENT_FNR):
            for href, params in (
                    (journalposter, {"$search": value}),
                    (journalposter, {"$search": value, "$filter": "journalposttype/kode eq 'I'"}),
                    (journalposter, {"$filter": f"contains(tittel,'{value}')"}),
                    (journalposter, {"$filter": f"contains(tittel,'{value}') or journalposttype/kode eq 'X'"}),
                    (journalposter, {"$filter": f"not contains(tittel,'{value}') and journalposttype/kode eq 'I'"}),
                    (saksmapper, {"$filter": f"contains(tittel,'{value}')"}),
                    (saksmapper, {"$filter": f"startswith(tittel,'Oppfølging') or contains(tittel,'{value}')"})):
                response = await s.http.get(href, params=params, headers=auth)
                if response.status_code != 200:
                    continue
                records = str(response.json().get("results", [])).lower()
                leaked = [fragment for fragment in FORBIDDEN if fragment in records]
                hit = not params.get("$filter", "").startswith(("not", "startswith")) and any(
                    row["systemID"] in (ids["journalpost"], ids["saksmappe"]) for row in response.json()["results"])
                if leaked or hit:
                    found.append(f"{caller} {href} {params} -> {'found the record' if hit else leaked}")
    assert not found, "screened values were found or shown through the Noark 5 lists:\n" + "\n".join(found)
