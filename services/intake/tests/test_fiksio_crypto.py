"""CMS envelopes and ASiC-E packages as Fiks IO uses them."""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from fiksio_keys import key_pair
from required import missing

from arkiv5_intake.fiksio import asice, crypto


def test_an_openssl_oaep_envelope_is_opened(tmp_path: Path) -> None:
    """The fixture is made by `openssl cms -encrypt … -keyopt rsa_padding_mode:oaep`, as KS's libraries send."""
    if shutil.which("openssl") is None:
        missing("openssl", state="not installed")
    pair = key_pair("arkiv5 intake")
    (tmp_path / "cert.pem").write_bytes(pair.certificate_pem)
    content = "Søknad om tilbygg\n".encode() * 1000
    (tmp_path / "content").write_bytes(content)
    subprocess.run(["openssl", "cms", "-encrypt", "-binary", "-aes-256-cbc", "-in", str(tmp_path / "content"),
                    "-outform", "DER", "-out", str(tmp_path / "envelope.der"), "-recip", str(tmp_path / "cert.pem"),
                    "-keyopt", "rsa_padding_mode:oaep", "-keyopt", "rsa_oaep_md:sha256",
                    "-keyopt", "rsa_mgf1_md:sha256"], check=True, capture_output=True)
    envelope = (tmp_path / "envelope.der").read_bytes()
    assert b"Tilbygg" not in envelope
    assert crypto.decrypt(envelope, pair.key) == content
    with pytest.raises(crypto.CmsError, match="no recipient"):
        crypto.decrypt(envelope, key_pair("someone else").key)


def test_our_envelope_opens_with_openssl(tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        missing("openssl", state="not installed")
    pair = key_pair("fagsystem")
    (tmp_path / "key.pem").write_bytes(pair.key_pem)
    (tmp_path / "envelope.der").write_bytes(crypto.encrypt(b"kvittering", pair.certificate_pem))
    opened = subprocess.run(["openssl", "cms", "-decrypt", "-inform", "DER", "-in", str(tmp_path / "envelope.der"),
                             "-inkey", str(tmp_path / "key.pem")], check=True, capture_output=True).stdout
    assert opened == b"kvittering"


def test_an_asice_package_round_trip_and_tampering() -> None:
    pair = key_pair("avsender")
    files = {"arkivmelding.xml": b"<arkivmelding/>", "soknad.pdf": b"%PDF-1.4 ..."}
    package = asice.build(files, pair.certificate_pem, pair.key)
    assert asice.read(package, max_bytes=10_000) == files
    # The same manifest and signature, one file changed on the way.
    source, out = zipfile.ZipFile(io.BytesIO(package)), io.BytesIO()
    with zipfile.ZipFile(out, "w") as tampered:
        for info in source.infolist():
            data = source.read(info.filename)
            tampered.writestr(info, b"<arkivmelding>X</arkivmelding>" if info.filename == "arkivmelding.xml" else data)
    with pytest.raises(asice.AsiceError, match="digest"):
        asice.read(out.getvalue(), max_bytes=10_000)
    with pytest.raises(asice.AsiceError, match="limit"):
        asice.read(package, max_bytes=10)
