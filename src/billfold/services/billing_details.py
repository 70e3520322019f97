"""Validation of legal and address details: tax ids (python-stdnum) and countries/subdivisions (pycountry).

Tax id types follow Stripe's names (``eu_vat``, ``br_cnpj``, ``us_ein``, ``gb_vat``, ...) plus Aira's
bare ``cnpj`` and ``cpf``. A type python-stdnum knows is validated and stored in its compact form; an
unknown type is stored as given. Countries are stored as ISO 3166-1 alpha-2 codes and accept alpha-2,
alpha-3 or the English name; a state is an ISO 3166-2 subdivision of that country, with or without the
country prefix (``AC`` or ``BR-AC``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from types import ModuleType
from typing import Any

import pycountry
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from billfold.services.errors import ValidationFailed

EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ALIASES: dict[str, tuple[str, str]] = {"cnpj": ("br", "cnpj"), "cpf": ("br", "cpf")}


@dataclass(frozen=True, slots=True)
class BillingDetails:
    trade_name: str | None = None
    business_name: str | None = None
    emails: list[str] = field(default_factory=list)
    tax_id: str | None = None
    tax_id_type: str | None = None
    street: str | None = None
    number: str | None = None
    complement: str | None = None
    neighborhood: str | None = None
    city: str | None = None
    state: str | None = None
    zip_code: str | None = None
    country: str | None = None

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def _tax_module(tax_id_type: str) -> Any:
    """The python-stdnum module validating ``tax_id_type`` (``{country}_{name}``), or ``None``."""
    if tax_id_type == "eu_vat":
        return eu_vat
    country, _, name = tax_id_type.partition("_")
    if tax_id_type in _ALIASES:
        country, name = _ALIASES[tax_id_type]
    if len(country) != 2 or not country.isalpha() or not name.isidentifier():
        return None
    try:
        module = get_cc_module(country, name)
    except (ImportError, ValueError):
        return None
    if not isinstance(module, ModuleType) or not callable(getattr(module, "validate", None)):
        return None
    return module


def validate_tax_id(tax_id: str | None, tax_id_type: str | None, prefix: str = "") -> str | None:
    """The compact, validated tax id; a 400 naming ``taxId`` if the known type rejects it."""
    if tax_id is None:
        return None
    if tax_id_type is None:
        return tax_id
    module = _tax_module(tax_id_type)
    if module is None:
        return tax_id
    try:
        return str(module.validate(tax_id))
    except StdnumError as error:
        raise ValidationFailed.field(f"{prefix}taxId", f"not a valid {tax_id_type}: {error}") from error


def normalize_country(value: str | None, prefix: str = "") -> str | None:
    if value is None:
        return None
    try:
        country = pycountry.countries.lookup(value)
    except LookupError as error:
        raise ValidationFailed.field(f"{prefix}country", f"unknown country {value!r}") from error
    return str(country.alpha_2)


def normalize_state(state: str | None, country: str | None, prefix: str = "") -> str | None:
    if state is None:
        return None
    if country is None:
        raise ValidationFailed.field(f"{prefix}state", "a state needs a country")
    code = state.upper()
    full = code if code.startswith(f"{country}-") else f"{country}-{code}"
    if pycountry.subdivisions.get(code=full) is None:  # type: ignore[no-untyped-call]
        raise ValidationFailed.field(f"{prefix}state", f"{state!r} is not a subdivision of {country}")
    return full.split("-", 1)[1]


def validate_details(details: BillingDetails, prefix: str = "") -> BillingDetails:
    """Check and normalize ``details``; ``prefix`` is prepended to field names in errors."""
    for index, email in enumerate(details.emails):
        if not EMAIL.fullmatch(email):
            raise ValidationFailed.field(f"{prefix}emails[{index}]", "not an email address")
    country = normalize_country(details.country, prefix + "address.")
    return replace(
        details,
        tax_id=validate_tax_id(details.tax_id, details.tax_id_type, prefix),
        country=country,
        state=normalize_state(details.state, country, prefix + "address."),
    )


DETAIL_FIELDS = frozenset(BillingDetails.__slots__)


def details_of(row: Any) -> BillingDetails:
    """The stored details of a customer, payment or issuing account."""
    values = {name: getattr(row, name) for name in BillingDetails.__slots__}
    values["emails"] = list(values["emails"] or [])
    return BillingDetails(**values)


def changed_details(row: Any, changes: dict[str, Any]) -> dict[str, Any]:
    """The detail columns after ``changes`` (snake_case detail fields; ``None`` clears one), checked
    and normalized as on create (a 400 names the field at fault); only the columns that change."""
    given = {name: value for name, value in changes.items() if name in DETAIL_FIELDS}
    if not given:
        return {}
    current = details_of(row)
    merged = validate_details(replace(current, **given)).columns()
    return {name: value for name, value in merged.items() if value != getattr(current, name)}
