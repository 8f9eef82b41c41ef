"""The REST contract (MLflow's JSON shapes): request messages, request decoding and response
encoding. Shared by the server and anything else that speaks the wire format."""
