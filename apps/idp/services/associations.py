"""Federated associations: "this identity at that IdP is this local user".

Plain functions the login portal, the APIs, My Account, the bulk API and the
conditional-authentication bridge share (``association_local_user``,
``association_create``, ``association_remove``). Error codes follow WSO2's ``UAA-``
(user account association) prefix."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from apps.core.audit import audit_record
from apps.core.errors import Conflict, DomainError, InvalidInput
from apps.core.events import emit
from apps.core.ids import parse_uuid
from apps.idp.models import FederatedAssociation, IdentityProvider
from apps.users.models import User

MAX_SUBJECT_LENGTH = 255


def _clean_subject(subject: Any) -> str:
    if not isinstance(subject, str) or not subject.strip() or len(subject) > MAX_SUBJECT_LENGTH:
        raise InvalidInput(
            "UAA-10001",
            _("The federated user id is required (at most %(n)d characters).") % {"n": MAX_SUBJECT_LENGTH},
            field="federatedUserId",
        )
    if "\x00" in subject:
        raise InvalidInput("UAA-10001", _("The federated user id must not contain NUL."), field="federatedUserId")
    return subject.strip()


def _payload(association: FederatedAssociation) -> dict[str, str]:
    return {
        "associationId": str(association.pk),
        "userId": str(association.user_id),
        "userName": association.user.username,
        "idp": association.idp.name,
        "idpId": str(association.idp_id),
        "federatedUserId": association.federated_user_id,
    }


def _record(actor: Any, association: FederatedAssociation, action: str, **data: Any) -> None:
    payload = {**_payload(association), **data}
    audit_record(
        actor=actor,
        action=f"federated_association.{action}",
        target_type="user",
        target_id=association.user_id,
        organization=association.idp.organization,
        data=payload,
    )
    emit(f"federated_association.{action}", organization=association.idp.organization, payload=payload)


def association_local_user(*, idp: IdentityProvider, subject: str) -> User | None:
    """The local user linked to ``subject`` at ``idp``, or None (``getAssociatedLocalUser``)."""
    if not isinstance(subject, str) or not subject:
        return None
    row = (
        FederatedAssociation.objects.filter(idp=idp, federated_user_id=subject[:MAX_SUBJECT_LENGTH])
        .select_related("user", "user__organization")
        .first()
    )
    return row.user if row is not None else None


@transaction.atomic
def association_create(
    *, actor: Any, user: User, idp: IdentityProvider, subject: Any, via: str = "admin"
) -> FederatedAssociation:
    """Link ``subject`` at ``idp`` to ``user`` (``doAssociationWithLocalUser``). ``via`` says how:
    ``admin``, ``self``, ``lookup`` (account linking at sign-in), ``jit``, ``script``."""
    subject = _clean_subject(subject)
    if user.organization_id != idp.organization_id:
        raise InvalidInput("UAA-10002", _("The user and the identity provider belong to different organizations."))
    if FederatedAssociation.objects.filter(idp=idp, federated_user_id=subject).exists():
        raise Conflict(
            "UAA-10012",
            _("Error while adding federated user association: %(user)s") % {"user": user.pk},
            _("The federated association is already associated to a local user"),
        )
    association = FederatedAssociation(
        organization_id=idp.organization_id, user=user, idp=idp, federated_user_id=subject
    )
    try:
        with transaction.atomic():
            association.save(force_insert=True)
    except IntegrityError as exc:
        raise Conflict(
            "UAA-10012",
            _("Error while adding federated user association: %(user)s") % {"user": user.pk},
            _("The federated association is already associated to a local user"),
        ) from exc
    _record(actor, association, "created", via=via)
    return association


@transaction.atomic
def association_delete(*, actor: Any, association: FederatedAssociation) -> None:
    _record(actor, association, "deleted")
    association.delete()


@transaction.atomic
def associations_delete_for_user(*, actor: Any, user: User) -> int:
    """Remove every federated association of ``user``; returns how many there were."""
    rows = list(FederatedAssociation.objects.filter(user=user).select_related("idp", "idp__organization", "user"))
    for row in rows:
        association_delete(actor=actor, association=row)
    return len(rows)


@transaction.atomic
def association_remove(*, actor: Any, idp: IdentityProvider, subject: Any) -> bool:
    """Unlink ``subject`` at ``idp`` (``removeAssociatedLocalUser``): True when a link was removed."""
    if not isinstance(subject, str) or not subject:
        return False
    row = (
        FederatedAssociation.objects.filter(idp=idp, federated_user_id=subject[:MAX_SUBJECT_LENGTH])
        .select_related("idp", "idp__organization", "user")
        .first()
    )
    if row is None:
        return False
    association_delete(actor=actor, association=row)
    return True


# --- bulk ------------------------------------------------------------------------------------------------

DEFAULT_MAX_BULK_OPERATIONS = 1000


class BulkOperationFailed(Exception):
    """One bulk operation failed; the others go on."""

    def __init__(self, status: int, code: str, message: str, description: str) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message, self.description = status, code, message, description


def _bulk_path(path: Any) -> tuple[str, str | None]:
    """``/{user-id}/federated-associations[/{association-id}]`` -> (user id, association id or None)."""
    if not isinstance(path, str):
        raise BulkOperationFailed(400, "UAA-10008", _("Invalid path."), _("The operation needs a path."))
    parts = path.strip("/").split("/")
    if len(parts) in (2, 3) and parts[1] == "federated-associations" and parts[0]:
        return parts[0], parts[2] if len(parts) == 3 else None
    raise BulkOperationFailed(
        400,
        "UAA-10008",
        _("Invalid path."),
        _("The path must be /{user-id}/federated-associations[/{association-id}]."),
    )


def _bulk_user(organization: Any, user_id: str, verb: str) -> User:
    pk = parse_uuid(user_id)
    user = None if pk is None else User.objects.filter(organization_id=organization.pk, pk=pk).first()
    if user is None:
        raise BulkOperationFailed(
            404,
            "UAA-10009",
            _("Error while %(verb)s federated user association: %(user)s") % {"verb": verb, "user": user_id[:64]},
            _("User not found."),
        )
    return user


def _bulk_post(actor: Any, organization: Any, user_id: str, data: Any) -> int:
    user = _bulk_user(organization, user_id, "adding")
    if not isinstance(data, dict):
        raise BulkOperationFailed(
            400, "UAA-10001", _("Invalid request."), _("A POST operation needs data: {idp, federatedUserId}.")
        )
    idp_name = data.get("idp")
    idp = (
        IdentityProvider.objects.for_org(organization).filter(name=idp_name).first()
        if isinstance(idp_name, str)
        else None
    )
    if idp is None:
        raise BulkOperationFailed(
            400,
            "UAA-10013",
            _("Error while adding federated user association: %(user)s") % {"user": user.pk},
            _("Identity provider %(idp)s not found.") % {"idp": str(idp_name)[:100]},
        )
    association_create(actor=actor, user=user, idp=idp, subject=data.get("federatedUserId"), via="bulk")
    return 201


def _bulk_delete(actor: Any, organization: Any, user_id: str, association_id: str | None) -> int:
    user = _bulk_user(organization, user_id, "deleting")
    if association_id is None:
        associations_delete_for_user(actor=actor, user=user)
        return 204
    pk = parse_uuid(association_id)
    row = (
        None
        if pk is None
        else FederatedAssociation.objects.filter(user=user, pk=pk)
        .select_related("idp", "idp__organization", "user")
        .first()
    )
    if row is None:
        raise BulkOperationFailed(
            404,
            "UAA-10010",
            _("Error while deleting federated user association: %(user)s") % {"user": user.pk},
            _("Federated association %(id)s not found.") % {"id": association_id[:64]},
        )
    association_delete(actor=actor, association=row)
    return 204


def _bulk_one(actor: Any, organization: Any, operation: Any) -> int:
    if not isinstance(operation, dict):
        raise BulkOperationFailed(400, "UAA-10001", _("Invalid request."), _("An operation must be an object."))
    method = operation.get("method")
    if method not in ("POST", "DELETE"):
        raise BulkOperationFailed(
            400,
            "INVALID_BULK_OPERATION",
            _("Invalid bulk operation."),
            _("The supported methods for bulk operations are POST and DELETE."),
        )
    user_id, association_id = _bulk_path(operation.get("path"))
    if method == "POST":
        if association_id is not None:
            raise BulkOperationFailed(
                400, "UAA-10008", _("Invalid path."), _("POST takes /{user-id}/federated-associations.")
            )
        return _bulk_post(actor, organization, user_id, operation.get("data"))
    return _bulk_delete(actor, organization, user_id, association_id)


def associations_bulk(
    *,
    actor: Any,
    organization: Any,
    operations: Any,
    fail_on_errors: int = 0,
    max_operations: int = DEFAULT_MAX_BULK_OPERATIONS,
) -> list[dict[str, Any]]:
    """Run POST/DELETE association operations one by one, each in its own transaction; return
    one result per executed operation. With ``fail_on_errors`` N > 0, stop after N failures
    (later operations are neither run nor reported)."""
    if not isinstance(operations, list) or not operations:
        raise InvalidInput("UAA-10001", _("Invalid request."), _("operations must be a non-empty list."))
    if len(operations) > max_operations:
        raise InvalidInput(
            "MAXIMUM_BULK_OPERATION_LIMIT_EXCEEDED",
            _("Too many bulk operations."),
            _("The maximum number of bulk operations allowed is %(n)d.") % {"n": max_operations},
        )
    results: list[dict[str, Any]] = []
    failures = 0
    for operation in operations:
        bulk_id = operation.get("bulkId") if isinstance(operation, dict) else None
        entry: dict[str, Any] = {"bulkId": bulk_id if isinstance(bulk_id, str) else None}
        try:
            with transaction.atomic():
                status = _bulk_one(actor, organization, operation)
        except BulkOperationFailed as exc:
            status_body = {
                "statusCode": exc.status,
                "errorCode": exc.code,
                "errorMessage": exc.message,
                "errorDescription": exc.description,
            }
            entry["status"] = status_body
            failures += 1
        except DomainError as exc:
            entry["status"] = {
                "statusCode": exc.status,
                "errorCode": exc.code,
                "errorMessage": exc.message,
                "errorDescription": exc.description,
            }
            failures += 1
        else:
            entry["status"] = {"statusCode": status}
        results.append(entry)
        if fail_on_errors and failures >= fail_on_errors:
            break
    return results
