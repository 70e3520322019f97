"""Helpers for the dialect tests: exact JSON, a strict JSON Schema checker, and the native view of amounts.

``jsonschema`` is not a dependency, so :func:`check` implements, strictly, the subset of JSON Schema the
seed documents use: ``type`` (one or a list), ``nullable``, ``properties``, ``required``,
``additionalProperties`` (``false``, ``true`` or a schema), ``enum`` (``null`` allowed when listed),
``format`` (``uuid``, ``date``, ``date-time``), ``items``, ``anyOf``, ``oneOf``, ``minLength``,
``pattern`` and ``$ref`` to a key of the same document (``#/name``).
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from conftest import ApiClient

HERE = Path(__file__).parent
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


def exact(response: httpx.Response) -> Any:
    """The body with every JSON number as an exact Decimal (so ``12.50`` stays ``12.50``)."""
    return json.loads(response.content, parse_float=Decimal, parse_int=Decimal)


def schemas(name: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((HERE / name).read_text())
    return loaded


class SchemaError(AssertionError):
    pass


def _type_ok(value: Any, kind: str) -> bool:
    checks = {
        "string": lambda v: isinstance(v, str),
        "number": lambda v: isinstance(v, Decimal | int) and not isinstance(v, bool),
        "integer": lambda v: (
            isinstance(v, int | Decimal)
            and not isinstance(v, bool)
            and Decimal(v) == Decimal(v).to_integral_value()
        ),
        "boolean": lambda v: isinstance(v, bool),
        "object": lambda v: isinstance(v, dict),
        "array": lambda v: isinstance(v, list),
        "null": lambda v: v is None,
    }
    return bool(checks[kind](value))


def _format_ok(value: str, fmt: str) -> bool:
    if fmt == "uuid":
        return bool(UUID.match(value))
    if fmt == "date":
        try:
            return len(value) == 10 and date.fromisoformat(value) is not None
        except ValueError:
            return False
    if fmt == "date-time":
        try:
            return (
                bool(DATE_TIME.match(value))
                and datetime.fromisoformat(value.replace("Z", "+00:00")) is not None
            )
        except ValueError:
            return False
    raise SchemaError(f"unsupported format {fmt}")


def check(value: Any, schema: dict[str, Any], root: dict[str, Any], path: str = "$") -> None:
    """Raise :class:`SchemaError` naming the first place where ``value`` breaks ``schema``."""
    if "$ref" in schema:
        check(value, root[schema["$ref"].removeprefix("#/")], root, path)
        return
    if value is None and schema.get("nullable"):
        return
    for keyword in ("anyOf", "oneOf"):
        if keyword in schema:
            passed = []
            for option in schema[keyword]:
                try:
                    check(value, option, root, path)
                    passed.append(option)
                except SchemaError:
                    continue
            if not passed or (keyword == "oneOf" and len(passed) > 1):
                raise SchemaError(f"{path}: {len(passed)} of the {keyword} options match {value!r}")
    if "type" in schema:
        kinds = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_type_ok(value, kind) for kind in kinds):
            raise SchemaError(f"{path}: {value!r} is not of type {kinds}")
    if "enum" in schema and value not in schema["enum"]:
        raise SchemaError(f"{path}: {value!r} is not one of {schema['enum']}")
    if isinstance(value, str):
        if "format" in schema and not _format_ok(value, schema["format"]):
            raise SchemaError(f"{path}: {value!r} is not a {schema['format']}")
        if len(value) < schema.get("minLength", 0):
            raise SchemaError(f"{path}: {value!r} is too short")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise SchemaError(f"{path}: {value!r} does not match {schema['pattern']}")
    if isinstance(value, dict):
        _check_object(value, schema, root, path)
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            check(item, schema["items"], root, f"{path}[{index}]")


def _check_object(value: dict[str, Any], schema: dict[str, Any], root: dict[str, Any], path: str) -> None:
    properties: dict[str, Any] = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in value:
            raise SchemaError(f"{path}: {name} is required")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            check(item, properties[name], root, f"{path}.{name}")
        elif extra is False:
            raise SchemaError(f"{path}: {name} is not allowed")
        elif isinstance(extra, dict):
            check(item, extra, root, f"{path}.{name}")


async def customer(api: ApiClient, currency: str = "USD", **fields: object) -> dict[str, Any]:
    return await api.create("/v1/customers", {"name": "Acme", "currency": currency, **fields})


async def native_invoice(api: ApiClient, invoice_id: str) -> dict[str, Any]:
    response = await api.get(f"/v1/invoices/{invoice_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def native_lines(invoice: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every line of a native invoice by id, grouped or not."""
    lines = list(invoice["standaloneLineItems"])
    for group in invoice["lineItemGroups"]:
        lines.extend(group["lineItems"])
    return {line["id"]: line for line in lines}
