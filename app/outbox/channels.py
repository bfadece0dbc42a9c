"""Delivering one outbox message over its channel: an NPAIS notice to an orphan court, an e-mail
(a file per message, the console, or SMTP), or in-app (nothing to send: the row is the message).

Every failure is an ``AdapterError`` that says whether trying again may help. Nothing logged
here carries a message's text.
"""
from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import sys
import threading
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from adapters.npais import client as npais
from adapters.npais.messages import (
    CASE_REFERENCE_MAX,
    NOTICE_TEXT_MAX,
    NoticeStatus,
    OrphanCourtNotice,
)
from adapters.registry import AdapterError, CallContext
from app.config import Settings

from . import contacts as c
from .service import Claimed

log = logging.getLogger(__name__)

FILE, CONSOLE, SMTP = "file", "console", "smtp"
TRANSPORTS = (FILE, CONSOLE, SMTP)
ORPHAN_COURT_RECIPIENT = "ORPHAN_COURT"


def deliver(settings: Settings, message: Claimed) -> str | None:
    """Send ``message``; what the receiving side calls it (NPAIS's notice id, the e-mail's
    Message-ID), or None for in-app."""
    if message.channel == c.NPAIS:
        return _npais(settings, message)
    if message.channel == c.EMAIL:
        return send_email(settings, message)
    if message.channel == c.IN_APP:
        return None
    raise AdapterError(f"unknown channel {message.channel!r}", retryable=False)


def _call(settings: Settings, key: str) -> CallContext:
    return CallContext(key, settings.adapter_settings(), settings.adapter_timeout)


def _npais(settings: Settings, message: Claimed) -> str:
    # NPAIS keeps one text per notice: the subject leads it.
    text = f"{message.subject}\n\n{message.text}"[:NOTICE_TEXT_MAX]
    notice = OrphanCourtNotice(
        orphan_court_code=message.address,
        case_reference=message.case_reference[:CASE_REFERENCE_MAX],
        notice_type=message.topic, recipients=(ORPHAN_COURT_RECIPIENT,), text=text,
        due_date=message.due_date)
    # The row's own key: a retry after a timeout is applied once by NPAIS.
    return npais.notify_orphan_court(_call(settings, message.delivery_key), notice).id


def npais_acknowledgement(settings: Settings, message: Claimed) -> NoticeStatus:
    """Ask NPAIS whether the orphan court has acknowledged the notice."""
    if not message.external_id:
        raise AdapterError("the notice has no NPAIS id", retryable=False)
    return npais.notice_status(_call(settings, f"{message.delivery_key}-status"),
                               message.external_id)


# --- e-mail ----------------------------------------------------------------------------------


def message_id(message: Claimed) -> str:
    return f"<{re.sub(r'[^A-Za-z0-9.-]', '-', message.delivery_key)}@dicase>"


def build_email(settings: Settings, message: Claimed) -> EmailMessage:
    email = EmailMessage()
    email["From"] = settings.mail_from
    email["To"] = formataddr((message.recipient_name, message.address))
    email["Subject"] = message.subject
    email["Date"] = formatdate(usegmt=True)
    # The same id on every attempt: a recipient's mail system can drop a repeated delivery.
    email["Message-ID"] = message_id(message)
    email["X-DICase-Case"] = message.case_reference
    email["X-DICase-Topic"] = message.topic
    lines = [message.text, "", f"Lietas numurs: {message.case_reference}"]
    if message.due_date:
        lines.append(f"Termiņš: {message.due_date:%d.%m.%Y}")
    lines += ["", "Šis ir DI Case automātisks paziņojums."]
    email.set_content("\n".join(lines))
    return email


def send_email(settings: Settings, message: Claimed) -> str:
    email = build_email(settings, message)
    transport = settings.mail_transport
    if transport == FILE:
        _to_file(settings, message, email)
    elif transport == CONSOLE:
        _to_console(email)
    elif transport == SMTP:
        _to_smtp(settings, email)
    else:
        raise AdapterError(f"unknown mail transport {transport!r} (DICASE_MAIL_TRANSPORT: "
                           f"{', '.join(TRANSPORTS)})", retryable=False)
    return str(email["Message-ID"])


def eml_path(settings: Settings, message: Claimed) -> str:
    name = re.sub(r"[^A-Za-z0-9.-]", "-", message.delivery_key)
    return os.path.join(settings.mail_dir, f"{name}.eml")


def _to_file(settings: Settings, message: Claimed, email: EmailMessage) -> None:
    path = eml_path(settings, message)
    try:
        os.makedirs(settings.mail_dir, exist_ok=True)
        # Written whole, then renamed: a reader never sees half a message, and a second
        # attempt replaces the first file instead of adding one.
        partial = f"{path}.part"
        with open(partial, "wb") as handle:
            handle.write(email.as_bytes())
        os.replace(partial, path)
    except OSError as err:
        raise AdapterError(f"the mail folder cannot be written: {err.strerror}") from None


_console = threading.Lock()


def _to_console(email: EmailMessage) -> None:
    with _console:
        sys.stdout.write(email.as_string() + "\n")
        sys.stdout.flush()


def _to_smtp(settings: Settings, email: EmailMessage) -> None:
    if not settings.smtp_host:
        raise AdapterError("no SMTP server is configured (DICASE_SMTP_HOST)", retryable=False)
    try:
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                          timeout=settings.adapter_timeout) as server:
            server.ehlo()
            if settings.smtp_starttls:
                server.starttls(context=ssl.create_default_context(
                    cafile=settings.smtp_ca_bundle or None))
                server.ehlo()
            if settings.smtp_user:
                server.login(settings.smtp_user, settings.smtp_password)
            server.send_message(email)
    except smtplib.SMTPRecipientsRefused as err:
        codes = [code for code, _text in err.recipients.values()]
        raise AdapterError(f"the SMTP server refused the recipient ({codes})",
                           retryable=all(400 <= code < 500 for code in codes)) from None
    except smtplib.SMTPResponseException as err:
        # 4xx: the server cannot take it now; 5xx: it never will (address, authentication).
        raise AdapterError(f"the SMTP server answered {err.smtp_code}",
                           retryable=400 <= err.smtp_code < 500) from None
    except smtplib.SMTPNotSupportedError:
        raise AdapterError("the SMTP server does not offer STARTTLS or authentication",
                           retryable=False) from None
    except (smtplib.SMTPException, OSError) as err:
        raise AdapterError(f"the SMTP server could not be reached: {type(err).__name__}") from None
    log.info("e-mail %s sent over SMTP", email["Message-ID"])
