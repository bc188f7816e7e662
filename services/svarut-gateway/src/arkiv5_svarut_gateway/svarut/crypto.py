"""Encrypting documents for SvarUt (`kryptert: true`): CMS EnvelopedData to SvarUt's certificate."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding, pkcs7


def encrypt_for_svarut(content: bytes, certificate_pem: str) -> bytes:
    certificate = x509.load_pem_x509_certificate(certificate_pem.encode())
    return (
        pkcs7.PKCS7EnvelopeBuilder().set_data(content).add_recipient(certificate)
        .encrypt(Encoding.DER, [pkcs7.PKCS7Options.Binary])
    )
