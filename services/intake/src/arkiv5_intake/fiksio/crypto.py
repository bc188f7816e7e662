"""CMS for Fiks IO, in one module: EnvelopedData (AES-256-CBC, RSAES-OAEP with SHA-256 and
MGF1-SHA-256, as KS's `CMSKrypteringImpl`) and the detached SignedData of an ASiC-E manifest.

`cryptography` alone refuses OAEP in PKCS#7 envelopes, so asn1crypto reads and writes the
ASN.1 structure and `cryptography` does the primitives.
"""

from __future__ import annotations

import functools
import hashlib
import os

from asn1crypto import algos, cms, core, x509
from cryptography import x509 as cx509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey, RSAPublicKey
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


class CmsError(ValueError):
    """The envelope or signature is not one this module opens or accepts (the text says why)."""


def _oaep() -> asym.OAEP:
    return asym.OAEP(mgf=asym.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def decrypt(envelope: bytes, private_key: RSAPrivateKey) -> bytes:
    """The content of a DER CMS EnvelopedData addressed to `private_key` (key transport, OAEP or PKCS#1 v1.5)."""
    try:
        info = cms.ContentInfo.load(envelope)
        if info["content_type"].native != "enveloped_data":
            raise CmsError("not a CMS EnvelopedData")
        enveloped = info["content"]
        key: bytes | None = None
        for recipient in enveloped["recipient_infos"]:
            if recipient.name != "ktri":
                continue
            ktri = recipient.chosen
            algorithm = ktri["key_encryption_algorithm"]
            encrypted_key = ktri["encrypted_key"].native
            try:
                if algorithm["algorithm"].native == "rsaes_oaep":
                    params = algorithm["parameters"]
                    if params["hash_algorithm"]["algorithm"].native != "sha256":
                        raise CmsError("OAEP must use SHA-256")
                    key = private_key.decrypt(encrypted_key, _oaep())
                else:
                    key = private_key.decrypt(encrypted_key, asym.PKCS1v15())
                break
            except ValueError:
                continue  # addressed to another key
        if key is None:
            raise CmsError("no recipient of the envelope matches this key")
        content_info = enveloped["encrypted_content_info"]
        cipher = content_info["content_encryption_algorithm"]
        if cipher["algorithm"].native not in ("aes256_cbc", "aes128_cbc", "aes192_cbc"):
            raise CmsError(f"unsupported content cipher {cipher['algorithm'].native}")
        iv = cipher["parameters"].native
        decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        padded = decryptor.update(content_info["encrypted_content"].native) + decryptor.finalize()
        unpadder = padding.PKCS7(128).unpadder()
        return unpadder.update(padded) + unpadder.finalize()
    except CmsError:
        raise
    except (ValueError, TypeError, KeyError) as exc:
        raise CmsError(f"unreadable CMS envelope ({type(exc).__name__})") from None


@functools.lru_cache(maxsize=64)
def _recipient(certificate_pem: bytes) -> tuple[bytes, bytes, RSAPublicKey]:
    """Per recipient certificate, once: its RecipientIdentifier and the OAEP algorithm as DER, and its key.

    Building these with asn1crypto for every answer cost most of an envelope's time (the
    issuer's name encoded anew each time); an answer goes to the few certificates in the katalog.
    """
    parsed = cx509.load_pem_x509_certificate(certificate_pem)
    public_key = parsed.public_key()
    if not isinstance(public_key, RSAPublicKey):
        raise CmsError("the recipient's certificate must hold an RSA key")
    certificate = x509.Certificate.load(parsed.public_bytes(serialization.Encoding.DER))
    rid = cms.RecipientIdentifier(name="issuer_and_serial_number", value=cms.IssuerAndSerialNumber({
        "issuer": certificate.issuer, "serial_number": certificate.serial_number}))
    oaep = cms.KeyEncryptionAlgorithm({"algorithm": "rsaes_oaep", "parameters": algos.RSAESOAEPParams({
        "hash_algorithm": {"algorithm": "sha256"},
        "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha256"}},
    })})
    return rid.dump(), oaep.dump(), public_key


def encrypt(content: bytes, certificate_pem: bytes) -> bytes:
    """DER CMS EnvelopedData of `content` for the certificate's key: AES-256-CBC, RSAES-OAEP(SHA-256)."""
    rid_der, oaep_der, public_key = _recipient(certificate_pem)
    key, iv = os.urandom(32), os.urandom(16)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(content) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    ciphertext = encryptor.update(padded) + encryptor.finalize()
    recipient = cms.RecipientInfo(name="ktri", value=cms.KeyTransRecipientInfo({
        "version": "v0",
        "rid": cms.RecipientIdentifier.load(rid_der),
        "key_encryption_algorithm": cms.KeyEncryptionAlgorithm.load(oaep_der),
        "encrypted_key": public_key.encrypt(key, _oaep()),
    }))
    enveloped = cms.EnvelopedData({
        "version": "v0",
        "recipient_infos": [recipient],
        "encrypted_content_info": {
            "content_type": "data",
            "content_encryption_algorithm": {"algorithm": "aes256_cbc", "parameters": core.OctetString(iv)},
            "encrypted_content": ciphertext,
        },
    })
    return bytes(cms.ContentInfo({"content_type": "enveloped_data", "content": enveloped}).dump())


def sign_detached(data: bytes, certificate_pem: bytes, private_key: RSAPrivateKey) -> bytes:
    """DER CMS SignedData, detached, SHA256withRSA (the CAdES signature of an ASiC-E manifest)."""
    from cryptography.hazmat.primitives.serialization import pkcs7

    certificate = cx509.load_pem_x509_certificate(certificate_pem)
    return pkcs7.PKCS7SignatureBuilder().set_data(data).add_signer(certificate, private_key, hashes.SHA256()).sign(
        serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature, pkcs7.PKCS7Options.Binary])


def verify_detached(data: bytes, signature: bytes) -> bytes:
    """Checks a detached SHA256withRSA SignedData over `data`; returns the signer's certificate (DER)."""
    try:
        signed = cms.ContentInfo.load(signature)["content"]
        signer = signed["signer_infos"][0]
        certificate = next(c.chosen for c in signed["certificates"] if c.name == "certificate")
        attributes = signer["signed_attrs"]
        digest = next(a["values"][0].native for a in attributes if a["type"].native == "message_digest")
    except (ValueError, KeyError, IndexError, StopIteration, TypeError) as exc:
        raise CmsError(f"unreadable CMS signature ({type(exc).__name__})") from None
    if digest != hashlib.sha256(data).digest():
        raise CmsError("the signature's digest does not match the manifest")
    public_key = cx509.load_der_x509_certificate(certificate.dump()).public_key()
    if not isinstance(public_key, RSAPublicKey):
        raise CmsError("the signer's key is not RSA")
    signed_attrs = cms.CMSAttributes(list(attributes)).dump()  # as a SET, not the [0] IMPLICIT tag
    try:
        public_key.verify(signer["signature"].native, signed_attrs, asym.PKCS1v15(), hashes.SHA256())
    except Exception:
        raise CmsError("the signature does not verify") from None
    return bytes(certificate.dump())
