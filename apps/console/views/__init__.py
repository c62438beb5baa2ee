"""Console pages, one module per section."""
