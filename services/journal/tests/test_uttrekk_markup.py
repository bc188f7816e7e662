"""The extraction's text-built subtrees read back as the values they were given."""

from __future__ import annotations

from lxml import etree

from arkiv5_journal.uttrekk.xml import ARKIVSTRUKTUR, Builder, Markup


def test_markup_keeps_markup_characters_and_carriage_returns_as_text() -> None:
    builder = Builder(ARKIVSTRUKTUR)
    markup = Markup()
    markup.leaves([("tittel", "Svar <ikke> & \"så\"\r\nneste linje"), ("tom", ""), ("ingen", None), ("nummer", 7)])
    markup.text("skjermingshjemmel", "")
    element = builder.parse("registrering", markup, xsi_type="journalpost")
    ns = "{" + ARKIVSTRUKTUR + "}"
    assert element.findtext(ns + "tittel") == "Svar <ikke> & \"så\"\r\nneste linje"
    assert [child.tag.removeprefix(ns) for child in element] == ["tittel", "nummer", "skjermingshjemmel"]
    assert element.get("{http://www.w3.org/2001/XMLSchema-instance}type") == "journalpost"
    # Written out and read again, the carriage return survives (a bare one would come back as a line feed).
    again = etree.fromstring(etree.tostring(element))
    assert again.findtext(ns + "tittel") == "Svar <ikke> & \"så\"\r\nneste linje"
