"""The topic registry: every Kafka topic Arkiv5 publishes, its key and its producer.

A topic name is `<producing service>.<aggregate>`; the message key is the aggregate id so the
events of one aggregate keep their order. Dead letters of a topic go to `<topic>.dlt`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEAD_LETTER_SUFFIX = ".dlt"


@dataclass(frozen=True)
class TopicSpec:
    name: str
    producer: str
    key: str
    description: str
    event_types: list[str] = field(default_factory=list)
    partitions: int = 6


JOURNAL_SAKSMAPPE = "journal.saksmappe"
JOURNAL_JOURNALPOST = "journal.journalpost"
JOURNAL_DOKUMENT = "journal.dokument"
JOURNAL_DISPATCH = "journal.dispatch"
JOURNAL_SPORING = "journal.sporing"
JOURNAL_TILGANGSGRUPPE = "journal.tilgangsgruppe"
ACCESS_RIGHTS = "access.rights"
ACCESS_GROUPS = "access.groups"
ACCESS_UNITS = "access.units"
CONVERSION_RESULT = "conversion.result"
DISPATCH_STATUS = "dispatch.status"

TOPICS: dict[str, TopicSpec] = {
    spec.name: spec
    for spec in [
        TopicSpec(JOURNAL_SAKSMAPPE, "journal", "saksmappe systemID", "Cases opened, corrected and closed"),
        TopicSpec(
            JOURNAL_JOURNALPOST,
            "journal",
            "journalpost systemID",
            "Registrations, their corrections and journalstatus changes (J starts conversion)",
        ),
        TopicSpec(JOURNAL_DOKUMENT, "journal", "journalpost systemID", "Documents (dokumentobjekt) added"),
        TopicSpec(JOURNAL_DISPATCH, "journal", "journalpost systemID", "Dispatch through SvarUt requested"),
        TopicSpec(JOURNAL_SPORING, "journal", "reader id", "Reads of screened content, for the sporingslogg"),
        TopicSpec(JOURNAL_TILGANGSGRUPPE, "journal", "access group id",
                  "Ad hoc access groups a case handler asked for on a case or journalpost (access creates them)"),
        TopicSpec(ACCESS_RIGHTS, "access", "person id", "A person's effective-dated rights and account state; the local access codes"),
        TopicSpec(ACCESS_GROUPS, "access", "access group id", "Access groups and their members"),
        TopicSpec(ACCESS_UNITS, "access", "unit id", "Administrative units created, renamed, moved or ended"),
        TopicSpec(CONVERSION_RESULT, "conversion", "dokumentobjekt systemID", "Conversions to archival format"),
        TopicSpec(DISPATCH_STATUS, "svarut-gateway", "dispatch id", "Dispatch acceptance and delivery status"),
    ]
}


def dead_letter_topic(topic: str) -> str:
    return topic + DEAD_LETTER_SUFFIX
