"""Sharing an application through the services: policies, the three role-sharing modes, diffs, shared roles."""

from __future__ import annotations

import pytest

from apps.applications.models import ApplicationShare, SharedApplication
from apps.applications.services.sharing import (
    OrgShare,
    RoleSharingConfig,
    application_share,
    application_share_roles_change,
    application_share_with_all,
    application_unshare,
    application_unshare_all,
)
from apps.core.audit import AuditLog
from apps.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from apps.orgs.services import organization_create, organization_delete, organization_update
from apps.users.models import Role
from apps.users.services import role_create, role_delete, role_update, user_create
from apps.users.services.roles import role_assignments_change
from tests.sharing.conftest import shared_roles

ONLY = ApplicationShare.Policy.SELECTED_ORG_ONLY
CASCADE = ApplicationShare.Policy.SELECTED_ORG_WITH_ALL_EXISTING_AND_FUTURE_CHILDREN
FUTURE = ApplicationShare.Policy.ALL_EXISTING_AND_FUTURE_ORGS
EXISTING = ApplicationShare.Policy.ALL_EXISTING_ORGS_ONLY


def usable_in(app, org) -> bool:
    return SharedApplication.objects.filter(application=app.application, organization=org).exists()


def selected(*names: str) -> RoleSharingConfig:
    return RoleSharingConfig("SELECTED", names)


def copy_in(app, org, name: str) -> Role:
    return Role.objects.get(
        organization=org, audience_application=app.application, name=name, shared_from__isnull=False
    )


def test_mode_a_all_roles_with_all_organizations_including_future_ones(tree, app_x, r1, r2):
    application_share_with_all(
        actor=None, application=app_x.application, policy=FUTURE, role_sharing=RoleSharingConfig("ALL")
    )
    for org in (tree.a, tree.a1, tree.a2, tree.b):
        assert usable_in(app_x, org)
        assert shared_roles(app_x, org) == {"R1", "R2"}
    assert not usable_in(app_x, tree.root)  # the owner has it anyway; no copies of its own roles
    later = organization_create(actor=None, parent=tree.a1, name="Later", handle="later")
    assert usable_in(app_x, later)
    assert shared_roles(app_x, later) == {"R1", "R2"}
    app_x.application.refresh_from_db()
    assert "organization_switch" in app_x.application.grant_types  # WSO2: offered once shared


def test_all_existing_only_does_not_reach_future_organizations(tree, app_x, r1):
    application_share_with_all(
        actor=None, application=app_x.application, policy=EXISTING, role_sharing=RoleSharingConfig("ALL")
    )
    assert usable_in(app_x, tree.b)
    later = organization_create(actor=None, parent=tree.b, name="Later", handle="later")
    assert not usable_in(app_x, later)
    assert shared_roles(app_x, later) == set()


def test_mode_b_common_selection_for_all_organizations(tree, app_x, r1, r2):
    application_share_with_all(actor=None, application=app_x.application, policy=FUTURE, role_sharing=selected("R1"))
    for org in (tree.a, tree.a1, tree.a2, tree.b):
        assert shared_roles(app_x, org) == {"R1"}


def test_mode_c_per_organization_roles_and_switching_changes_only_that_organization(tree, app_x, r1, r2, make_user):
    application_share_with_all(actor=None, application=app_x.application, policy=FUTURE, role_sharing=selected("R1"))
    carol = make_user(tree.a1, "carol")
    dave = make_user(tree.a2, "dave")
    role_assignments_change(actor=None, role=copy_in(app_x, tree.a1, "R1"), add_user_ids=[carol.pk])
    role_assignments_change(actor=None, role=copy_in(app_x, tree.a2, "R1"), add_user_ids=[dave.pk])
    own = role_create(actor=None, organization=tree.a1, name="Local", user_ids=[carol.pk])

    application_share(
        actor=None,
        application=app_x.application,
        organizations=[OrgShare(tree.a1.id, ONLY, selected("R2"))],
    )
    assert shared_roles(app_x, tree.a1) == {"R2"}
    assert shared_roles(app_x, tree.a2) == {"R1"}  # untouched: still from the "all" rule
    assert copy_in(app_x, tree.a2, "R1").users.filter(pk=dave.pk).exists()
    assert Role.objects.filter(pk=own.pk, users=carol).exists()  # an unrelated role keeps its assignment
    removal = AuditLog.objects.filter(action="role.shared.remove").latest("pk")
    assert removal.data["organizations"] == [str(tree.a1.id)]


def test_selected_org_only_versus_cascading_to_existing_and_future_children(tree, app_x, r1, r2):
    application_share(
        actor=None, application=app_x.application, organizations=[OrgShare(tree.a.id, ONLY, selected("R1"))]
    )
    assert usable_in(app_x, tree.a)
    assert not usable_in(app_x, tree.a1)
    application_share(
        actor=None, application=app_x.application, organizations=[OrgShare(tree.a.id, CASCADE, selected("R2"))]
    )
    assert shared_roles(app_x, tree.a) == {"R2"}
    assert shared_roles(app_x, tree.a1) == {"R2"}
    later = organization_create(actor=None, parent=tree.a2, name="Deep", handle="deep")
    assert usable_in(app_x, later)
    assert shared_roles(app_x, later) == {"R2"}
    assert not usable_in(app_x, tree.b)


def test_patch_adds_and_removes_roles_and_removal_drops_assignments(tree, app_x, r1, r2, make_user):
    application_share(
        actor=None, application=app_x.application, organizations=[OrgShare(tree.a.id, ONLY, selected("R1"))]
    )
    erin = make_user(tree.a, "erin")
    role_assignments_change(actor=None, role=copy_in(app_x, tree.a, "R1"), add_user_ids=[erin.pk])
    application_share_roles_change(actor=None, application=app_x.application, organization_id=tree.a.id, add=["R2"])
    assert shared_roles(app_x, tree.a) == {"R1", "R2"}
    assert copy_in(app_x, tree.a, "R1").users.filter(pk=erin.pk).exists()
    application_share_roles_change(actor=None, application=app_x.application, organization_id=tree.a.id, remove=["R1"])
    assert shared_roles(app_x, tree.a) == {"R2"}
    assert not erin.roles.filter(name="R1").exists()


def test_patch_needs_an_own_rule(tree, app_x, r1):
    application_share(
        actor=None, application=app_x.application, organizations=[OrgShare(tree.a.id, CASCADE, selected("R1"))]
    )
    with pytest.raises(NotFound) as exc:
        application_share_roles_change(
            actor=None, application=app_x.application, organization_id=tree.a1.id, add=["R1"]
        )
    assert exc.value.code == "ORG-60037"


def test_unshare_takes_the_subtree_and_unshare_all_takes_everything(tree, app_x, r1):
    application_share(
        actor=None,
        application=app_x.application,
        organizations=[
            OrgShare(tree.a.id, CASCADE, RoleSharingConfig("ALL")),
            OrgShare(tree.b.id, ONLY, selected("R1")),
        ],
    )
    application_unshare(actor=None, application=app_x.application, organization_ids=[tree.a.id])
    assert not usable_in(app_x, tree.a)
    assert not usable_in(app_x, tree.a1)
    assert shared_roles(app_x, tree.a1) == set()
    assert usable_in(app_x, tree.b)
    application_unshare_all(actor=None, application=app_x.application)
    assert not SharedApplication.objects.filter(application=app_x.application).exists()
    assert not Role.objects.filter(audience_application=app_x.application, shared_from__isnull=False).exists()


def test_unsharing_one_organization_while_shared_with_all_is_refused(tree, app_x):
    application_share_with_all(
        actor=None, application=app_x.application, policy=FUTURE, role_sharing=RoleSharingConfig("NONE")
    )
    with pytest.raises(InvalidInput) as exc:
        application_unshare(actor=None, application=app_x.application, organization_ids=[tree.a.id])
    assert exc.value.code == "ORG-60069"


# --- bad input ------------------------------------------------------------------------------------------


def test_sharing_outside_the_tree_is_refused(tree, app_x, other_tenant):
    for org_id in (other_tenant.id, tree.root.id, "not-a-uuid"):
        with pytest.raises(InvalidInput) as exc:
            application_share(
                actor=None,
                application=app_x.application,
                organizations=[OrgShare(org_id, ONLY, RoleSharingConfig("ALL"))],
            )
        assert exc.value.code == "OAM-60003"
    assert not SharedApplication.objects.exists()


def test_a_role_that_is_not_the_applications_is_refused(tree, app_x, r1, root_org, make_app, orders_api):
    other = make_app(root_org, name="other")
    role_create(actor=None, organization=root_org, name="Foreign", audience_application=other.application)
    role_create(actor=None, organization=root_org, name="OrgWide")
    for name in ("Foreign", "OrgWide", "Nope"):
        with pytest.raises(InvalidInput) as exc:
            application_share_with_all(
                actor=None, application=app_x.application, policy=FUTURE, role_sharing=selected(name)
            )
        assert exc.value.code == "OAM-60007"


@pytest.mark.parametrize(
    ("policy", "mode", "roles", "code"),
    [
        (FUTURE, "SOME", (), "OAM-60006"),
        (FUTURE, "SELECTED", (), "OAM-60007"),
        ("NO_ORGS", "ALL", (), "OAM-60004"),
        (ONLY, "ALL", (), "OAM-60004"),  # a selected-org policy is not a share-with-all policy
    ],
)
def test_share_with_all_bad_modes_and_policies(tree, app_x, r1, policy, mode, roles, code):
    with pytest.raises(InvalidInput) as exc:
        application_share_with_all(
            actor=None, application=app_x.application, policy=policy, role_sharing=RoleSharingConfig(mode, roles)
        )
    assert exc.value.code == code


# --- shared roles --------------------------------------------------------------------------------------


def test_origin_changes_propagate_and_the_organization_cannot_edit_its_copy(tree, app_x, r1, r2, make_user):
    application_share_with_all(actor=None, application=app_x.application, policy=FUTURE, role_sharing=selected("R1"))
    role_update(actor=None, role=r1, name="Readers", permissions=["orders:read", "orders:write"])
    for org in (tree.a, tree.a1, tree.b):
        copy = copy_in(app_x, org, "Readers")
        assert set(copy.permissions.values_list("name", flat=True)) == {"orders:read", "orders:write"}
    role_assignments_change(actor=None, role=r1, remove_permissions=["orders:write"])
    assert set(copy_in(app_x, tree.b, "Readers").permissions.values_list("name", flat=True)) == {"orders:read"}

    copy = copy_in(app_x, tree.a, "Readers")
    with pytest.raises(Forbidden):
        role_update(actor=None, role=copy, name="Mine")
    with pytest.raises(Forbidden):
        role_assignments_change(actor=None, role=copy, add_permissions=["orders:write"])
    with pytest.raises(Forbidden):
        role_delete(actor=None, role=copy)
    # ... but it assigns it to its users and groups.
    frank = make_user(tree.a, "frank")
    role_update(actor=None, role=copy, user_ids=[frank.pk])
    assert copy.users.filter(pk=frank.pk).exists()


def test_deleting_a_shared_origin_role_is_refused_naming_the_organizations(tree, app_x, r1):
    application_share(
        actor=None,
        application=app_x.application,
        organizations=[OrgShare(tree.a1.id, ONLY, selected("R1")), OrgShare(tree.b.id, ONLY, selected("R1"))],
    )
    with pytest.raises(Conflict) as exc:
        role_delete(actor=None, role=r1)
    assert "alpha-one" in exc.value.message
    assert "beta" in exc.value.message
    assert Role.objects.filter(pk=r1.pk).exists()
    application_unshare_all(actor=None, application=app_x.application)
    role_delete(actor=None, role=r1)
    assert not Role.objects.filter(pk=r1.pk).exists()


def test_application_roles_belong_to_the_organization_that_owns_the_application(tree, app_x):
    with pytest.raises(InvalidInput):
        role_create(actor=None, organization=tree.a, name="Sneaky", audience_application=app_x.application)


# --- the tree itself --------------------------------------------------------------------------------------


def test_cycles_and_orphans_are_impossible_by_construction(tree):
    # No service moves an organization: the parent is fixed at creation, so no cycle can form ...
    with pytest.raises(TypeError):
        organization_update(actor=None, organization=tree.a, parent=tree.a1)  # type: ignore[call-arg]
    # ... and an organization with children cannot be deleted, so no subtree is ever orphaned.
    with pytest.raises(InvalidInput) as exc:
        organization_delete(actor=None, organization=tree.a)
    assert exc.value.code == "ORG-60007"
    assert tree.a1.path.startswith(tree.a.path)
    assert tree.a.path.startswith(tree.root.path)


def test_an_ancestor_user_may_hold_a_role_in_a_sub_organization_but_a_stranger_may_not(tree, admin_user, other_admin):
    role = role_create(actor=None, organization=tree.a1, name="Ops", user_ids=[admin_user.pk])
    assert role.users.filter(pk=admin_user.pk).exists()
    sibling_user = user_create(actor=None, organization=tree.b, username="bob", password="Secret-pass-456")
    for stranger in (other_admin, sibling_user):
        with pytest.raises(InvalidInput):
            role_create(actor=None, organization=tree.a1, name=f"X-{stranger.username}", user_ids=[stranger.pk])
