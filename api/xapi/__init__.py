"""xAPI resources under /xapi/."""
