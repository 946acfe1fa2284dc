"""DKIM signatures (RFC 6376) on every outgoing message, and the key pair to publish.

Where ``DKIM_PRIVATE_KEY_FILE``, ``DKIM_SELECTOR`` and ``DKIM_DOMAIN`` are all set, ``signed`` puts a
``DKIM-Signature`` (rsa-sha256, relaxed/relaxed) on top of a message's final bytes. It is called where a message
becomes bytes (``crm.mail.rendering.Message.as_bytes`` and ``crm.mail.mime.BulkMessage.as_bytes``), once the
MIME assembly is over, so nothing changes the signed headers or body afterwards; the SMTP relay, the Maildir
outbox and Flask-Mail's own connection all send those bytes unchanged.

Signed headers: those RFC 6376 (5.4.1) recommends that the message has, plus ``List-Unsubscribe-Post`` (RFC 8058
section 4 requires both List-Unsubscribe headers to be covered). The singletons a forger would like to add a second
copy of are signed once more than they appear ("over-signing"), so a header added on the way breaks the signature.

The key is read once per process (the file's path is the cache key), not per message.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import dkim
from flask import current_app
from dkim.crypto import UnparsableKeyError, parse_pem_private_key

SIGNED_HEADERS = (*dkim.DKIM.SHOULD, b"list-unsubscribe-post")
OVERSIGNED = (b"from", b"to", b"subject", b"date", b"message-id", b"reply-to", b"cc", b"mime-version",
              b"content-type", b"list-unsubscribe", b"list-unsubscribe-post")
SETTINGS = ("DKIM_PRIVATE_KEY_FILE", "DKIM_SELECTOR", "DKIM_DOMAIN")


class DkimConfigError(RuntimeError):
    """The DKIM settings are incomplete or the key cannot be read; the message (French) names the setting."""


@dataclass(frozen=True)
class Signer:
    selector: bytes
    domain: bytes
    private_key: bytes  # PEM (PKCS#1, "RSA PRIVATE KEY"), as dkimpy reads it

    def sign(self, data: bytes) -> bytes:
        linesep = b"\r\n" if b"\r\n" in data else b"\n"
        signer = dkim.DKIM(data, linesep=linesep)
        signer.should_sign = set(SIGNED_HEADERS)
        signer.add_frozen(OVERSIGNED)
        signature = signer.sign(self.selector, self.domain, self.private_key,
                                canonicalize=(b"relaxed", b"relaxed"))
        return signature + data


def check_settings(config: dict) -> None:
    """All three DKIM settings or none: half a configuration would send unsigned mail without saying so."""
    given = [name for name in SETTINGS if config.get(name)]
    if given and len(given) != len(SETTINGS):
        missing = ", ".join(name for name in SETTINGS if name not in given)
        raise DkimConfigError(f"Signature DKIM incomplète : {', '.join(given)} défini(s) mais pas {missing}.")


@lru_cache(maxsize=4)
def _load_key(path: str) -> bytes:
    try:
        pem = Path(path).read_bytes()
    except OSError as exc:
        raise DkimConfigError(f"Clé privée DKIM illisible : {path} (DKIM_PRIVATE_KEY_FILE) : "
                              f"{exc.strerror or exc}.") from exc
    try:
        parse_pem_private_key(pem)
    except (UnparsableKeyError, ValueError, IndexError) as exc:
        raise DkimConfigError(f"Le fichier {path} (DKIM_PRIVATE_KEY_FILE) n'est pas une clé privée RSA au "
                              "format PEM (« BEGIN RSA PRIVATE KEY ») ; `flask mail dkim-keygen` en crée une.") from exc
    return pem


def signer() -> Signer | None:
    """The signer the configuration asks for, or None where DKIM is not configured."""
    config = current_app.config
    path = config.get("DKIM_PRIVATE_KEY_FILE")
    if not path:
        return None
    check_settings(config)
    return Signer(str(config["DKIM_SELECTOR"]).encode("ascii"), str(config["DKIM_DOMAIN"]).encode("ascii"),
                  _load_key(str(path)))


def signed(data: bytes) -> bytes:
    """The message's final bytes, with a DKIM-Signature on top where DKIM is configured (unchanged otherwise)."""
    current = signer()
    return data if current is None else current.sign(data)


# --- Key pair ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyPair:
    private_path: Path
    public_path: Path
    record_name: str  # <selector>._domainkey.<domain>
    record_value: str  # v=DKIM1; k=rsa; p=...

    def zone_line(self) -> str:
        """The record as a zone file writes it: a TXT string is at most 255 characters, so a 2048-bit key is
        split in several quoted strings that the resolver joins."""
        chunks = [self.record_value[i:i + 255] for i in range(0, len(self.record_value), 255)]
        return f'{self.record_name}. IN TXT ( ' + " ".join(f'"{chunk}"' for chunk in chunks) + " )"


def txt_record(public_der: bytes) -> str:
    return f"v=DKIM1; k=rsa; p={base64.b64encode(public_der).decode('ascii')}"


def generate_key_pair(private_path: Path, selector: str, domain: str, *, bits: int = 2048,
                      overwrite: bool = False) -> KeyPair:
    """Writes an RSA private key (PEM, mode 0600 whatever the umask) and its public key beside it
    (``<name>.public.pem``); returns the DNS record to publish. Refuses to replace a key unless asked."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    private_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                    serialization.NoEncryption())
    public = key.public_key()
    public_pem = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    public_der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)

    private_path.parent.mkdir(parents=True, exist_ok=True)
    public_path = private_path.with_name(private_path.stem + ".public.pem")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if overwrite else os.O_EXCL)
    descriptor = os.open(private_path, flags, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        os.fchmod(handle.fileno(), 0o600)  # an existing file replaced keeps no wider mode
        handle.write(private_pem)
    public_path.write_bytes(public_pem)
    _load_key.cache_clear()
    return KeyPair(private_path, public_path, f"{selector}._domainkey.{domain}", txt_record(public_der))
