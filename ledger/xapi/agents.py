"""Checks of Agents, Groups, their identifiers (IFIs) and the authority property."""

from __future__ import annotations

from typing import Any, Final

from ledger.errors import InvalidInputError, Problem
from ledger.xapi.primitives import (
    MISSING,
    Rule,
    add_problem,
    allowed_keys,
    check_string,
    expected,
    is_iri,
    is_mailto_iri,
    is_sha1_hex,
    object_check,
)

_ONE_IFI: Final = "must carry exactly one of mbox, mbox_sha1sum, openid, account"


# §4.3: {homePage: IRL, name: string}, both required, nothing else.
_check_account: Final = object_check(
    "an object with homePage and name",
    {"homePage": (is_iri, "an absolute IRL"), "name": check_string},
    required=("homePage", "name"),
)
# §4.2, §4.3: an optional name, then each inverse functional identifier (IFI) present; the
# objectType is checked before, by the caller, which has made sure of an object.
_NAME_AND_IFIS: Final[dict[str, Rule]] = {
    "name": check_string,
    "mbox": (is_mailto_iri, "a mailto IRI (mailto:name@example.com)"),
    "mbox_sha1sum": (is_sha1_hex, "a hex SHA-1 (40 hex digits)"),
    "openid": (is_iri, "an absolute URI"),
    "account": _check_account,
}
_check_agent_properties: Final = object_check(
    "an Agent object", _NAME_AND_IFIS, keys=allowed_keys("objectType", *_NAME_AND_IFIS)
)
_check_group_properties: Final = object_check(
    "a Group object", _NAME_AND_IFIS, keys=allowed_keys("objectType", *_NAME_AND_IFIS, "member")
)


def _object_type(obj: dict[Any, Any], pointer: str, problems: list[Problem]) -> Any:
    """Return `obj`'s objectType, or MISSING; report a null objectType."""
    object_type = obj.get("objectType", MISSING)
    if object_type is None:
        add_problem(problems, pointer + "/objectType", "must not be null")
    return object_type


def _check_agent_body(agent: dict[Any, Any], pointer: str, problems: list[Problem]) -> None:
    # §4.2: keys limited; name a string; exactly one IFI.
    _check_agent_properties(agent, pointer, problems)
    count = (
        ("mbox" in agent) + ("mbox_sha1sum" in agent) + ("openid" in agent) + ("account" in agent)
    )
    if count != 1:
        add_problem(problems, pointer, f"an Agent {_ONE_IFI}; found {count}")


def _check_group_body(
    group: dict[Any, Any], pointer: str, problems: list[Problem]
) -> tuple[int, int]:
    """Check a Group whose objectType is known to be "Group" (§4.4).

    Returns:
        The number of IFIs and the number of members (-1 when `member` is absent or not an array).
    """
    _check_group_properties(group, pointer, problems)
    count = (
        ("mbox" in group) + ("mbox_sha1sum" in group) + ("openid" in group) + ("account" in group)
    )
    if count > 1:
        add_problem(problems, pointer, f"an identified Group {_ONE_IFI}; found {count}")
    members = group.get("member", MISSING)
    if members is MISSING:
        if count == 0:
            add_problem(
                problems,
                pointer + "/member",
                "required property is missing (a Group without an identifier is anonymous)",
            )
        return count, -1
    if not isinstance(members, list):
        add_problem(problems, pointer + "/member", expected(members, "an array of Agents"))
        return count, -1
    if count == 0 and not members:
        # §17 decision: an anonymous Group is nothing but its members, so `member: []` → 400.
        add_problem(
            problems, pointer + "/member", "an anonymous Group must have at least one member"
        )
    for index, member in enumerate(members):
        _check_member(member, f"{pointer}/member/{index}", problems)
    return count, len(members)


def _check_member(member: object, pointer: str, problems: list[Problem]) -> None:
    # §4.4: member items are Agents; a Group inside member → 400.
    if not isinstance(member, dict):
        add_problem(problems, pointer, expected(member, "an Agent object"))
        return
    object_type = _object_type(member, pointer, problems)
    if object_type == "Group":
        add_problem(problems, pointer + "/objectType", "a Group cannot be a member of a Group")
        return
    if object_type is not MISSING and object_type != "Agent" and object_type is not None:
        add_problem(problems, pointer + "/objectType", "must be 'Agent'")
    _check_agent_body(member, pointer, problems)


def check_agent(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check an Agent: objectType absent or "Agent", exactly one IFI (§4.2, §4.3)."""
    if not isinstance(value, dict):
        add_problem(problems, pointer, expected(value, "an Agent object"))
        return
    object_type = _object_type(value, pointer, problems)
    if object_type is not MISSING and object_type != "Agent" and object_type is not None:
        add_problem(problems, pointer + "/objectType", "must be 'Agent'")
        return
    _check_agent_body(value, pointer, problems)


def check_group(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check a Group: objectType "Group" required, anonymous or identified (§4.4)."""
    if not isinstance(value, dict):
        add_problem(problems, pointer, expected(value, "a Group object"))
        return
    object_type = value.get("objectType", MISSING)
    if object_type is MISSING:
        add_problem(problems, pointer + "/objectType", "required property is missing (a Group)")
    elif object_type != "Group":
        add_problem(problems, pointer + "/objectType", expected(object_type, "'Group'"))
        return
    _check_group_body(value, pointer, problems)


def check_actor(value: object, pointer: str, problems: list[Problem]) -> tuple[int, int] | None:
    """Check an Agent or a Group (actor, instructor; §4.2, §4.12).

    Returns:
        For a Group, the number of its IFIs and of its members (see `_check_group_body`);
        None otherwise.
    """
    if not isinstance(value, dict):
        add_problem(problems, pointer, expected(value, "an Agent or Group object"))
        return None
    object_type = value.get("objectType", MISSING)
    if object_type is MISSING or object_type == "Agent":
        _check_agent_body(value, pointer, problems)
    elif object_type == "Group":
        return _check_group_body(value, pointer, problems)
    else:
        add_problem(problems, pointer + "/objectType", expected(object_type, "'Agent' or 'Group'"))
    return None


def check_authority(value: object, pointer: str, problems: list[Problem]) -> None:
    """Check an authority: an Agent, or an anonymous Group of exactly two Agents (§4.14)."""
    group = check_actor(value, pointer, problems)
    if group is None:
        return
    ifis, members = group
    if ifis:
        add_problem(
            problems, pointer, "an authority Group must be anonymous (no inverse identifier)"
        )
    elif members >= 0 and members != 2:
        add_problem(
            problems, pointer + "/member", "an authority Group must have exactly two Agents"
        )


def validate_agent(value: object, *, allow_group: bool = False, pointer: str = "") -> None:
    """Validate an Agent given as a request parameter (e.g. `agent=` on /statements, §2.6).

    Args:
        value: The parsed JSON value.
        allow_group: Also accept an identified Group (never an anonymous one, §7.1).
        pointer: Prefix for the JSON pointers in the error details.

    Raises:
        InvalidInputError: `value` is not a valid Agent (or identified Group when allowed).
    """
    problems: list[Problem] = []
    if allow_group and isinstance(value, dict) and value.get("objectType") == "Group":
        ifis, _ = _check_group_body(value, pointer, problems)
        if ifis == 0:
            add_problem(problems, pointer, "must be an Agent or an identified Group, not anonymous")
    else:
        check_agent(value, pointer, problems)
    if problems:
        first = problems[0]
        where = first.pointer or "(root)"
        raise InvalidInputError(f"Agent is invalid: {where}: {first.problem}", details=problems)
