"""Read models derived from the ledger's event log (statement index, learning projections)."""
