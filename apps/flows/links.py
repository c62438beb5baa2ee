"""URLs of the end-user flow pages (``/accountrecoveryendpoint/<page>``, tenant-prefixed).

An invite or reset link carries the confirmation code as ``code`` (what ``flow_start_url`` builds);
a link made by ``apps.notifications.executors.send_link`` with the page URL as base carries it as
``token``: the pages accept both. A magic link resumes a flow in progress with ``flowId`` and
``token``."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings

from apps.flows.constants import START_PAGES, canonical_flow_type
from apps.flows.errors import FlowError


def _page(organization: Any, flow_type: str) -> str:
    canonical = canonical_flow_type(flow_type)
    if canonical is None:
        raise FlowError("FM-10001", "Unsupported flow type.", f"Flow type {flow_type!r} is not supported.")
    return f"{settings.IAM_BASE_URL}{organization.url_prefix}/accountrecoveryendpoint/{START_PAGES[canonical]}"


def flow_start_url(organization: Any, flow_type: str, *, confirmation_code: str | None = None) -> str:
    """The page that starts ``flow_type`` for ``organization`` (with the link's code, if any)."""
    url = _page(organization, flow_type)
    return f"{url}?{urlencode({'code': confirmation_code})}" if confirmation_code else url


def flow_resume_url(organization: Any, flow_type: str, *, flow_id: str) -> str:
    return f"{_page(organization, flow_type)}?{urlencode({'flowId': flow_id})}"
