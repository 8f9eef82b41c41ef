"""Where tracking data is kept: the store protocol and its implementations."""
