"""The Python client: RunstoneClient, the fluent API and background logging."""
