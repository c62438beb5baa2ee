"""Console pages for applications (``applications``) and API resources (``api_resources``)."""
