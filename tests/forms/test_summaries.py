"""What earlier steps of a case submitted, read-only, with the labels of their forms."""
from __future__ import annotations

import io
import re

from flask.testing import FlaskClient

from app.config import PROJECT_ROOT
from app.forms.summaries import SummaryItem, completed_task_summaries
from app.services import Services
from app.web import compile_catalogs
from tests.forms.conftest import VALID, page_of, second_task
from tests.web.conftest import csrf_of, task_row


def _complete_plan(client: FlaskClient, task_id: int) -> None:
    data = {"csrf_token": csrf_of(client), **VALID,
            "assessment_report": (io.BytesIO(b"%PDF-1.4 plan"), "Plāns.pdf")}
    response = client.post(f"/tasks/{task_id}", data=data, content_type="multipart/form-data")
    assert response.status_code == 302, response.text


def _by_label(items: tuple[SummaryItem, ...]) -> dict[str, SummaryItem]:
    return {item.label: item for item in items}


def test_the_next_task_shows_what_the_earlier_one_submitted(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    _complete_plan(anna, plan_task)
    text = page_of(anna, second_task(web_services, plan_task))
    section = text.split('<section class="summaries"', 1)[1].split("</section>", 1)[0]
    assert "Iepriekšējie šīs lietas soļi" in section
    assert "Sagatavot atbalsta plānu" in section
    assert re.search(r"Izpildīja Anna \d{2}\.\d{2}\.\d{4}\.", section)
    found = re.findall(r"<dt>([^<]+)</dt>\s*<dd>\s*<span class=\"summary-text\">([^<]*)</span>",
                       section)
    pairs = dict(found)
    assert pairs["Novērtēšanas datums"] == "07.03.2026"
    assert pairs["Dzīvesvieta"] == "Grupu dzīvoklī"
    assert pairs["Pārvietošanās"] == "Ar palīglīdzekli"
    assert pairs["Atbalsta stundas"] == "20 h/mēn."
    assert pairs["Attālums līdz pakalpojumam"] == "2,5 km"
    assert pairs["Ikmēneša pabalsts"] == "1 234,50 €"
    assert pairs["Pakalpojuma izmaksas"] == "99,99 €"
    assert pairs["Pakalpojumi"] == "Dienas aprūpe, Asistents"
    assert pairs["Personai ir aizbildnis"] == "Jā"
    assert pairs["Plāno pārcelties"] == "Nē"
    assert [text for label, text in found if label == "Radniecība"] == ["Vecāks", "Brālis vai māsa"]
    assert pairs["Dzimšanas datums"] == "02.04.2010"
    assert "Otrā rindā &lt;b&gt;treknrakstā&lt;/b&gt;." in section, "text is escaped"
    assert re.search(r'<a href="/attachments/\d+">Plāns.pdf</a>', section)
    assert '<ol class="summary-rows">' in section


def test_the_summary_speaks_english_when_english_is_chosen(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    _complete_plan(anna, plan_task)
    text = page_of(anna, second_task(web_services, plan_task), "en")
    section = text.split('<section class="summaries"', 1)[1].split("</section>", 1)[0]
    assert "Earlier steps of this case" in section
    assert "<dt>Living arrangement</dt>" in section and "Group home" in section
    assert "€1,234.50" in section and "20 h/month" in section and ">Yes<" in section


def test_completed_task_summaries_for_the_case_file(
        anna: FlaskClient, plan_task: int, web_services: Services) -> None:
    _complete_plan(anna, plan_task)
    review = second_task(web_services, plan_task)
    assert anna.post(f"/tasks/{review}", data={"csrf_token": csrf_of(anna)}).status_code == 302
    instance_id = task_row(web_services, plan_task).instance_id
    compile_catalogs(PROJECT_ROOT / "app" / "translations")
    with web_services.sessions() as session:
        summaries = completed_task_summaries(session, instance_id, "lv",
                                             forms_dir=web_services.settings.forms_dir)
    assert [(s.task_id, s.name, s.completed_by, s.completed_by_name) for s in summaries] == [
        (plan_task, "Sagatavot atbalsta plānu", "anna", "Anna"),
        (review, "Pārskatīt plānu", "anna", "Anna")]
    assert summaries[0].completed_at is not None
    assert summaries[0].form_title == "Atbalsta plāns (testa veidlapa)"
    assert summaries[1].items == ()  # a step without a form
    items = _by_label(summaries[0].items)
    assert items["Adrese"].kind == "group"
    assert [i.text for i in items["Adrese"].items] == ["Rīga", "Brīvības iela 1"]
    household = items["Mājsaimniecības locekļi"]
    assert household.kind == "rows" and len(household.rows) == 2
    assert [(i.label, i.text) for i in household.rows[0]] == [
        ("Vārds", "Jānis"), ("Radniecība", "Vecāks"), ("Ienākumi", "850,00 €"),
        ("Strādā", "Jā"), ("Darba devējs", "SIA Koks")]
    report = items["Novērtējuma ziņojums"]
    assert report.kind == "attachment" and report.attachment is not None
    assert report.attachment.file_name == "Plāns.pdf"
    # Unanswered optional fields are not listed.
    assert "Foto" not in items and "Patstāvīgi kopš" not in items


def test_a_case_without_completed_tasks_has_no_summaries(plan_task: int,
                                                         web_services: Services) -> None:
    instance_id = task_row(web_services, plan_task).instance_id
    with web_services.sessions() as session:
        assert completed_task_summaries(session, instance_id, "lv") == []
