"""One module per resource; each has an ``api`` of JSON endpoints."""
