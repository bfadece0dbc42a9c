"""How dimension values that are codes of the product's own registers are named: life domains
(the questionnaire, which the ministry may replace), service types, mixes of service types and
group homes. The catalogue names a dimension's ``labels``; organisations are named from the
``organisation`` table by the engine."""
from __future__ import annotations

from collections.abc import Callable

from app.assessment.questionnaire import domain_titles
from app.domain import group_homes
from app.domain.service_types import service_type_name


def life_domain(code: str, lang: str) -> str:
    return domain_titles(lang).get(code, code)


def service_type(code: str, lang: str) -> str:
    return service_type_name(code, lang)


def service_mix(code: str, lang: str) -> str:
    """A mix is the service-type codes received, space-separated; none is the empty mix."""
    names = [service_type_name(part, lang) for part in code.split()]
    if not names:
        return "Bez pakalpojumiem" if lang != "en" else "No services"
    return " + ".join(names)


def group_home(code: str, lang: str) -> str:
    home = group_homes.register().get(code)
    return home.name if home is not None else code


LABELS: dict[str, Callable[[str, str], str]] = {
    "life_domain": life_domain,
    "service_type": service_type,
    "service_mix": service_mix,
    "group_home": group_home,
}
