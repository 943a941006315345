"""The /v1 API: catalogue, projections, reports, learners (and, later, the trigger API)."""
