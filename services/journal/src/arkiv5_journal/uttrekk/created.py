"""N5_27 in the extraction validator: each registrering's opprettetDato inside the arkivdel's period."""

from __future__ import annotations

from datetime import date, datetime

from .report import Report
from .xml import OSLO

PERIOD = ("arkivperiodeStartDato", "arkivperiodeSluttDato")


def day_of(text: str | None) -> date | None:
    """The calendar day of an xs:date or xs:dateTime, in Oslo when it carries an offset; None if unreadable."""
    value = (text or "").strip()
    try:
        if len(value) > 10 and value[10] == "T":
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment.astimezone(OSLO).date() if moment.tzinfo else moment.date()
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


class Created:
    """N5_27: the first and last registrering's opprettetDato, each one inside the arkivdel's period."""

    def __init__(self) -> None:
        self.period: dict[str, date | None] = {}
        self.first: date | None = None
        self.last: date | None = None

    def check(self, report: Report, text: str | None, system_id: str | None, start: date | None,
              end: date | None) -> None:
        day = day_of(text)
        if day is None:
            return
        self.first = day if self.first is None else min(self.first, day)
        self.last = day if self.last is None else max(self.last, day)
        low = self.period.get("arkivperiodeStartDato") or start
        high = self.period.get("arkivperiodeSluttDato") or end
        if (low and day < low) or (high and day > high):
            report.add("N5_27", f"registrering created {day.isoformat()}, outside the arkivdel's period "
                       f"{low.isoformat() if low else '…'} – {high.isoformat() if high else '…'}",
                       file="arkivstruktur.xml", system_id=system_id)

    def summarise(self, report: Report) -> None:
        if self.first is not None and self.last is not None:
            report.add("N5_27", f"first registrering created {self.first.isoformat()}, "
                       f"last {self.last.isoformat()}", file="arkivstruktur.xml", info=True)
