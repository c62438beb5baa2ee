"""The flow execution engine: ``flow_execute`` (``core``), the per-request ``FlowRun`` (``run``),
input collection (``collect``), completion (``completion``) and the auto-login assertion."""
