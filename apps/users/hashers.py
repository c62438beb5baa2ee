from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idOWASPHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's recommended minimum: m=19 MiB, t=2, p=1."""

    algorithm = "argon2"
    memory_cost = 19 * 1024  # KiB
    time_cost = 2
    parallelism = 1
