"""Sending one e-mail over SMTP, securely: implicit TLS for smtps://, STARTTLS whenever an
smtp:// server offers it, the server's certificate verified (hostname and chain, against the
system CA store or CFA_SMTP_CA_FILE), and a login when the URL holds user:password, never on
an unencrypted connection. The password is never logged nor put in an error text.

A certificate that fails verification, a login refused or a server without STARTTLS when a
password is to be sent are transient: they are the channel's setup, not the notification's
fault, and the notifications wait (retried with backoff) until an operator puts it right;
marking them failed would lose every alert made meanwhile."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit

from services.notifier.failures import Permanent, Transient, error_text

SMTP_TIMEOUT = 10.0


@dataclass(frozen=True)
class Email:
    """A message ready to send: the envelope and the bytes (CRLF lines)."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = field(default=None, repr=False)

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        """smtp://[user:password@]host[:port] (port 25) or smtps://… (port 465); user and
        password percent-encoded."""
        parts = urlsplit(url)
        tls = parts.scheme == "smtps"
        user = unquote(parts.username) if parts.username else None
        password = unquote(parts.password) if parts.password is not None else None
        return cls(parts.hostname or "localhost", parts.port or (465 if tls else 25), tls, user, password)


class SmtpSender:
    """Sends e-mails to one server; blocking (run it in a thread)."""

    def __init__(self, url: str, ca_file: Path | None = None, timeout: float = SMTP_TIMEOUT) -> None:
        self._server = SmtpServer.from_url(url)
        # The default context checks the hostname and the chain; with a CA file, against it alone.
        self._tls = ssl.create_default_context(cafile=None if ca_file is None else str(ca_file))
        self._timeout = timeout

    def send(self, email: Email) -> None:
        """Raises Transient (try again later) or Permanent (this e-mail will never go)."""
        try:
            with self._connect() as smtp:
                self._secure_and_log_in(smtp)
                refused = smtp.sendmail(email.sender, list(email.recipients), email.data)
        except ssl.SSLCertVerificationError as error:
            raise Transient(f"SMTP server certificate not trusted ({error.verify_message})") from None
        except smtplib.SMTPAuthenticationError as error:
            raise Transient(f"SMTP login refused ({error.smtp_code})") from None
        except smtplib.SMTPRecipientsRefused as error:
            raise Permanent(f"SMTP refused every recipient: {_refusals(error.recipients)}") from None
        except smtplib.SMTPResponseException as error:
            if 500 <= error.smtp_code < 600:
                raise Permanent(f"SMTP {error.smtp_code}: {error_text(error)}") from None
            raise Transient(f"SMTP {error.smtp_code}") from None
        except smtplib.SMTPNotSupportedError as error:  # e.g. a login asked of a server without AUTH
            raise Transient(f"SMTP server cannot do what was asked ({error_text(error)})") from None
        except (OSError, smtplib.SMTPException) as error:
            raise Transient(f"SMTP unreachable ({type(error).__name__})") from None
        if refused:  # the others have it: sending again would repeat it to them
            raise Permanent(f"SMTP refused some recipients: {_refusals(refused)}")

    def _connect(self) -> smtplib.SMTP:
        host, port = self._server.host, self._server.port
        if self._server.implicit_tls:
            return smtplib.SMTP_SSL(host, port, timeout=self._timeout, context=self._tls)
        return smtplib.SMTP(host, port, timeout=self._timeout)

    def _secure_and_log_in(self, smtp: smtplib.SMTP) -> None:
        server = self._server
        smtp.ehlo()
        if not server.implicit_tls and smtp.has_extn("starttls"):
            smtp.starttls(context=self._tls)
            smtp.ehlo()
        elif not server.implicit_tls and server.username is not None:
            raise Transient("the SMTP server offers no STARTTLS; the password is never sent unencrypted")
        if server.username is not None:
            smtp.login(server.username, server.password or "")


def _refusals(refused: dict[str, tuple[int, bytes]]) -> str:
    return ", ".join(f"{address} ({code})" for address, (code, _) in sorted(refused.items()))
