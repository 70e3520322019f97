"""The data EN 16931 e-invoices need, checked as it comes in: VAT ids (python-stdnum), IBAN and BIC
(schwifty), electronic addresses (EAS scheme), unit codes (UN/ECE Recommendation 20), locales (BCP 47,
Babel), VAT categories (UNCL 5305) and exemption reasons. Each check answers the normalized value or a
400 naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel import Locale, UnknownLocaleError
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum import get_cc_module
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import ValidationError as StdnumError

from billfold.documents.codelists import EAS_CODES
from billfold.services.billing_details import EMAIL
from billfold.services.errors import ValidationFailed

VAT_CATEGORIES = ("S", "Z", "E", "AE", "K", "G", "O", "L", "M")
ZERO_ONLY = frozenset({"Z", "E", "AE", "K", "G", "O"})
TAKES_REASON = frozenset({"E", "AE", "K", "G", "O"})
UNIT_CODE = re.compile(r"[A-Z0-9]{2,3}")
VATEX = re.compile(r"VATEX-[A-Z0-9-]{1,40}")
VAT_ID = re.compile(r"[A-Z]{2}[A-Z0-9+*.]{2,14}")
DEFAULT_UNIT_CODE = "C62"


def vat_category_for(rate: Decimal, given: str | None) -> str:
    """The rate's VAT category: the one given, else ``S`` for a positive rate and ``Z`` (zero rated) for 0."""
    if given is not None:
        return given
    return "S" if rate > 0 else "Z"


def check_vat_rate(
    prefix: str, rate: Decimal, category: str | None, reason: str | None, reason_code: str | None
) -> dict[str, Any]:
    """A rate's EN 16931 fields as stored (``vatCategory``, ``exemptionReason``, ``exemptionReasonCode``)."""
    chosen = vat_category_for(rate, category)
    if chosen not in VAT_CATEGORIES:
        raise ValidationFailed.field(f"{prefix}vatCategory", f"must be one of {', '.join(VAT_CATEGORIES)}")
    if chosen == "S" and rate <= 0:
        raise ValidationFailed.field(f"{prefix}vatCategory", "S (standard rate) needs a rate above 0")
    if chosen in ZERO_ONLY and rate != 0:
        raise ValidationFailed.field(f"{prefix}vatCategory", f"category {chosen} takes rate 0")
    if (reason or reason_code) and chosen not in TAKES_REASON:
        field = "exemptionReason" if reason else "exemptionReasonCode"
        raise ValidationFailed.field(
            f"{prefix}{field}", f"only categories {', '.join(sorted(TAKES_REASON))} take an exemption reason"
        )
    code = None
    if reason_code is not None:
        code = reason_code.upper()
        if not VATEX.fullmatch(code):
            raise ValidationFailed.field(f"{prefix}exemptionReasonCode", "must be a VATEX code (VATEX-EU-AE)")
    return {"vatCategory": chosen, "exemptionReason": reason, "exemptionReasonCode": code}


def check_vat_id(value: str | None, field: str = "vatId") -> str | None:
    """A VAT id with its country prefix, compacted; validated by python-stdnum where it knows the
    country (every EU member, GB, CH, NO, ...), else checked for its shape."""
    if value is None:
        return None
    compact = re.sub(r"[\s.-]", "", value).upper()
    if not VAT_ID.fullmatch(compact):
        raise ValidationFailed.field(field, "must be a VAT id starting with its country prefix (DE123456789)")
    country = compact[:2]
    try:
        if country.lower() in eu_vat.MEMBER_STATES or country == "EL":
            return str(eu_vat.validate(compact))
        module = _vat_module(country.lower())
        if module is not None:
            number = str(module.validate(compact[2:]))
            return country + number.removeprefix(country)
    except StdnumError as error:
        raise ValidationFailed.field(field, f"not a valid VAT id: {error}") from error
    return compact


def _vat_module(country: str) -> Any:
    for name in ("vat", "mva", "tva"):
        try:
            module = get_cc_module(country, name)
        except (ImportError, ValueError):
            continue
        if module is not None and callable(getattr(module, "validate", None)):
            return module
    return None


def check_iban(value: str | None, field: str = "iban") -> str | None:
    if value is None:
        return None
    try:
        return str(IBAN(value).compact)
    except SchwiftyException as error:
        raise ValidationFailed.field(field, f"not a valid IBAN: {error}") from error


def check_bic(value: str | None, field: str = "bic") -> str | None:
    if value is None:
        return None
    try:
        return str(BIC(value).compact)
    except SchwiftyException as error:
        raise ValidationFailed.field(field, f"not a valid BIC: {error}") from error


@dataclass(frozen=True, slots=True)
class ElectronicAddressIn:
    value: str
    scheme: str


def check_electronic_address(
    address: ElectronicAddressIn | None, field: str = "electronicAddress"
) -> tuple[str | None, str | None]:
    """(value, scheme): the scheme is a code of the CEF EAS list (``0088`` GLN, ``9930`` German VAT id,
    ``EM`` e-mail), which EN 16931 checks (BR-CL-25)."""
    if address is None:
        return None, None
    scheme = address.scheme.upper()
    if scheme not in EAS_CODES:
        raise ValidationFailed.field(
            f"{field}.scheme", "must be a code of the CEF EAS list (0088 GLN, 9930 German VAT id, EM e-mail)"
        )
    value = address.value.strip()
    if not value:
        raise ValidationFailed.field(f"{field}.value", "must not be empty")
    if scheme == "EM" and not EMAIL.fullmatch(value):
        raise ValidationFailed.field(f"{field}.value", "scheme EM takes an email address")
    return value, scheme


def check_unit_code(value: str | None, field: str = "unitCode") -> str:
    """A UN/ECE Recommendation 20 code (``C62`` one, ``HUR`` hour, ``KWH``); ``C62`` when not given."""
    if value is None:
        return DEFAULT_UNIT_CODE
    if not UNIT_CODE.fullmatch(value):
        raise ValidationFailed.field(
            field, "must be a UN/ECE Recommendation 20 code: 2-3 capitals/digits (C62)"
        )
    return value


def check_locale(value: str | None, field: str = "locale") -> str | None:
    """A BCP 47 tag Babel knows, normalized (``pt_br`` -> ``pt-BR``)."""
    if value is None:
        return None
    try:
        locale = Locale.parse(value.replace("-", "_"))
    except (ValueError, TypeError, UnknownLocaleError) as error:
        raise ValidationFailed.field(
            field, f"unknown locale {value!r} (a BCP 47 tag: en, de, pt-BR)"
        ) from error
    return str(locale).replace("_", "-")


def check_email(value: str | None, field: str) -> str | None:
    if value is not None and not EMAIL.fullmatch(value):
        raise ValidationFailed.field(field, "not an email address")
    return value


@dataclass(frozen=True, slots=True)
class ContactIn:
    name: str | None = None
    phone: str | None = None
    email: str | None = None


SELLER_FIELDS = frozenset({"vat_id", "legal_registration_id", "contact", "iban", "bic", "electronic_address"})
CUSTOMER_FIELDS = frozenset({"electronic_address", "locale"})


def seller_columns(changes: dict[str, Any]) -> dict[str, Any]:
    """The issuing account's EN 16931 columns for the fields in ``changes`` (snake_case: ``vat_id``,
    ``legal_registration_id``, ``contact`` (a :class:`ContactIn`), ``iban``, ``bic``,
    ``electronic_address`` (an :class:`ElectronicAddressIn`); ``None`` clears one), checked."""
    values: dict[str, Any] = {}
    if "vat_id" in changes:
        values["vat_id"] = check_vat_id(changes["vat_id"])
    if "legal_registration_id" in changes:
        values["legal_registration_id"] = changes["legal_registration_id"] or None
    if "contact" in changes:
        contact = changes["contact"] or ContactIn()
        values["contact_name"] = contact.name
        values["contact_phone"] = contact.phone
        values["contact_email"] = check_email(contact.email, "contact.email")
    if "iban" in changes:
        values["iban"] = check_iban(changes["iban"])
    if "bic" in changes:
        values["bic"] = check_bic(changes["bic"])
    if "electronic_address" in changes:
        address, scheme = check_electronic_address(changes["electronic_address"])
        values["electronic_address"], values["electronic_address_scheme"] = address, scheme
    return values


def customer_columns(changes: dict[str, Any]) -> dict[str, Any]:
    """A customer's ``electronic_address`` and ``locale`` columns for the fields in ``changes``."""
    values: dict[str, Any] = {}
    if "electronic_address" in changes:
        address, scheme = check_electronic_address(changes["electronic_address"])
        values["electronic_address"], values["electronic_address_scheme"] = address, scheme
    if "locale" in changes:
        values["locale"] = check_locale(changes["locale"])
    return values
