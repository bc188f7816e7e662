"""ASiC-E packages as Fiks IO sends them: `mimetype`, the payload files, a CAdES manifest
(`META-INF/asicmanifest.xml`, SHA-256 digests) and a detached CMS signature over it."""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile

from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from lxml import etree

from ..fiksarkiv.xml import parse
from . import crypto

MIMETYPE = "application/vnd.etsi.asic-e+zip"
MANIFEST = "META-INF/asicmanifest.xml"
SIGNATURE = "META-INF/signature.p7s"
ASIC = "http://uri.etsi.org/02918/v1.2.1#"
DS = "http://www.w3.org/2000/09/xmldsig#"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


class AsiceError(ValueError):
    pass


def _manifest(files: dict[str, bytes]) -> bytes:
    root = etree.Element(f"{{{ASIC}}}ASiCManifest", nsmap={"asic": ASIC, "ds": DS})
    etree.SubElement(root, f"{{{ASIC}}}SigReference", URI=SIGNATURE, MimeType="application/x-pkcs7-signature")
    for name, data in files.items():
        ref = etree.SubElement(root, f"{{{ASIC}}}DataObjectReference", URI=name, MimeType="application/octet-stream")
        etree.SubElement(ref, f"{{{DS}}}DigestMethod", Algorithm=SHA256)
        etree.SubElement(ref, f"{{{DS}}}DigestValue").text = base64.b64encode(hashlib.sha256(data).digest()).decode()
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def build(files: dict[str, bytes], certificate_pem: bytes, private_key: RSAPrivateKey) -> bytes:
    manifest = _manifest(files)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), MIMETYPE, compress_type=zipfile.ZIP_STORED)
        for name, data in files.items():
            archive.writestr(name, data, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(MANIFEST, manifest, compress_type=zipfile.ZIP_DEFLATED)
        archive.writestr(SIGNATURE, crypto.sign_detached(manifest, certificate_pem, private_key),
                         compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def read(package: bytes, *, max_bytes: int) -> dict[str, bytes]:
    """The payload files, after checking the manifest's digests and its signature."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(package))
    except zipfile.BadZipFile:
        raise AsiceError("not a zip (ASiC-E) package") from None
    with archive:
        infos = {info.filename: info for info in archive.infolist()}
        if sum(info.file_size for info in infos.values()) > max_bytes:
            raise AsiceError("the package unpacks to more than the limit")
        if "mimetype" not in infos or archive.read("mimetype") != MIMETYPE.encode():
            raise AsiceError("the package's mimetype is not ASiC-E")
        if MANIFEST not in infos or SIGNATURE not in infos:
            raise AsiceError("the package has no manifest or signature")
        manifest = archive.read(MANIFEST)
        try:
            crypto.verify_detached(manifest, archive.read(SIGNATURE))
        except crypto.CmsError as problem:
            raise AsiceError(str(problem)) from None
        files: dict[str, bytes] = {}
        for reference in parse(manifest).iter(f"{{{ASIC}}}DataObjectReference"):
            name = reference.get("URI") or ""
            if name not in infos or name.startswith("META-INF/") or name == "mimetype":
                raise AsiceError("the manifest names a file the package does not hold")
            data = archive.read(name)
            value = reference.findtext(f"{{{DS}}}DigestValue") or ""
            if base64.b64decode(value) != hashlib.sha256(data).digest():
                raise AsiceError("a file's digest does not match the manifest")
            files[name] = data
        unlisted = set(infos) - set(files) - {"mimetype", MANIFEST, SIGNATURE}
        if unlisted:
            raise AsiceError("the package holds files the manifest does not name")
        return files
