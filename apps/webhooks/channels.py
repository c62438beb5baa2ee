"""The WSO2 event profile: channels, the event type URIs they carry, and which
outbox event becomes which webhook event.

Channel URI ``https://schemas.identity.wso2.org/events/<channel>``; event type
URI ``<channel URI>/event-type/<name>``. A webhook subscribes to channels."""

from __future__ import annotations

from dataclasses import dataclass

PROFILE_NAME = "WSO2"
PROFILE_URI = "https://schemas.identity.wso2.org/events"
ORGANIZATION_POLICIES = ("IMMEDIATE_EXISTING_AND_FUTURE_ORGS", "NO_SHARING")

LOGIN = "login"
REGISTRATION = "registration"
CREDENTIAL = "credential"
USER = "user"
TOKEN = "token"
SESSION = "session"


def channel_uri(channel: str) -> str:
    return f"{PROFILE_URI}/{channel}"


def event_uri(channel: str, name: str) -> str:
    return f"{channel_uri(channel)}/event-type/{name}"


@dataclass(frozen=True)
class EventType:
    name: str
    description: str


@dataclass(frozen=True)
class Channel:
    key: str
    name: str
    description: str
    events: tuple[EventType, ...]

    @property
    def uri(self) -> str:
        return channel_uri(self.key)


CHANNELS: tuple[Channel, ...] = (
    Channel(
        LOGIN,
        "Login",
        "Successful and failed sign-ins.",
        (
            EventType("loginSuccess", "A user signed in."),
            EventType("loginFailed", "A sign-in attempt failed."),
        ),
    ),
    Channel(
        REGISTRATION,
        "Registration",
        "Self sign-up, invited and application-initiated registrations.",
        (
            EventType("registrationSuccess", "An account was registered and is usable."),
            EventType("registrationFailed", "A registration attempt failed."),
        ),
    ),
    Channel(
        CREDENTIAL,
        "Credential updates",
        "Password updates and resets.",
        (EventType("credentialUpdated", "A user's password was set, updated or reset."),),
    ),
    Channel(
        USER,
        "User account management",
        "Account creation, profile changes, locks, enable/disable and deletion.",
        (
            EventType("userCreated", "A user account was created."),
            EventType("userProfileUpdated", "Claims of a user were added, updated or removed."),
            EventType("userAccountLocked", "A user account was locked."),
            EventType("userAccountUnlocked", "A user account was unlocked."),
            EventType("userEnabled", "A disabled user account was enabled."),
            EventType("userDisabled", "A user account was disabled."),
            EventType("userDeleted", "A user account was deleted."),
        ),
    ),
    Channel(
        TOKEN,
        "Token",
        "Access token issue and revocation.",
        (
            EventType("accessTokenIssued", "An access token was issued."),
            EventType("accessTokenRevoked", "Access tokens were revoked."),
        ),
    ),
    Channel(
        SESSION,
        "Session",
        "Single sign-on sessions established, presented and revoked.",
        (
            EventType("sessionEstablished", "A new SSO session was established."),
            EventType("sessionPresented", "An existing SSO session was used to sign in to an application."),
            EventType("sessionRevoked", "SSO sessions were revoked."),
        ),
    ),
)
CHANNELS_BY_URI = {channel.uri: channel for channel in CHANNELS}
CHANNEL_KEY_OF_EVENT = {event_uri(c.key, e.name): c.key for c in CHANNELS for e in c.events}

# The event our "send test event" button sends; outside the WSO2 namespace on purpose:
# receivers must ignore event types they do not know.
TEST_EVENT_URI = "urn:iam:webhooks:event-type:test"
