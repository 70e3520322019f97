"""Request bodies: parsed once per request, strictly, by one parser shared by every API.

Every JSON body, native or vendor, goes through :func:`parse_json`:

- a key given twice in one object is a 400 naming it (``{"amount": "duplicated key"}``): JSON leaves
  duplicates undefined and Python's parser keeps the last one, so ``{"amount": "1.00", "amount":
  "1000000.00"}`` would silently bill the second;
- a string (value or key) holding NUL (``\\u0000``) or a lone surrogate (``\\ud800``) is a 400 naming its
  path: PostgreSQL cannot store NUL in text and no database can encode a lone surrogate, so such a string
  must never get past the edge, whatever field it is in;
- invalid JSON is a 400 on ``body`` (so are ``NaN`` and ``Infinity`` where numbers are parsed exactly).

The parse is cached in the ASGI scope, so the framework's body validation, the idempotency fingerprint
and a dialect's own reading share one parse. A dialect parses numbers exactly (``parse_float=Decimal``);
the native API keeps the default (a JSON number there is refused by its schemas anyway).
"""

from __future__ import annotations

import inspect
import json
import re
import types
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import Annotated, Any, Union, get_args, get_origin

from fastapi import Request
from fastapi._compat import Undefined
from fastapi.dependencies.models import Dependant
from fastapi.dependencies.utils import request_body_to_args, request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form
from fastapi.responses import Response
from fastapi.routing import APIRoute, _effective_route_context_var
from pydantic import BaseModel

from billfold.services.errors import ValidationFailed
from billfold.web.errors import MAX_DETAILS, MORE, cap_details, summary

_CACHE = "billfold.json"
_UNSAFE = re.compile("[\x00\ud800-\udfff]")
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _unique_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _DuplicateKey(key)
            seen.add(key)
    return result


def _invalid(details: dict[str, Any]) -> ValidationFailed:
    causations = [{"field": name, "message": reason} for name, reason in details.items()]
    return ValidationFailed(summary(details), details=details, causations=causations)


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    return f"{parent}.{key}" if parent else key


def _unsafe_strings(data: Any, found: list[tuple[str, str]]) -> None:
    """Collect (path, reason) for every string in ``data`` that no database can store (iteratively: a
    body may nest as deep as the JSON parser allows)."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        value, at = stack.pop()
        if isinstance(value, str):
            match = _UNSAFE.search(value)
            if match is not None:
                reason = (
                    "must not contain the NUL character (\\u0000)"
                    if match.group() == "\x00"
                    else "must be valid Unicode (no unpaired surrogate)"
                )
                found.append((at or "body", reason))
        elif isinstance(value, dict):
            for key, item in reversed(value.items()):
                if _UNSAFE.search(key) is not None:
                    found.append((at or "body", "a field name must not contain NUL or an unpaired surrogate"))
                stack.append((item, _path(at, key)))
        elif isinstance(value, list):
            stack.extend((item, _path(at, index)) for index, item in reversed(list(enumerate(value))))


def _duplicate_path(raw: str) -> str | None:
    """The path of the first duplicated key (parsed again keeping every pair; only on the error path)."""

    class Pairs(list[tuple[str, Any]]):
        pass

    def walk(value: Any, at: str) -> str | None:
        if isinstance(value, Pairs):
            seen: set[str] = set()
            for key, item in value:
                if key in seen:
                    return _path(at, key)
                seen.add(key)
                inner = walk(item, _path(at, key))
                if inner is not None:
                    return inner
        elif isinstance(value, list):
            for index, item in enumerate(value):
                inner = walk(item, _path(at, index))
                if inner is not None:
                    return inner
        return None

    try:
        return walk(json.loads(raw, object_pairs_hook=Pairs), "")
    except (ValueError, RecursionError):
        return None


def parse_json(raw: bytes, *, exact: bool = False) -> Any:
    """``raw`` as JSON, refusing what the module docstring lists with a :class:`ValidationFailed`
    naming the field. ``exact``: fractional numbers as :class:`~decimal.Decimal`, never floats, and
    ``NaN``/``Infinity`` refused as invalid JSON (else they parse as floats, which every native field
    refuses by name)."""
    try:
        text = raw.decode()  # JSON on the wire is UTF-8 (RFC 8259); json.loads would also guess UTF-16/32
        if exact:
            data = json.loads(
                text, object_pairs_hook=_unique_pairs, parse_float=Decimal, parse_constant=_no_constants
            )
        else:
            data = json.loads(text, object_pairs_hook=_unique_pairs)
    except _DuplicateKey as error:
        where = _duplicate_path(text) or error.key
        raise _invalid({where: "duplicated key"}) from None
    except RecursionError:
        raise _invalid({"body": "the body nests arrays or objects too deeply"}) from None
    except ValueError as error:
        # Python reads integers of at most 4,300 digits (sys.get_int_max_str_digits)
        too_long = "Exceeds the limit" in str(error)
        reason = "a number in the body has too many digits" if too_long else "the body is not valid JSON"
        raise _invalid({"body": reason}) from None
    # NUL and surrogates can only arrive escaped: strict JSON refuses raw control characters in strings
    if "\\u" in text:
        found: list[tuple[str, str]] = []
        _unsafe_strings(data, found)
        if found:
            raise _invalid(cap_details(found))
    return data


async def parsed_body(request: Request, *, exact: bool = False) -> Any:
    """The request's body parsed by :func:`parse_json`, once per request (cached in the scope);
    ``None`` when the body is empty."""
    cache: dict[bool, Any] = request.scope.setdefault(_CACHE, {})
    if exact not in cache:
        raw = await request.body()
        cache[exact] = parse_json(raw, exact=exact) if raw else None
    return cache[exact]


# -- unknown fields, counted before validation -------------------------------------------------------


def _unwrap(annotation: Any) -> Any:
    """``X`` from ``Annotated[X, ...]`` and ``X | None``; anything else as it is."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _model(annotation: Any) -> type[BaseModel] | None:
    found = _unwrap(annotation)
    return found if isinstance(found, type) and issubclass(found, BaseModel) else None


_Children = tuple[frozenset[str] | None, list[tuple[str, type[BaseModel] | None, type[BaseModel] | None]]]
_SHAPES: dict[type[BaseModel], _Children] = {}


def _shape(model: type[BaseModel]) -> _Children:
    """The field names ``model`` accepts (``None`` when it allows any) and its fields holding a model or a
    list of models, by wire name."""
    shape = _SHAPES.get(model)
    if shape is None:
        names = frozenset(field.alias or name for name, field in model.model_fields.items())
        children = []
        for name, field in model.model_fields.items():
            inner = _unwrap(field.annotation)
            items = _model(get_args(inner)[0]) if get_origin(inner) is list and get_args(inner) else None
            if _model(inner) is not None or items is not None:
                children.append((field.alias or name, _model(inner), items))
        shape = (names if model.model_config.get("extra") == "forbid" else None, children)
        _SHAPES[model] = shape
    return shape


_At = str | tuple[Any, str | int]
"""Where a value sits: its path, or ``(parent, key)`` made into one only when a field there is named (a
1,000-line body's every line would otherwise format its own path, to name nothing in most bodies)."""


def _where(at: _At) -> str:
    return at if isinstance(at, str) else _path(_where(at[0]), at[1])


def _count_unknown(
    model: type[BaseModel], data: dict[str, Any], at: _At, found: list[tuple[str, str]]
) -> int:
    allowed, children = _shape(model)
    total = 0
    if allowed is not None and not allowed.issuperset(data):
        where = _where(at)
        for key in data:
            if key not in allowed:
                total += 1
                if len(found) < MAX_DETAILS:
                    found.append((_path(where, key), "unknown field"))
    for name, nested, items in children:
        value = data.get(name)
        if nested is not None and isinstance(value, dict):
            total += _count_unknown(nested, value, (at, name), found)
        elif items is not None and isinstance(value, list):
            inside, (accepted, nesting) = (at, name), _shape(items)
            names = frozenset(child for child, _, _ in nesting)
            for index, item in enumerate(value):
                if isinstance(item, dict):
                    if accepted is not None and accepted.issuperset(item) and names.isdisjoint(item):
                        continue  # known fields only, none of them nested (most lines)
                    total += _count_unknown(items, item, (inside, index), found)
    return total


def refuse_many_unknown_fields(model: type[BaseModel], data: Any) -> None:
    """A 400 listing the first unknown fields when a body holds more than the details can name.

    Validation would build one error per unknown field (100,000 keys: 100,000 errors, seconds of CPU) only
    for all but :data:`~billfold.web.errors.MAX_DETAILS` of them to be dropped; counting them is cheap.
    Fewer are left to validation, which reports them along with any other error."""
    if not isinstance(data, dict):
        return
    found: list[tuple[str, str]] = []
    total = _count_unknown(model, data, "", found)
    if total > MAX_DETAILS:
        details: dict[str, Any] = dict(found)
        details[MORE] = f"{total - len(found)} more"
        raise _invalid(details)


class JsonRequest(Request):
    """A request whose ``json()`` is :func:`parsed_body` (so the framework's own parse is the strict one)."""

    async def json(self) -> Any:
        return await parsed_body(self)


def _is_json(request: Request) -> bool:
    declared = request.headers.get("content-type")
    if declared is None:
        return True
    kind = declared.split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json")


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def _request_only(dependency: Dependant) -> bool:
    """A dependency that takes the request at most and is a coroutine function with nothing beneath it."""
    return (
        inspect.iscoroutinefunction(dependency.call)
        and not dependency.dependencies
        and not (dependency.path_params or dependency.query_params or dependency.body_params)
        and not (dependency.header_params or dependency.cookie_params)
        and not (dependency.http_connection_param_name or dependency.websocket_param_name)
        and not (dependency.response_param_name or dependency.background_tasks_param_name)
        and not dependency.security_scopes_param_name
        and getattr(dependency, "concurrency", None) is None
    )


async def _framework_body(request: Request) -> Any:
    """The body as the framework hands it to validation: none, the parsed JSON of a JSON content type,
    else the bytes."""
    raw = await request.body()
    if not raw:
        return Undefined
    declared = request.headers.get("content-type")
    if declared:
        main, _, sub = declared.split(";")[0].strip().lower().partition("/")
        if main == "application" and (sub == "json" or sub.endswith("+json")):
            return await request.json()
    return raw


def _direct(route: Any, fallback: Handler) -> Handler | None:
    """The route's endpoint called without the framework's general dependency solving, for a route that
    needs none of it: path parameters, one body, the request, and dependencies that take the request at
    most, an endpoint that answers a :class:`Response` itself. The same functions validate the path and
    the body, into the same errors; the dependencies run first, as the framework runs them. ``None`` for
    any other route (and the framework's handler whenever the app overrides a dependency).

    What it skips per request (the add line's profile): the search of the query string, the headers and
    the cookies for parameters the route does not have, the content type parsed as a MIME message, the
    telemetry hooks, the generic response building (``solve_dependencies`` alone was 6.2 % of the add's
    py-spy samples)."""
    dependant: Dependant = route.dependant
    endpoint = dependant.call
    if not inspect.iscoroutinefunction(endpoint):
        return None
    try:
        answers = inspect.signature(endpoint, eval_str=True).return_annotation
    except (NameError, TypeError):
        return None
    if not (inspect.isclass(answers) and issubclass(answers, Response)):
        return None
    if dependant.query_params or dependant.header_params or dependant.cookie_params:
        return None
    if dependant.http_connection_param_name or dependant.websocket_param_name:
        return None
    if dependant.response_param_name or dependant.background_tasks_param_name:
        return None
    if dependant.security_scopes_param_name or len(dependant.body_params) > 1:
        return None
    if route.body_field is not None and isinstance(route.body_field.field_info, Form):
        return None
    if not all(_request_only(dependency) for dependency in dependant.dependencies):
        return None
    dependencies = [(d.call, d.request_param_name, d.name) for d in dependant.dependencies]
    path_params, body_params = dependant.path_params, dependant.body_params
    embed = route._embed_body_fields
    request_name = dependant.request_param_name
    overrides = route.dependency_overrides_provider

    async def direct(request: Request) -> Response:
        if overrides is not None and getattr(overrides, "dependency_overrides", None):
            return await fallback(request)
        values: dict[str, Any] = {}
        for call, takes_request, name in dependencies:
            solved = await (call(**{takes_request: request}) if takes_request else call())  # type: ignore[misc]
            if name is not None:
                values[name] = solved
        found, errors = request_params_to_args(path_params, request.path_params)
        values.update(found)
        body: Any = Undefined
        if body_params:
            body = await _framework_body(request)
            found, body_errors = await request_body_to_args(
                body_fields=body_params, received_body=body, embed_body_fields=embed
            )
            values.update(found)
            errors.extend(body_errors)
        if errors:
            raise RequestValidationError(errors, body=None if body is Undefined else body)
        if request_name:
            values[request_name] = request
        answer: Response = await endpoint(**values)
        return answer

    return direct


class JsonRoute(APIRoute):
    """The route class of every native router: the body is parsed strictly before the framework sees it,
    so a duplicated key or a NUL is a 400 naming the field (the framework would only say "invalid body").
    A route that needs none of the framework's general dependency solving is called directly
    (:func:`_direct`)."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        model = None if self.body_field is None else _model(self.body_field.field_info.annotation)
        # the route as the framework sees it here: an included router's adds its prefix and dependencies
        context = _effective_route_context_var.get()
        route = context if context is not None and context.original_route is self else self
        handle = _direct(route, handler) or handler
        # the API's own routes; the hosted pages (/i/...) take what a link adds to them (utm_source=...)
        known = _query_names(route.dependant) if route.path.startswith("/v1/") else None

        async def strict(request: Request) -> Response:
            request = JsonRequest(request.scope, request.receive)
            if known is not None and request.scope.get("query_string"):
                await _refuse_unknown_query(request, known)
            if request.method in _BODY_METHODS and _is_json(request):
                data = await parsed_body(request)
                if model is not None:
                    refuse_many_unknown_fields(model, data)
            return await handle(request)

        return strict


def _query_names(dependant: Dependant) -> frozenset[str]:
    """The query parameters a route declares, in its own signature or its dependencies'."""
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_names(dependency)
    return frozenset(names)


async def _refuse_unknown_query(request: Request, known: frozenset[str]) -> None:
    """A 400 naming each query parameter the route does not take (``?custmerId=`` would otherwise list
    every invoice), and each one given more than once (``?limit=2&limit=3``: no parameter of the API
    takes a list, and which one wins is not the caller's guess to make; JSON bodies refuse duplicate
    keys alike), after the caller's key is checked (a caller without a valid key gets its 401)."""
    names = [name for name, _ in request.query_params.multi_items()]
    unknown = [name for name in dict.fromkeys(names) if name not in known]
    repeated = [name for name in dict.fromkeys(names) if name in known and names.count(name) > 1]
    if not unknown and not repeated:
        return
    from billfold.web.plumbing import current_actor  # the web layer's own key check (it imports this)

    await current_actor(request)
    reason = f"unknown query parameter (this route takes: {', '.join(sorted(known)) or 'none'})"
    problems = [(name, reason) for name in unknown]
    problems += [(name, "given more than once; give it once") for name in repeated]
    message = f"unknown query parameter: {', '.join(unknown)}" if unknown else ""
    if repeated:
        message += ("; " if message else "") + f"repeated query parameter: {', '.join(repeated)}"
    raise ValidationFailed(message, details=cap_details(problems))
