"""The HTTP face of the ledger: Falcon WSGI resources, middleware and error mapping."""
