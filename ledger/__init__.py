"""The write side: xAPI validation, domain events, aggregates and the Ledger application."""
