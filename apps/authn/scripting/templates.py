"""Starting points for conditional-authentication scripts, offered by the Console's script editor."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScriptTemplate:
    id: str
    title: str
    description: str
    code: str


_ROLE_MFA = """// Role-based MFA: users holding one of these roles must pass step 2 (e.g. email OTP or TOTP).
var rolesToStepUp = ['admin', 'manager'];

var onLoginRequest = function (context) {
    executeStep(1, {
        onSuccess: function (context) {
            var user = context.currentKnownSubject;
            if (hasAnyOfTheRoles(user, rolesToStepUp)) {
                Log.info(user.username + ' holds a role that needs a second factor');
                executeStep(2);
            }
        }
    });
};
"""

_GROUP_MFA = """// Group-based MFA: members of one of these groups must pass step 2.
var groupsToStepUp = ['finance'];

var onLoginRequest = function (context) {
    executeStep(1, {
        onSuccess: function (context) {
            if (isMemberOfAnyOfGroups(context.currentKnownSubject, groupsToStepUp)) {
                executeStep(2);
            }
        }
    });
};
"""

_IP_RANGE = """// IP range: sign-ins from outside the office network (IPv4 CIDR) must pass step 2.
var corporateNetworks = ['10.0.0.0/8', '192.168.1.0/24'];

function ipToNumber(ip) {
    var parts = String(ip).split('.');
    if (parts.length !== 4) { return -1; }
    return parts.reduce(function (total, part) { return total * 256 + (parseInt(part, 10) & 255); }, 0);
}

function inRange(ip, cidr) {
    var pieces = cidr.split('/');
    var bits = parseInt(pieces[1], 10);
    var size = Math.pow(2, 32 - bits);
    var start = Math.floor(ipToNumber(pieces[0]) / size) * size;
    var value = ipToNumber(ip);
    return value >= start && value < start + size;
}

var onLoginRequest = function (context) {
    var ip = context.request.ip;
    var inside = corporateNetworks.some(function (cidr) { return inRange(ip, cidr); });
    executeStep(1, {
        onSuccess: function (context) {
            if (!inside) {
                Log.info('sign-in from ' + ip + ' is outside the corporate networks');
                executeStep(2);
            }
        }
    });
};
"""

_NEW_DEVICE = """// New device: a browser without our (signed) device cookie must pass step 2; it then gets the cookie.
var cookieName = 'deviceAuth';
var validDays = 30;

var onLoginRequest = function (context) {
    executeStep(1, {
        onSuccess: function (context) {
            var user = context.currentKnownSubject;
            var known = getCookieValue(context.request, cookieName, {validateSignature: true});
            if (known !== user.uniqueId) {
                executeStep(2, {
                    onSuccess: function (context) {
                        setCookie(context.response, cookieName, user.uniqueId,
                                  {'max-age': validDays * 24 * 3600, sign: true});
                    }
                });
            }
        }
    });
};
"""

_USER_AGE = """// User age: users younger than the minimum age (from their date of birth) are refused.
var minimumAge = 18;

function ageOf(dob) {
    var born = new Date(dob);
    var now = new Date();
    var age = now.getFullYear() - born.getFullYear();
    var month = now.getMonth() - born.getMonth();
    if (month < 0 || (month === 0 && now.getDate() < born.getDate())) { age -= 1; }
    return age;
}

var onLoginRequest = function (context) {
    executeStep(1, {
        onSuccess: function (context) {
            var dob = context.currentKnownSubject.localClaims['http://wso2.org/claims/dob'];
            if (!dob || isNaN(new Date(dob).getTime()) || ageOf(dob) < minimumAge) {
                sendError(null, {errorMessage: 'You must be at least ' + minimumAge + ' to use this application.'});
            }
        }
    });
};
"""

SCRIPT_TEMPLATES: dict[str, ScriptTemplate] = {
    item.id: item
    for item in (
        ScriptTemplate("role-based-mfa", "Role-based MFA", "A second factor for users with given roles.", _ROLE_MFA),
        ScriptTemplate(
            "group-based-mfa", "Group-based MFA", "A second factor for members of given groups.", _GROUP_MFA
        ),
        ScriptTemplate("ip-range", "IP range", "A second factor outside the given networks.", _IP_RANGE),
        ScriptTemplate(
            "new-device", "New device", "A second factor on a browser seen for the first time.", _NEW_DEVICE
        ),
        ScriptTemplate("user-age", "User age", "Refuse users younger than a minimum age.", _USER_AGE),
    )
}
