"""Conditional authentication scripts: a V8 sandbox (mini-racer), the JavaScript bridge and its host functions.

``sandbox`` runs one script execution in a fresh isolate with a CPU-time and a
memory limit; ``prelude`` is the trusted JavaScript that implements the WSO2
functions inside the isolate; ``bridge`` holds the Python host functions the
script reaches through a journal; ``engine`` replays a login's journal and says
what happens next (a step to show, done, or failed)."""
