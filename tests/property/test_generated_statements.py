"""Generated Statements against the validator: every valid one passes, every mutant fails."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidStatementError
from ledger.xapi.statement import validate_statement
from ledger.xapi.versions import V1, V2
from tests.strategies import invalid_mutations, statements

EXAMPLES = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("version", [V1, V2])
@EXAMPLES
@given(data=st.data())
def test_generated_valid_statement_passes_validation(data: st.DataObject, version: str) -> None:
    """§3, §4, §16.3: the generator covers the whole grammar with valid Statements only."""
    statement: dict[str, Any] = data.draw(statements(version))

    validate_statement(statement, version)


@pytest.mark.parametrize("version", [V1, V2])
@EXAMPLES
@given(data=st.data())
def test_statement_with_one_fault_is_refused(data: st.DataObject, version: str) -> None:
    """§3, §4, §6, §16: each single mutation of a valid Statement makes it invalid."""
    statement, description = data.draw(invalid_mutations(version))

    try:
        validate_statement(statement, version)
    except InvalidStatementError:
        return
    pytest.fail(f"accepted a Statement with the fault: {description}")
