"""/Bulk (RFC 7644 §3.7) with WSO2 7.2's per-operation authorization.

* Each operation runs in its own savepoint: a failing one leaves nothing behind (no half-created
  user) and the others proceed, until ``failOnErrors`` errors have happened.
* ``bulkId:<id>`` in an operation's ``path`` or anywhere in its ``data`` resolves to the id created
  by the operation with that ``bulkId``; an operation waiting for a later one runs after it, and a
  reference that can never resolve (unknown or circular) fails with 409.
* An operation runs only if the caller holds its scope: the resource's own scope
  (``internal_user_mgt_create`` for POST /Users, ``internal_group_mgt_update`` for PATCH /Groups/...)
  or WSO2's bulk twin (``internal_bulk_user_create``...); ``internal_bulk_resource_create`` allows
  every operation (the pre-7.2 behaviour). A missing scope gives that operation a 403 result.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from apps.core.errors import DomainError
from apps.scim.context import ScimContext
from apps.scim.errors import ScimError, from_domain_error, invalid_syntax, invalid_value
from apps.scim.patch import parse_patch_request
from apps.scim.resources import BULK_ALL_SCOPE, METHOD_ACTIONS, RESOURCE_TYPES, resource_type_for_path
from apps.scim.schema import BULK_REQUEST, BULK_RESPONSE, MAX_BULK_OPERATIONS

log = logging.getLogger(__name__)

_PREFIX = "bulkId:"


def operation_scopes(resource: Any, method: str) -> tuple[str, ...]:
    action = METHOD_ACTIONS[method]
    return (*resource.scopes[action], resource.bulk_scopes[action], BULK_ALL_SCOPE)


def all_bulk_relevant_scopes() -> set[str]:
    return {s for r in RESOURCE_TYPES for m in METHOD_ACTIONS for s in operation_scopes(r, m)}


@dataclass
class _Operation:
    index: int
    method: str
    path: str
    bulk_id: str | None
    data: Any
    version: str | None
    refs: set[str] = field(default_factory=set)


def _references(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, str) and value.startswith(_PREFIX):
        out.add(value[len(_PREFIX) :])
    elif isinstance(value, dict):
        for item in value.values():
            _references(item, out)
    elif isinstance(value, list):
        for item in value:
            _references(item, out)
    return out


def _substitute(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith(_PREFIX):
        return ids.get(value[len(_PREFIX) :], value)
    if isinstance(value, dict):
        return {k: _substitute(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, ids) for v in value]
    return value


def parse_bulk_request(body: Any) -> tuple[list[_Operation], int | None]:
    if not isinstance(body, dict):
        raise invalid_syntax("The request body must be a BulkRequest JSON object.")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or BULK_REQUEST not in schemas:
        raise invalid_syntax(f'"schemas" must list {BULK_REQUEST}.')
    raw_operations = body.get("Operations")
    if not isinstance(raw_operations, list):
        raise invalid_syntax('"Operations" must be a list.')
    if len(raw_operations) > MAX_BULK_OPERATIONS:
        raise ScimError(413, f"A bulk request may hold at most {MAX_BULK_OPERATIONS} operations.", "tooMany")
    fail_on_errors = body.get("failOnErrors")
    if fail_on_errors is not None and (
        not isinstance(fail_on_errors, int) or isinstance(fail_on_errors, bool) or fail_on_errors < 1
    ):
        raise invalid_value("failOnErrors must be a positive integer.")
    operations = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_operations):
        if not isinstance(raw, dict):
            raise invalid_syntax(f"Operation {index + 1} must be an object.")
        method, path = raw.get("method"), raw.get("path")
        if not isinstance(method, str) or method.upper() not in METHOD_ACTIONS:
            raise invalid_syntax(f"Operation {index + 1}: method must be POST, PUT, PATCH or DELETE.")
        if not isinstance(path, str) or not path.startswith("/"):
            raise invalid_syntax(f'Operation {index + 1}: "path" must be a resource path such as "/Users".')
        bulk_id = raw.get("bulkId")
        method = method.upper()
        if bulk_id is not None and (not isinstance(bulk_id, str) or not bulk_id):
            raise invalid_syntax(f"Operation {index + 1}: bulkId must be a non-empty string.")
        if method == "POST" and bulk_id is None:
            raise invalid_syntax(f"Operation {index + 1}: a POST operation needs a bulkId.")
        if bulk_id is not None:
            if bulk_id in seen:
                raise invalid_syntax(f"bulkId {bulk_id[:40]} is used twice.")
            seen.add(bulk_id)
        version = raw.get("version")
        operation = _Operation(
            index, method, path, bulk_id, raw.get("data"), version if isinstance(version, str) else None
        )
        operation.refs = _references(operation.data, set()) | _references(path.strip("/").split("/")[-1], set())
        operations.append(operation)
    return operations, fail_on_errors


def _result(
    operation: _Operation,
    status: int,
    *,
    location: str | None = None,
    error: ScimError | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    out: dict[str, Any] = {"method": operation.method}
    if operation.bulk_id is not None:
        out["bulkId"] = operation.bulk_id
    if version:
        out["version"] = version
    if location:
        out["location"] = location
    out["status"] = str(status)
    if error is not None:
        out["response"] = error.body()
    return out


class BulkRunner:
    def __init__(self, ctx: ScimContext, *, allowed: Any) -> None:
        self.ctx = ctx
        self.allowed = allowed  # (resource, method) -> bool
        self.ids: dict[str, str] = {}

    def run(self, operations: list[_Operation], fail_on_errors: int | None) -> dict[str, Any]:
        results: dict[int, dict[str, Any]] = {}
        errors = 0
        producers = {op.bulk_id: op for op in operations if op.bulk_id}
        pending = list(operations)
        while pending:
            waiting = []
            for operation in pending:
                if fail_on_errors is not None and errors >= fail_on_errors:
                    return self._response(results)  # the rest is not attempted
                unresolved = {ref for ref in operation.refs if ref not in self.ids}
                if any(
                    ref in producers and producers[ref] is not operation and producers[ref].index not in results
                    for ref in unresolved
                ):
                    waiting.append(operation)  # its producer comes later in the request
                    continue
                results[operation.index] = self._execute(operation, unresolved)
                errors += int(results[operation.index]["status"]) >= 400
            if len(waiting) == len(pending):  # nothing could run: circular references
                for operation in waiting:
                    error = ScimError(409, "The bulkId references of this operation are circular.", "invalidValue")
                    results[operation.index] = _result(operation, 409, error=error)
                    errors += 1
                waiting = []
            pending = waiting
        return self._response(results)

    @staticmethod
    def _response(results: dict[int, dict[str, Any]]) -> dict[str, Any]:
        return {"schemas": [BULK_RESPONSE], "Operations": [results[i] for i in sorted(results)]}

    def _execute(self, operation: _Operation, unresolved: set[str]) -> dict[str, Any]:
        try:
            if unresolved:
                raise ScimError(409, f"Unknown bulkId reference: {sorted(unresolved)[0][:40]}.", "invalidValue")
            path = _substitute(operation.path, self.ids) if operation.refs else operation.path
            if isinstance(path, str) and _PREFIX in path:
                parts = path.split("/")
                parts[-1] = _substitute(parts[-1], self.ids)
                path = "/".join(parts)
            target = resource_type_for_path(path)
            if target is None:
                raise ScimError(404, f"Unknown resource path {operation.path[:80]}.", "invalidPath")
            resource, resource_id = target
            if (operation.method == "POST") != (resource_id is None):
                raise ScimError(
                    400, f"{operation.method} {operation.path[:80]} is not a valid operation.", "invalidPath"
                )
            if not self.allowed(resource, operation.method):
                raise ScimError(403, "The access token does not hold the scope this operation needs.")
            data = _substitute(operation.data, self.ids)
            with transaction.atomic():
                return self._apply(operation, resource, resource_id, data)
        except DomainError as exc:
            return _result(operation, from_domain_error(exc).status, error=from_domain_error(exc))
        except ScimError as exc:
            return _result(operation, exc.status, error=exc)
        except RecursionError:
            error = invalid_syntax("The JSON is nested too deeply.")
            return _result(operation, 400, error=error)
        except Exception:
            log.exception("bulk operation failed")
            return _result(operation, 500, error=ScimError(500, "Unexpected server error."))

    def _apply(self, operation: _Operation, resource: Any, resource_id: str | None, data: Any) -> dict[str, Any]:
        ctx = self.ctx
        if operation.method == "POST":
            if not isinstance(data, dict):
                raise invalid_syntax('"data" must be the resource to create.')
            obj = resource.create(ctx, data)
            if operation.bulk_id:
                self.ids[operation.bulk_id] = str(obj.pk)
            return _result(operation, 201, location=ctx.location(resource.endpoint, obj.pk), version=_version(obj))
        obj = resource.get(ctx, resource_id)
        if obj is None:
            raise ScimError(404, f"{resource.name} {resource_id[:80]} not found.")
        if operation.version and _version(obj).removeprefix("W/") != operation.version.removeprefix("W/"):
            raise ScimError(412, "The resource has changed since the given version (Precondition Failed).")
        location = ctx.location(resource.endpoint, obj.pk)
        if operation.method == "DELETE":
            resource.delete(actor=ctx.actor, obj=obj)
            return _result(operation, 204, location=location)
        if operation.method == "PUT":
            if not isinstance(data, dict):
                raise invalid_syntax('"data" must be the replacement resource.')
            obj = resource.replace(ctx, obj, data)
        else:
            obj = resource.patch(ctx, obj, parse_patch_request(data))
        return _result(operation, 200, location=location, version=_version(obj))


def _version(obj: Any) -> str:
    from apps.scim.context import version_of

    return version_of(obj.last_modified)
