"""HTTP adapters of the OAuth endpoints: parse, call the protocol modules, answer."""
