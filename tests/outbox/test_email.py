"""E-mail: to a folder of .eml files (the embedded default), to the console, and over SMTP to a
real SMTP server (aiosmtpd) on 127.0.0.1, plain and with STARTTLS and a password."""
from __future__ import annotations

import email
import socket
import ssl
from collections.abc import Callable, Iterator
from email import policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from app.services import Services
from tests.adapters.certificates import make_test_pki
from workers.outbox import send_due

from .conftest import events, rows

SMTP_USER, SMTP_PASSWORD = "dicase", "smtp-test-password"


def _email_rows(services: Services, instance_id: int) -> list[Any]:
    return [r for r in rows(services, instance_id) if r.channel == "email"]


class Mailbox:
    """An SMTP server's handler that keeps what it accepted; ``refuse`` answers 550 for an
    address, ``busy`` 451 for the next N messages."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []
        self.refuse: set[str] = set()
        self.busy = 0

    async def handle_RCPT(self, server: Any, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        if self.busy:
            self.busy -= 1
            return "451 4.3.0 Try again later"
        content = envelope.original_content or b""
        self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), content))
        return "250 Message accepted"


def _authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                  auth_data: Any) -> AuthResult:
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == SMTP_USER.encode()
          and auth_data.password == SMTP_PASSWORD.encode())
    return AuthResult(success=ok)


@pytest.fixture
def pki(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return make_test_pki(tmp_path_factory.mktemp("smtp-pki"))


@pytest.fixture
def mailbox() -> Mailbox:
    return Mailbox()


@pytest.fixture
def smtp_tls() -> bool:
    """Parametrised True by a test that wants STARTTLS and a password."""
    return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_server(smtp_tls: bool, mailbox: Mailbox, pki: Any) -> Iterator[int]:
    """An SMTP server on 127.0.0.1; with ``smtp_tls``, STARTTLS and a password required."""
    options: dict[str, Any] = {}
    if smtp_tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(pki.server_cert), str(pki.server_key))
        options = {"tls_context": context, "require_starttls": True, "auth_required": True,
                   "authenticator": _authenticate}
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    yield port
    controller.stop()


@pytest.fixture
def settings_overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    if "smtp_server" not in request.fixturenames:
        return {}
    port = request.getfixturevalue("smtp_server")
    tls = request.getfixturevalue("smtp_tls")
    values: dict[str, Any] = {"mail_transport": "smtp", "smtp_host": "127.0.0.1",
                              "smtp_port": port, "smtp_starttls": tls,
                              "mail_from": "DI Case <pazinojumi@dicase.example>"}
    if tls:
        pki = request.getfixturevalue("pki")
        values.update(smtp_user=SMTP_USER, smtp_password=SMTP_PASSWORD,
                      smtp_ca_bundle=str(pki.ca_cert))
    return values


def test_the_file_sink_keeps_one_eml_per_message(web_services: Services, mail_dir: Path,
                                                 start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["social_service", "police"])
    assert send_due(web_services, "sender-1") == 3  # two e-mails, one in-app
    files = sorted(mail_dir.glob("*.eml"))
    assert len(files) == 2
    sent = {r.address: r for r in _email_rows(web_services, instance_id)}
    police = sent["pazinojumi@vp.example"]
    assert police.status == "sent" and police.external_id
    parsed = email.message_from_bytes((mail_dir / f"{police.delivery_key}.eml").read_bytes(),
                                      policy=policy.default)
    assert parsed["To"] == "Valsts policija <pazinojumi@vp.example>"
    assert parsed["Subject"] == "Bērns šķirts no ģimenes"
    assert parsed["Message-ID"] == police.external_id
    assert parsed["X-DICase-Case"] == "P9-2026-0101"
    body = parsed.get_body().get_content()  # type: ignore[union-attr]
    assert "Lietā pieņemts lēmums" in body
    assert "Lietas numurs: P9-2026-0101" in body and "Termiņš: 15.12.2026" in body
    # The child's name is on the person's file only; it never leaves in an e-mail.
    assert "Bērns P9-2026-0101" not in body


def test_the_console_sink(web_services: Services, start_probe: Callable[..., int],
                          capsys: pytest.CaptureFixture[str]) -> None:
    web_services.settings = type(web_services.settings)(**{
        **web_services.settings.__dict__, "mail_transport": "console"})
    instance_id = start_probe(["police"])
    assert send_due(web_services, "sender-1") == 1
    printed = capsys.readouterr().out
    assert "To: Valsts policija <pazinojumi@vp.example>" in printed
    assert _email_rows(web_services, instance_id)[0].status == "sent"


def test_smtp_delivers_to_the_server(web_services: Services, mailbox: Mailbox,
                                     smtp_server: int, start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["police", "child_rights_inspectorate"])
    assert send_due(web_services, "sender-1") == 2
    assert sorted(to for _from, tos, _data in mailbox.messages for to in tos) == [
        "pazinojumi@bti.example", "pazinojumi@vp.example"]
    sender, _tos, data = mailbox.messages[0]
    assert sender == "pazinojumi@dicase.example"
    parsed = email.message_from_bytes(data, policy=policy.default)
    assert parsed["Subject"] == "Bērns šķirts no ģimenes"
    assert {r.status for r in _email_rows(web_services, instance_id)} == {"sent"}


@pytest.mark.parametrize("smtp_tls", [True])
def test_smtp_with_starttls_and_a_password(web_services: Services, mailbox: Mailbox,
                                           smtp_server: int,
                                           start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["police"])
    assert send_due(web_services, "sender-1") == 1
    assert [tos for _from, tos, _data in mailbox.messages] == [["pazinojumi@vp.example"]]
    assert _email_rows(web_services, instance_id)[0].status == "sent"


def test_a_busy_smtp_server_is_tried_again(web_services: Services, mailbox: Mailbox,
                                           smtp_server: int,
                                           start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["police"])
    mailbox.busy = 1
    assert send_due(web_services, "sender-1") == 1
    [row] = _email_rows(web_services, instance_id)
    assert row.status == "queued" and "451" in (row.last_error or "")
    assert send_due(web_services, "sender-1") == 1
    assert _email_rows(web_services, instance_id)[0].status == "sent"
    assert len(mailbox.messages) == 1


def test_a_refused_address_fails_at_once(web_services: Services, mailbox: Mailbox,
                                         smtp_server: int,
                                         start_probe: Callable[..., int]) -> None:
    instance_id = start_probe(["police"])
    mailbox.refuse.add("pazinojumi@vp.example")
    assert send_due(web_services, "sender-1") == 1
    [row] = _email_rows(web_services, instance_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "refused the recipient" in (row.last_error or "")
    assert [e.kind for e in events(web_services, instance_id)][-1] == "outbox_failed"


def test_an_unreachable_smtp_server_is_retried(web_services: Services,
                                               start_probe: Callable[..., int]) -> None:
    web_services.settings = type(web_services.settings)(**{
        **web_services.settings.__dict__, "mail_transport": "smtp", "smtp_host": "127.0.0.1",
        "smtp_port": 1, "smtp_starttls": False})
    instance_id = start_probe(["police"])
    assert send_due(web_services, "sender-1") == 1
    [row] = _email_rows(web_services, instance_id)
    assert row.status == "queued" and "could not be reached" in (row.last_error or "")
