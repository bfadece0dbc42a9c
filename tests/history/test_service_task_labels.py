"""The timeline tells a call to a state system from the product's own service tasks (the
outbox, documents, stored receipts): only the former is "sent to another system"."""
from __future__ import annotations

import re

from flask.testing import FlaskClient

from adapters.registry import reaches_another_system

from .conftest import Case


def test_only_calls_to_state_systems_read_as_messages_sent(auditor: FlaskClient,
                                                           p9_case: Case) -> None:
    page = auditor.get(f"/instances/{p9_case.instance_id}").text
    heads = re.findall(r'<strong class="history-kind">([^<]+)</strong>\s*'
                       r'(?:<span class="history-element">([^<]*)</span>)?', page)
    sent = {element for kind, element in heads if kind == "Ziņojums nosūtīts citai sistēmai"}
    done = {element for kind, element in heads if kind == "Servisa uzdevums izpildīts"}
    assert sent and done and not sent & done
    assert "Paziņot bāriņtiesai, sociālajam dienestam un ministrijai" in done  # outbox.send


def test_the_external_systems_are_the_adapters() -> None:
    assert all(reaches_another_system(op) for op in (
        "npais.notify_orphan_court", "sopa.deliver_periodic_report", "sais.get_payments",
        "pmlp.get_person", "vdeavk.get_disability_status"))
    assert not any(reaches_another_system(op) for op in (
        "outbox.send", "documents.generate", "tasks.remind", "co_payment.record_month"))
