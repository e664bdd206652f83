"""The notifier's SMTP client against real aiosmtpd servers with TLS: a certificate that is not
trusted (self-signed, or for another host) is refused, one trusted through CFA_SMTP_CA_FILE is
accepted; smtp:// uses STARTTLS when offered; a login from the URL goes only over TLS, and
the password shows nowhere. Certificates are made here with `cryptography`."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from services.notifier.failures import Permanent, Transient
from services.notifier.settings import NotifierSettings
from services.notifier.smtp import Email, SmtpSender
from shared.settings import SettingsError, load_settings
from shared.stack.processes import free_port

PASSWORD = "p@ss:w/rd%"  # percent-encoded in the URL
USER_INFO = "alice:p%40ss%3Aw%2Frd%25"


def self_signed(tmp_path: Path, name: str, hosts: list[str]) -> tuple[Path, Path]:
    """(certificate, key) PEM files of a self-signed certificate for `hosts` (names or IPs)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])])
    alt_names = [
        x509.IPAddress(ipaddress.ip_address(h)) if h[0].isdigit() else x509.DNSName(h) for h in hosts
    ]
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


@dataclass
class Received:
    """What the server saw: each message (with whether it came over TLS) and each login."""

    messages: list[tuple[bool, bytes]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        over_tls = server.transport.get_extra_info("ssl_object") is not None
        self.messages.append((over_tls, envelope.content))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        self.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password.decode() == PASSWORD, handled=False)


@dataclass
class Server:
    port: int
    received: Received
    certificate: Path


def serve(tmp_path: Path, hosts: list[str], tls: str, **options: Any) -> Iterator[Server]:
    """A server with TLS from the start (`tls` "implicit"), offering STARTTLS ("starttls") or
    without TLS ("none")."""
    certificate, key = self_signed(tmp_path, "server", hosts)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(certificate, key)
    received, port = Received(), free_port("127.0.0.1")
    if tls != "none":
        options["ssl_context" if tls == "implicit" else "tls_context"] = context
    controller = Controller(
        received, hostname="127.0.0.1", port=port, authenticator=received.authenticate, **options
    )
    controller.start()
    try:
        yield Server(port, received, certificate)
    finally:
        controller.stop()


@pytest.fixture
def smtps(tmp_path: Path) -> Iterator[Server]:
    """Implicit TLS (port 465 style), a self-signed certificate for 127.0.0.1 and localhost."""
    yield from serve(tmp_path, ["127.0.0.1", "localhost"], "implicit")


@pytest.fixture
def smtps_for_another_host(tmp_path: Path) -> Iterator[Server]:
    yield from serve(tmp_path, ["mail.other.example"], "implicit")


@pytest.fixture
def starttls(tmp_path: Path) -> Iterator[Server]:
    """smtp:// offering STARTTLS, requiring it and a login."""
    yield from serve(tmp_path, ["127.0.0.1"], "starttls", require_starttls=True, auth_required=True)


@pytest.fixture
def plain(tmp_path: Path) -> Iterator[Server]:
    """smtp:// without TLS at all, offering a login anyway."""
    yield from serve(tmp_path, ["127.0.0.1"], "none", auth_require_tls=False)


def sender(url: str, ca_file: Path | None = None) -> SmtpSender:
    """Built from the settings the notifier reads."""
    settings = NotifierSettings(smtp_url=url, smtp_ca_file=ca_file)
    return SmtpSender(settings.smtp_url.get_secret_value(), settings.smtp_ca_file)


def email() -> Email:
    message = EmailMessage()
    message["Subject"] = "test"
    message.set_content("hello")
    return Email("monitor@test.example", ("rg@test.example",), message.as_bytes())


def test_a_self_signed_certificate_is_refused_and_the_notification_waits(smtps: Server) -> None:
    """Transient, not failed: a certificate does not mend itself, but the operator mends it
    (trusts the CA, renews the certificate) and the waiting notifications then go; failed
    ones would be lost. The error says why, for the operator."""
    with pytest.raises(Transient, match=r"certificate not trusted .*self.signed"):
        sender(f"smtps://127.0.0.1:{smtps.port}").send(email())
    assert smtps.received.messages == []


def test_a_certificate_trusted_through_the_setting_is_accepted(smtps: Server) -> None:
    sender(f"smtps://127.0.0.1:{smtps.port}", smtps.certificate).send(email())
    assert [over_tls for over_tls, _ in smtps.received.messages] == [True]


def test_a_trusted_certificate_for_another_host_is_refused(smtps_for_another_host: Server) -> None:
    server = smtps_for_another_host
    with pytest.raises(Transient, match=r"certificate not trusted .*(?i:hostname|mismatch)"):
        sender(f"smtps://127.0.0.1:{server.port}", server.certificate).send(email())
    assert server.received.messages == []


def test_smtp_uses_starttls_when_offered_and_logs_in_over_it_only(starttls: Server) -> None:
    sender(f"smtp://{USER_INFO}@127.0.0.1:{starttls.port}", starttls.certificate).send(email())
    assert starttls.received.logins == [("alice", PASSWORD)]
    assert [over_tls for over_tls, _ in starttls.received.messages] == [True]


def test_starttls_to_an_untrusted_certificate_is_refused_before_any_login(starttls: Server) -> None:
    with pytest.raises(Transient, match="certificate not trusted") as caught:
        sender(f"smtp://{USER_INFO}@127.0.0.1:{starttls.port}").send(email())
    assert starttls.received.logins == [] and PASSWORD not in str(caught.value)


def test_a_password_is_never_sent_without_tls(plain: Server) -> None:
    with pytest.raises(Transient, match="no STARTTLS") as caught:
        sender(f"smtp://{USER_INFO}@127.0.0.1:{plain.port}").send(email())
    assert plain.received.logins == [] and plain.received.messages == []
    assert PASSWORD not in str(caught.value)


def test_without_credentials_a_plain_server_still_gets_the_mail(plain: Server) -> None:
    sender(f"smtp://127.0.0.1:{plain.port}").send(email())
    assert [over_tls for over_tls, _ in plain.received.messages] == [False]


def test_a_refused_login_waits_and_never_shows_the_password(starttls: Server) -> None:
    wrong = "alice:wrong-secret"
    with pytest.raises(Transient, match="login refused") as caught:
        sender(f"smtp://{wrong}@127.0.0.1:{starttls.port}", starttls.certificate).send(email())
    assert "wrong-secret" not in str(caught.value) and starttls.received.messages == []
    assert not isinstance(caught.value, Permanent)


def test_the_url_with_its_password_shows_in_no_settings_text(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = NotifierSettings(smtp_url=f"smtps://{USER_INFO}@mail.example.org:465")
    assert "p%40ss" not in repr(settings) and "p%40ss" not in str(settings.model_dump())
    monkeypatch.setenv("CFA_SMTP_URL", f"smtpx://{USER_INFO}@mail.example.org:465")
    with pytest.raises(SettingsError) as caught:
        load_settings(NotifierSettings)
    assert "CFA_SMTP_URL" in str(caught.value) and "p%40ss" not in str(caught.value)


def test_a_ca_file_that_does_not_exist_fails_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CFA_SMTP_CA_FILE", str(tmp_path / "missing.pem"))
    with pytest.raises(SettingsError, match="CFA_SMTP_CA_FILE"):
        load_settings(NotifierSettings)


def test_a_ca_file_without_certificates_fails_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "not.pem").write_text("not a certificate\n")
    monkeypatch.setenv("CFA_SMTP_CA_FILE", str(tmp_path / "not.pem"))
    with pytest.raises(SettingsError, match=r"CFA_SMTP_CA_FILE: .* holds no CA certificate"):
        load_settings(NotifierSettings)
