"""The scope registry: every OAuth2 scope an Arkiv5 service checks, and what it opens.

A scope is `<service>.<what>[.<how>]`; the service named first is the token's audience that
checks it. Services name scopes through these constants (`require_scopes(scopes.JOURNAL_READ)`),
the access service grants them, and a test holds the two sides to this list.
"""

from __future__ import annotations

from dataclasses import dataclass

JOURNAL_READ = "journal.read"
JOURNAL_WRITE = "journal.write"
JOURNAL_ADMIN = "journal.admin"
JOURNAL_DOCUMENTS_READ = "journal.documents.read"
JOURNAL_DOCUMENTS_WRITE_ARCHIVAL = "journal.documents.write-archival"
JOURNAL_DISPATCH = "journal.dispatch"

ACCESS_RIGHTS_READ = "access.rights.read"
ACCESS_RIGHTS_REQUEST = "access.rights.request"
ACCESS_RIGHTS_APPROVE = "access.rights.approve"
ACCESS_RIGHTS_ADMIN = "access.rights.admin"
ACCESS_GROUPS_WRITE = "access.groups.write"
ACCESS_DECISIONS = "access.decisions"
ACCESS_AUDIT_READ = "access.audit.read"
ACCESS_AUDIT_WRITE = "access.audit.write"

CONVERSION_CONVERT = "conversion.convert"
CONVERSION_REPORT = "conversion.report"

SVARUT_GATEWAY_READ = "svarut-gateway.read"
SVARUT_GATEWAY_SEND = "svarut-gateway.send"

INTAKE_FIKS_ARKIV = "intake.fiks-arkiv"
INTAKE_EPOST = "intake.epost"


@dataclass(frozen=True)
class ScopeSpec:
    name: str
    description: str

    @property
    def audience(self) -> str:
        """The service that checks this scope (the token's audience)."""
        return self.name.split(".", 1)[0]


SCOPES: dict[str, ScopeSpec] = {
    spec.name: spec
    for spec in [
        ScopeSpec(JOURNAL_READ, "Read cases, registry entries and their metadata (the policy decides which)"),
        ScopeSpec(JOURNAL_WRITE, "Register, correct, sign off and close"),
        ScopeSpec(JOURNAL_ADMIN, "Archive structure and reports"),
        ScopeSpec(JOURNAL_DOCUMENTS_READ, "Fetch document files (services)"),
        ScopeSpec(JOURNAL_DOCUMENTS_WRITE_ARCHIVAL, "Attach the archival version of a document (conversion)"),
        ScopeSpec(JOURNAL_DISPATCH, "Read what a dispatch sends (the SvarUt gateway)"),
        ScopeSpec(ACCESS_RIGHTS_READ, "Read roles, units, access codes and groups"),
        ScopeSpec(ACCESS_RIGHTS_REQUEST, "Request a change of someone's rights"),
        ScopeSpec(ACCESS_RIGHTS_APPROVE, "Approve or reject a requested change"),
        ScopeSpec(ACCESS_RIGHTS_ADMIN, "Administer rights, accounts, clients and signing keys"),
        ScopeSpec(ACCESS_GROUPS_WRITE, "Maintain access groups (the journal, for case groups)"),
        ScopeSpec(ACCESS_DECISIONS, "Ask for an access decision"),
        ScopeSpec(ACCESS_AUDIT_READ, "Read the audit trail"),
        ScopeSpec(ACCESS_AUDIT_WRITE, "Write audit entries (services)"),
        ScopeSpec(CONVERSION_CONVERT, "Ask for a conversion to archival format"),
        ScopeSpec(CONVERSION_REPORT, "Read conversion reports"),
        ScopeSpec(SVARUT_GATEWAY_READ, "Read dispatches and their status"),
        ScopeSpec(SVARUT_GATEWAY_SEND, "Send through SvarUt"),
        ScopeSpec(INTAKE_FIKS_ARKIV, "Deliver Fiks Arkiv messages over HTTP (fagsystems)"),
        ScopeSpec(INTAKE_EPOST, "Work the central e-mail mailbox's queue (the archive service)"),
    ]
}


def is_known(scope: str) -> bool:
    return scope in SCOPES
