"""Hostile BPMN and DMN files, through every way a model reaches the product: ``deploy_source``
(the engine), ``deploy_directory`` (``dicase deploy``) and the modeler's JSON calls. Each is
refused with a message naming the problem, nothing of it is stored, and no file is opened and
no address fetched: a loopback HTTP server records every request and a named pipe records every
reader, and both must stay untouched."""
from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import defusedxml.ElementTree
import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.config import PROJECT_ROOT
from app.db import transaction
from app.db.models import Event, ProcessDefinition, ProcessDraft
from app.engine import parsing
from app.engine.deploy import deploy_directory, deploy_source
from app.engine.errors import DeploymentError
from app.services import Services
from tests.modeler.conftest import account, owner, post_json  # noqa: F401
from tests.web.conftest import app, web_services, web_settings  # noqa: F401

P9_SOURCE = (PROJECT_ROOT / "processes" / "p09_out_of_family_care.bpmn").read_text(encoding="utf-8")
DMN_SOURCE = (PROJECT_ROOT / "processes" / "p07_compensation_rates.dmn").read_text(encoding="utf-8")
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DMN_NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"
HEADER = '<?xml version="1.0" encoding="UTF-8"?>\n'
DEFINITIONS = f'<bpmn:definitions xmlns:bpmn="{BPMN_NS}" id="d" targetNamespace="urn:x">'
ENTITIES = "document type declarations and entities are not allowed"
NOT_XML = "not well-formed XML"


# --- witnesses: a server and a file that must never be touched -----------------------------------


@dataclass
class Listener:
    url: str = ""
    hits: list[str] = field(default_factory=list)


@pytest.fixture
def listener() -> Iterator[Listener]:
    """An HTTP server on 127.0.0.1 that records every path asked of it (and would serve a DTD)."""
    listener = Listener()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            listener.hits.append(self.path)
            body = b'<!ENTITY leaked "fetched">'
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    listener.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield listener
    server.shutdown()
    server.server_close()


@dataclass
class WatchedFile:
    path: Path
    readers: list[str] = field(default_factory=list)


@pytest.fixture
def secret_file(tmp_path: Path) -> Iterator[WatchedFile]:
    """A named pipe where a secret file would be. Opening it for writing without blocking only
    succeeds while someone has it open for reading, so a parser that opened it is seen; it is
    then given a line and closed, so such a parser could not hang the test either."""
    watched = WatchedFile(tmp_path / "secret.txt")
    os.mkfifo(watched.path)
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(0.002):
            try:
                fd = os.open(watched.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                continue  # nobody reads it
            watched.readers.append("opened")
            try:
                os.write(fd, b"secret-content\n")
            finally:
                os.close(fd)

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    yield watched
    stop.set()
    thread.join(timeout=5)


def _watcher_sees_a_reader(secret_file: WatchedFile) -> None:
    # The pipe watcher itself must work, or its silence would prove nothing.
    with open(secret_file.path, encoding="utf-8") as pipe:
        assert pipe.readline() == "secret-content\n"
    secret_file.readers.clear()


# --- the hostile files ----------------------------------------------------------------------------


def _nested_entities(levels: int, fan_out: int) -> str:
    lines = ['<!ENTITY e0 "lol">']
    for level in range(1, levels):
        lines.append(f'<!ENTITY e{level} "{f"&e{level - 1};" * fan_out}">')
    return "".join(lines)


def hostile_models(url: str, secret: Path) -> dict[str, tuple[bytes, str]]:
    """name -> (file content, what the refusal must say)."""
    process = P9_SOURCE.split("?>", 1)[1]  # the model without its XML declaration
    long_comment = "<!--" + "x" * 8000 + "-->"
    text: dict[str, tuple[str, str]] = {
        "billion laughs": ((f"{HEADER}<!DOCTYPE lolz [{_nested_entities(10, 10)}]>"
                           f"{DEFINITIONS}<bpmn:process id='p'>&e9;</bpmn:process></bpmn:definitions>"),
                           ENTITIES),
        "quadratic blowup": ((f"{HEADER}<!DOCTYPE q [<!ENTITY a \"{'a' * 50_000}\">]>{DEFINITIONS}"
                             f"<bpmn:documentation>{'&a;' * 5_000}</bpmn:documentation>"
                             "</bpmn:definitions>"), ENTITIES),
        "external entity, file": ((f"{HEADER}<!DOCTYPE d [<!ENTITY x SYSTEM \"file://{secret}\">]>"
                                  f"{DEFINITIONS}<bpmn:documentation>&x;</bpmn:documentation>"
                                  "</bpmn:definitions>"), ENTITIES),
        "external entity, http": ((f"{HEADER}<!DOCTYPE d [<!ENTITY x SYSTEM \"{url}/entity\">]>"
                                  f"{DEFINITIONS}<bpmn:documentation>&x;</bpmn:documentation>"
                                  "</bpmn:definitions>"), ENTITIES),
        "parameter entity, http": ((f"{HEADER}<!DOCTYPE d [<!ENTITY % p SYSTEM \"{url}/param\"> %p;]>"
                                   f"{DEFINITIONS}</bpmn:definitions>"), ENTITIES),
        "external DTD, http": ((f'{HEADER}<!DOCTYPE bpmn:definitions SYSTEM "{url}/model.dtd">'
                               f"{process}"), ENTITIES),
        "external DTD, file": ((f'{HEADER}<!DOCTYPE bpmn:definitions SYSTEM "file://{secret}">'
                               f"{process}"), ENTITIES),
        "DOCTYPE behind a long comment": ((f"{HEADER}{long_comment}<!DOCTYPE bpmn:definitions "
                                          f'SYSTEM "{url}/late.dtd">{process}'), ENTITIES),
        "an empty internal DTD": (f"{HEADER}<!DOCTYPE bpmn:definitions []>{process}", ENTITIES),
        "XInclude of a file": (P9_SOURCE.replace(
            "</bpmn:definitions>", '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
            f'href="file://{secret}" parse="text"/></bpmn:definitions>'), "XInclude}include"),
        "XInclude over http": (P9_SOURCE.replace(
            "</bpmn:definitions>", '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
            f'href="{url}/include"/></bpmn:definitions>'), "XInclude}include"),
        "wrong namespace": (P9_SOURCE.replace(BPMN_NS, "http://www.omg.org/spec/BPMN/2010/MODEL"),
                            "not a BPMN 2.0 model"),
        "no namespace": ((f"{HEADER}<definitions id='d'><process id='p' isExecutable='true'/>"
                         "</definitions>"), "not a BPMN 2.0 model"),
        "a decision table instead of a process": (DMN_SOURCE, "not a BPMN 2.0 model"),
        "not XML": ("Sveiki! Šis nav modelis.", NOT_XML),
        "JSON": ('{"process": "p09"}', NOT_XML),
        "empty": ("", NOT_XML),
        "truncated": (P9_SOURCE[: len(P9_SOURCE) // 2], NOT_XML),
        "two roots": (f"{process}{process}", NOT_XML),
        "unclosed comment": (f"{HEADER}<!-- {process}", NOT_XML),
        "nested 10,000 deep": ((f"{HEADER}{DEFINITIONS}{'<bpmn:documentation>' * 10_000}"
                               f"{'</bpmn:documentation>' * 10_000}</bpmn:definitions>"), NOT_XML),
        "encoding that lies": (P9_SOURCE.replace('encoding="UTF-8"', 'encoding="UTF-16"'), NOT_XML),
        "too many elements": (f"{HEADER}{DEFINITIONS}<bpmn:process id='p' isExecutable='true'>"
                              + "".join(f"<bpmn:task id='t{i}'/>" for i in range(25_000))
                              + "</bpmn:process></bpmn:definitions>", "at most 20000 are allowed"),
        "larger than 5 MB": (P9_SOURCE.replace("</bpmn:definitions>", "<!--" + "x" * (5 << 20)
                                               + "--></bpmn:definitions>"), "larger than 5 MB"),
    }
    models = {name: (source.encode("utf-8"), expected) for name, (source, expected) in text.items()}
    models["binary"] = (bytes(range(256)) * 64, NOT_XML)
    return models


HOSTILE = list(hostile_models("http://127.0.0.1:9", Path("/nonexistent")))
# The modeler sends JSON text: a model that is not UTF-8 cannot reach it.
HOSTILE_TEXT = [name for name in HOSTILE if name != "binary"]


def _stored(services: Services) -> tuple[int, int, int]:
    with services.sessions() as session:
        return (session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0,
                session.scalar(select(func.count()).select_from(ProcessDraft)) or 0,
                session.scalar(select(func.count()).select_from(Event)) or 0)


def _untouched(listener: Listener, secret_file: WatchedFile) -> None:
    assert listener.hits == [], f"the server was asked for {listener.hits}"
    assert secret_file.readers == [], "the secret file was opened"


# --- the engine: deploy_source ------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE)
def test_deploy_source_refuses_a_hostile_model_and_stores_nothing(
        name: str, services: Services, listener: Listener, secret_file: WatchedFile) -> None:
    data, expected = hostile_models(listener.url, secret_file.path)[name]
    before = _stored(services)
    with pytest.raises(DeploymentError) as refused, transaction(services.sessions) as session:
        deploy_source(session, "upload.bpmn", data.decode("utf-8", "replace"), "owner")
    assert "upload.bpmn" in str(refused.value) and expected in str(refused.value)
    assert _stored(services) == before
    _untouched(listener, secret_file)


@pytest.mark.parametrize("name", ["billion laughs", "external entity, http", "external DTD, file",
                                  "wrong namespace", "truncated", "too many elements"])
def test_a_hostile_decision_table_called_by_a_process_is_refused(
        name: str, services: Services, listener: Listener, secret_file: WatchedFile) -> None:
    data, expected = hostile_models(listener.url, secret_file.path)[name]
    dmn = data.decode("utf-8")
    with pytest.raises(DeploymentError) as refused, transaction(services.sessions) as session:
        deploy_source(session, "p09.bpmn", P9_SOURCE, "owner", {"rates.dmn": dmn})
    assert "rates.dmn" in str(refused.value)
    assert expected in str(refused.value) or "not a DMN model" in str(refused.value)
    assert _stored(services) == (0, 0, 0)
    _untouched(listener, secret_file)


def test_a_decision_table_in_another_namespace_is_refused_by_name(services: Services) -> None:
    wrong = DMN_SOURCE.replace(DMN_NS, "http://example.org/dmn")
    with pytest.raises(DeploymentError) as refused, transaction(services.sessions) as session:
        deploy_source(session, "p09.bpmn", P9_SOURCE, "owner", {"rates.dmn": wrong})
    assert "rates.dmn: the file is not a DMN model" in str(refused.value)
    assert "'http://example.org/dmn'" in str(refused.value)


def test_references_a_valid_model_may_carry_are_never_followed(
        services: Services, listener: Listener, secret_file: WatchedFile) -> None:
    # Legal in a BPMN file and harmless as long as nothing follows them.
    source = P9_SOURCE.replace(
        "<bpmn:definitions ",
        f'<bpmn:definitions xsi:schemaLocation="{BPMN_NS} {listener.url}/BPMN20.xsd" ', 1
    ).replace("?>", f'?><?xml-stylesheet type="text/xsl" href="{listener.url}/style.xsl"?>'
              f'<?xml-stylesheet type="text/xsl" href="file://{secret_file.path}"?>', 1)
    with transaction(services.sessions) as session:
        assert deploy_source(session, "p09.bpmn", source, "owner").created
    _untouched(listener, secret_file)


def test_defusedxml_reads_every_uploaded_file_before_lxml(
        monkeypatch: pytest.MonkeyPatch) -> None:
    read: list[bytes] = []
    real = defusedxml.ElementTree.fromstring

    def recording(text: bytes, **options: Any) -> Any:
        read.append(text)
        assert options.get("forbid_dtd") is True
        return real(text, **options)

    monkeypatch.setattr(parsing.defused, "fromstring", recording)
    parsing.parse_process(P9_SOURCE, "p09.bpmn", {"rates.dmn": DMN_SOURCE})
    assert read == [DMN_SOURCE.encode("utf-8"), P9_SOURCE.encode("utf-8")]


def test_the_witnesses_work(listener: Listener, secret_file: WatchedFile) -> None:
    import requests

    assert requests.get(f"{listener.url}/probe", timeout=5).status_code == 200
    assert listener.hits == ["/probe"]
    _watcher_sees_a_reader(secret_file)
    # An XML parser told to resolve entities does open the file: the test can see a leak.
    from lxml import etree

    leaky = etree.XMLParser(resolve_entities=True, load_dtd=True, no_network=False)
    root = etree.fromstring(hostile_models(listener.url, secret_file.path)[
        "external entity, file"][0], leaky)
    assert "secret-content" in "".join(root.itertext())
    assert secret_file.readers == ["opened"]


# --- dicase deploy: deploy_directory --------------------------------------------------------------


def test_dicase_deploy_refuses_each_hostile_file_and_deploys_the_good_one(
        services: Services, listener: Listener, secret_file: WatchedFile, tmp_path: Path) -> None:
    directory = tmp_path / "processes"
    directory.mkdir()
    models = hostile_models(listener.url, secret_file.path)
    for number, data in enumerate(data for data, _expected in models.values()):
        (directory / f"hostile_{number:02}.bpmn").write_bytes(data)
    (directory / "hostile_dtd.dmn").write_bytes(models["external DTD, http"][0])
    (directory / "utf16.bpmn").write_bytes(P9_SOURCE.replace('encoding="UTF-8"', 'encoding="UTF-16"')
                                           .encode("utf-16"))
    (directory / "p09_out_of_family_care.bpmn").write_text(P9_SOURCE, encoding="utf-8")

    outcome = deploy_directory(services.sessions, directory, "owner")

    assert [d.file_name for d in outcome.deployed] == ["p09_out_of_family_care.bpmn"]
    refused = {err.file_name: err.reason for err in outcome.errors}
    assert set(refused) == {f"hostile_{n:02}.bpmn" for n in range(len(models))} | {
        "hostile_dtd.dmn", "utf16.bpmn"}
    for number, (name, (_data, expected)) in enumerate(models.items()):
        # A file is decoded before it is parsed: bytes that are not UTF-8 are refused as such.
        expected = "the file is not UTF-8 text" if name == "binary" else expected
        assert expected in refused[f"hostile_{number:02}.bpmn"], name
    assert ENTITIES in refused["hostile_dtd.dmn"]
    assert refused["utf16.bpmn"] == "the file is not UTF-8 text (byte 0)"
    with services.sessions() as session:
        assert session.scalars(select(ProcessDefinition.file_name)).all() == [
            "p09_out_of_family_care.bpmn"]
    _untouched(listener, secret_file)


def test_dicase_deploy_refuses_an_oversized_file_without_reading_it(
        services: Services, tmp_path: Path) -> None:
    directory = tmp_path / "processes"
    directory.mkdir()
    big = directory / "big.bpmn"
    with big.open("wb") as file:
        file.truncate(parsing.MAX_SOURCE_BYTES + 1)  # sparse: its size is all that is looked at
    big.chmod(0o200)  # not readable (a root test runner could still read it: the size decides)
    outcome = deploy_directory(services.sessions, directory, "owner")
    assert [str(err) for err in outcome.errors] == ["big.bpmn: the file is larger than 5 MB"]
    assert outcome.deployed == []


# --- the modeler ------------------------------------------------------------------------------


@pytest.fixture
def stored(web_services: Services) -> Callable[[], tuple[int, int, int]]:  # noqa: F811
    return lambda: _stored(web_services)


def test_the_modeler_refuses_every_hostile_model_and_stores_nothing(
        owner: FlaskClient, stored: Callable[[], tuple[int, int, int]],  # noqa: F811
        listener: Listener, secret_file: WatchedFile) -> None:
    # One signed-in session for all of them: setting up the app is most of each call's cost.
    models = hostile_models(listener.url, secret_file.path)
    before = stored()
    for name in HOSTILE_TEXT:
        data, expected = models[name]
        # The modeler answers in Latvian around the engine's reason; the model's kind is named
        # the same in both languages.
        expected = "BPMN 2.0" if expected == "not a BPMN 2.0 model" else expected
        body = {"xml": data.decode("utf-8")}

        deploy = post_json(owner, "/processes/api/deploy", body)
        assert deploy.status_code == 422, (name, deploy.text)
        assert any(expected in problem["message"] for problem in deploy.json["problems"]), (
            name, deploy.json)

        validate = post_json(owner, "/processes/api/validate", body)
        assert validate.status_code == 200, name
        assert any(problem["severity"] == "error" for problem in validate.json["problems"]), name

        for kind in ("bpmn", "dmn"):
            draft = post_json(owner, "/processes/api/drafts", {**body, "kind": kind})
            if (name, kind) in DRAFTS_THAT_ARE_MODELS:
                assert draft.status_code == 200, (name, kind, draft.text)
            else:
                assert draft.status_code == 422, (name, kind, draft.text)
                assert draft.json["problems"][0]["message"], (name, kind)
    after = stored()
    # Only the drafts that are models: no process version, no audit event of a deployment.
    assert (after[0], after[2]) == (before[0], before[2])
    assert after[1] == before[1] + 2  # both XInclude models are drafts of P9: one row
    _untouched(listener, secret_file)


# A draft need not deploy: a model the engine refuses (an XInclude in it) or a decision table is
# kept as the person's draft when it is readable XML of its kind.
DRAFTS_THAT_ARE_MODELS = {("XInclude of a file", "bpmn"), ("XInclude over http", "bpmn"),
                          ("a decision table instead of a process", "dmn")}
