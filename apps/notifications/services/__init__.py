"""Notification services: one call each for the journeys that send codes, links and messages.

- ``otp_issue`` / ``otp_verify``: one-time codes by email or SMS, bound to user and purpose.
- ``link_issue`` / ``link_consume``: single-use link tokens (confirmation, magic, reset).
- ``notification_send``: render a template and queue a message for the worker.
- sender, template and settings management used by the API and the Console.
"""

from apps.notifications.services.links import LinkRejected, link_consume, link_issue, link_url
from apps.notifications.services.messages import message_retry_now, notification_send, test_email_send
from apps.notifications.services.otp import OtpIssued, OtpResendTooSoon, OtpVerification, otp_issue, otp_verify
from apps.notifications.services.senders import (
    email_sender_delete,
    email_sender_save,
    sms_sender_delete,
    sms_sender_save,
)
from apps.notifications.services.settings import notification_settings_get, notification_settings_update, root_of
from apps.notifications.services.templates import template_reset, template_resolve, template_save

__all__ = [
    "LinkRejected",
    "OtpIssued",
    "OtpResendTooSoon",
    "OtpVerification",
    "email_sender_delete",
    "email_sender_save",
    "link_consume",
    "link_issue",
    "link_url",
    "message_retry_now",
    "notification_send",
    "notification_settings_get",
    "notification_settings_update",
    "otp_issue",
    "otp_verify",
    "root_of",
    "sms_sender_delete",
    "sms_sender_save",
    "template_reset",
    "template_resolve",
    "template_save",
    "test_email_send",
]
