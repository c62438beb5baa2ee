"""Authentication services: flows, SSO sessions, sequences, MFA, lockout and password policy."""
