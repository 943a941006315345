"""Statement validation, checklist §3, §4, §6 and §16.3-16.5: one small mutation per case.

Checklist lines about statement validity that are proved elsewhere or are not validation:
§3 repeated keys (test_jsonparse.py); §4.1 id assignment, §4.10 no filling, §4.12 arrays on
output, §4.13/§4.14/§4.15 values the LRS sets (the filling and formatting modules); §4.3/§4.4
matching rules, §4.7 one id one Activity, §4.17 IRI comparison (equivalence, queries);
§16.4 duplicate ids in a batch (the batch recorder). Type-level cases for UUIDs, IRIs,
timestamps, durations and language tags are in test_xapi_primitives.py.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.errors import InvalidInputError, InvalidStatementError
from ledger.xapi import V1, V2, validate_agent, validate_statement

BOTH = (V1, V2)
ONLY_V1 = (V1,)
ONLY_V2 = (V2,)
DELETE = object()

UUID = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
SHA256 = "495395e777cd98da653df9615d09c0fd6bb2f8d4788394cd53c56a3bfdcd848a"
ACTIVITY_ID = "http://www.example.com/meetings/occurances/34534"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"


def base_statement() -> dict[str, Any]:
    """Return a valid Statement that uses (nearly) every property, for mutation."""
    return {
        "id": UUID,
        "actor": {"objectType": "Agent", "name": "Ada", "mbox": "mailto:ada@example.com"},
        "verb": {"id": "http://adlnet.gov/expapi/verbs/answered", "display": {"en-US": "answered"}},
        "object": {
            "objectType": "Activity",
            "id": ACTIVITY_ID,
            "definition": {
                "name": {"en-US": "Question 1"},
                "description": {"en-US": "Pick one"},
                "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
                "moreInfo": "http://virtualmeeting.example.com/345256",
                "extensions": {"http://example.com/ext/level": 3},
                "interactionType": "choice",
                "correctResponsesPattern": ["golf[,]tetris"],
                "choices": [
                    {"id": "golf", "description": {"en-US": "Golf"}},
                    {"id": "tetris", "description": {"en-US": "Tetris"}},
                ],
            },
        },
        "result": {
            "score": {"scaled": 0.5, "raw": 5, "min": 0, "max": 10},
            "success": True,
            "completion": False,
            "response": "golf",
            "duration": "PT1M30.5S",
            "extensions": {"http://example.com/ext/attempt": 2},
        },
        "context": {
            "registration": "ec531277-b57b-4c15-8d91-d292c5b2b8f7",
            "instructor": {"name": "Bob", "mbox_sha1sum": "a" * 40},
            "team": {
                "objectType": "Group",
                "name": "Team",
                "member": [{"account": {"homePage": "http://lms.example.com", "name": "carol"}}],
            },
            "contextActivities": {
                "parent": [{"id": "http://example.com/quiz"}],
                "grouping": {"id": "http://example.com/course", "objectType": "Activity"},
                "category": [{"id": "http://example.com/profile"}],
                "other": [],
            },
            "revision": "r1",
            "platform": "Example LMS",
            "language": "en-US",
            "statement": {"objectType": "StatementRef", "id": UUID},
            "extensions": {"http://example.com/ext/session": "s-1"},
        },
        "timestamp": "2024-05-01T12:00:00.000Z",
        "stored": "2024-05-01T12:00:01.000Z",
        "authority": {"objectType": "Agent", "mbox": "mailto:lrs@example.com"},
        "version": "1.0.0",
        "attachments": [
            {
                "usageType": "http://example.com/attachment-usage/test",
                "display": {"en-US": "A test attachment"},
                "description": {"en-US": "A test attachment (description)"},
                "contentType": "text/plain; charset=ascii",
                "length": 27,
                "sha2": SHA256,
                "fileUrl": "http://over.there.com/file.txt",
            }
        ],
    }


SUBSTATEMENT = {
    "objectType": "SubStatement",
    "actor": {"objectType": "Agent", "mbox": "mailto:sub@example.com"},
    "verb": {"id": "http://example.com/verbs/will-visit"},
    "object": {"id": "http://example.com/places/museum"},
    "context": {"platform": "Example app"},
    "timestamp": "2999-01-01T00:00:00Z",
}
CONTEXT_AGENT = {
    "objectType": "contextAgent",
    "agent": {"objectType": "Agent", "mbox": "mailto:player-1@example.com"},
    "relevantTypes": ["https://example.com/activity-types/game"],
}
CONTEXT_GROUP = {
    "objectType": "contextGroup",
    "group": {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
    "relevantTypes": ["https://example.com/activity-types/game"],
}
AGENT_OBJECT = {"objectType": "Agent", "mbox": "mailto:object@example.com"}
STATEMENT_REF = {"objectType": "StatementRef", "id": UUID}


def _resolve(doc: Any, pointer: str) -> tuple[Any, Any]:
    tokens = [t.replace("~1", "/").replace("~0", "~") for t in pointer.split("/")[1:]]
    parent = doc
    for token in tokens[:-1]:
        parent = parent[int(token)] if isinstance(parent, list) else parent[token]
    last: Any = tokens[-1]
    if isinstance(parent, list):
        last = int(last)
    return parent, last


def mutate(*ops: tuple[str, Any]) -> dict[str, Any]:
    """Return the base Statement with each (pointer, value) applied; value DELETE removes."""
    doc = base_statement()
    for pointer, value in ops:
        parent, key = _resolve(doc, pointer)
        if value is DELETE:
            del parent[key]
        else:
            parent[key] = copy.deepcopy(value)
    return doc


def as_substatement(*ops: tuple[str, Any]) -> tuple[tuple[str, Any], ...]:
    """Make the base Statement's object a SubStatement, then apply ops (pointers under it)."""
    return (
        ("/context/revision", DELETE),
        ("/context/platform", DELETE),
        ("/object", SUBSTATEMENT),
        *ops,
    )


NOT_ACTIVITY = (("/context/revision", DELETE), ("/context/platform", DELETE))

# (id, versions, ops, expected pointers in order)
INVALID: list[tuple[str, tuple[str, ...], tuple[tuple[str, Any], ...], tuple[str, ...]]] = [
    # §3 general rules
    ("3 actor missing", BOTH, (("/actor", DELETE),), ("/actor",)),
    ("3 verb missing", BOTH, (("/verb", DELETE),), ("/verb",)),
    ("3 object missing", BOTH, (("/object", DELETE),), ("/object",)),
    ("3 unknown top-level key", BOTH, (("/foo", 1),), ("/foo",)),
    ("3 key case Actor", BOTH, (("/Actor", {"mbox": "mailto:a@example.com"}),), ("/Actor",)),
    ("3 null actor", BOTH, (("/actor", None),), ("/actor",)),
    ("3 null verb", BOTH, (("/verb", None),), ("/verb",)),
    ("3 null object", BOTH, (("/object", None),), ("/object",)),
    ("3 null result", BOTH, (("/result", None),), ("/result",)),
    ("3 null context", BOTH, (("/context", None),), ("/context",)),
    ("3 null id", BOTH, (("/id", None),), ("/id",)),
    ("3 null timestamp", BOTH, (("/timestamp", None),), ("/timestamp",)),
    ("3 null version", BOTH, (("/version", None),), ("/version",)),
    ("3 null attachments", BOTH, (("/attachments", None),), ("/attachments",)),
    ("3 null agent name", BOTH, (("/actor/name", None),), ("/actor/name",)),
    ("3 null display value", BOTH, (("/verb/display/en-US", None),), ("/verb/display/en-US",)),
    ("3 null registration", BOTH, (("/context/registration", None),), ("/context/registration",)),
    (
        "3 null moreInfo",
        BOTH,
        (("/object/definition/moreInfo", None),),
        ("/object/definition/moreInfo",),
    ),
    ("3 null score raw", BOTH, (("/result/score/raw", None),), ("/result/score/raw",)),
    ("3 null objectType", BOTH, (("/object/objectType", None),), ("/object/objectType",)),
    ("3 null actor objectType", BOTH, (("/actor/objectType", None),), ("/actor/objectType",)),
    ("3 string for number", BOTH, (("/result/score/max", "100"),), ("/result/score/max",)),
    ("3 true for number", BOTH, (("/result/score/raw", True),), ("/result/score/raw",)),
    ("3 string for boolean", BOTH, (("/result/success", "true"),), ("/result/success",)),
    ("3 'false' for boolean", BOTH, (("/result/completion", "false"),), ("/result/completion",)),
    ("3 1 for boolean", BOTH, (("/result/success", 1),), ("/result/success",)),
    ("3 empty string id", BOTH, (("/id", ""),), ("/id",)),
    ("3 empty string verb id", BOTH, (("/verb/id", ""),), ("/verb/id",)),
    ("3 empty string mbox", BOTH, (("/actor/mbox", ""),), ("/actor/mbox",)),
    ("3 empty string timestamp", BOTH, (("/timestamp", ""),), ("/timestamp",)),
    ("3 empty string language", BOTH, (("/context/language", ""),), ("/context/language",)),
    ("3 empty string duration", BOTH, (("/result/duration", ""),), ("/result/duration",)),
    ("3 key case objecttype", BOTH, (("/object/objecttype", "Activity"),), ("/object/objecttype",)),
    ("3 key case mBox", BOTH, (("/actor/mBox", "mailto:b@example.com"),), ("/actor/mBox",)),
    ("3 enum case activity", BOTH, (("/object/objectType", "activity"),), ("/object/objectType",)),
    ("3 enum case agent", BOTH, (("/actor/objectType", "agent"),), ("/actor/objectType",)),
    (
        "3 enum case Choice",
        BOTH,
        (("/object/definition/interactionType", "Choice"),),
        ("/object/definition/interactionType",),
    ),
    (
        "3 enum case Parent",
        BOTH,
        (("/context/contextActivities/Parent", []),),
        ("/context/contextActivities/Parent",),
    ),
    ("3 unknown key in verb", BOTH, (("/verb/foo", "x"),), ("/verb/foo",)),
    ("3 unknown key in result", BOTH, (("/result/foo", "x"),), ("/result/foo",)),
    ("3 unknown key in score", BOTH, (("/result/score/foo", 1),), ("/result/score/foo",)),
    ("3 unknown key in context", BOTH, (("/context/foo", "x"),), ("/context/foo",)),
    (
        "3 unknown key escaped in pointer",
        BOTH,
        (("/context/a~1b~0c", "x"),),
        ("/context/a~1b~0c",),
    ),
    ("3 IRI without scheme", BOTH, (("/verb/id", "answered"),), ("/verb/id",)),
    ("3 IRI relative path", BOTH, (("/object/id", "/meetings/1"),), ("/object/id",)),
    ("3 IRI bad scheme", BOTH, (("/object/id", "ab=c://should.fail.com"),), ("/object/id",)),
    ("3 IRI with space", BOTH, (("/verb/id", "http://example.com/a b"),), ("/verb/id",)),
    ("3 not an object", BOTH, (("/actor", "mailto:a@example.com"),), ("/actor",)),
    ("3 objectType on a Statement", BOTH, (("/objectType", "Statement"),), ("/objectType",)),
    (
        "3 non-IRI extension key escaped in pointer",
        BOTH,
        (("/result/extensions", {"a/b~c": 1}),),
        ("/result/extensions/a~1b~0c",),
    ),
    # §4.1 id
    ("4.1 id braces", BOTH, (("/id", "{" + UUID + "}"),), ("/id",)),
    ("4.1 id urn:uuid", BOTH, (("/id", "urn:uuid:" + UUID),), ("/id",)),
    ("4.1 id unhyphenated", BOTH, (("/id", UUID.replace("-", "")),), ("/id",)),
    ("4.1 id too many digits", BOTH, (("/id", "AA97B177-9383-4934-8543-0F91A7A028368"),), ("/id",)),
    ("4.1 id non-hex letter", BOTH, (("/id", "MA97B177-9383-4934-8543-0F91A7A02836"),), ("/id",)),
    ("4.1 id number", BOTH, (("/id", 12345),), ("/id",)),
    ("4.1 id object", BOTH, (("/id", {"key": "x"}),), ("/id",)),
    ("4.1 id trailing newline", BOTH, (("/id", UUID + "\n"),), ("/id",)),
    # §4.2 Agent
    (
        "4.2 actor objectType Person",
        BOTH,
        (("/actor/objectType", "Person"),),
        ("/actor/objectType",),
    ),
    ("4.2 agent without IFI", BOTH, (("/actor/mbox", DELETE),), ("/actor",)),
    (
        "4.2 agent with two IFIs",
        BOTH,
        (("/actor/openid", "http://openid.example.com/ada"),),
        ("/actor",),
    ),
    ("4.2 agent name number", BOTH, (("/actor/name", 42),), ("/actor/name",)),
    ("4.2 agent unknown key", BOTH, (("/actor/age", 42),), ("/actor/age",)),
    (
        "4.2 agent as object bad mbox",
        BOTH,
        (("/object", AGENT_OBJECT), ("/object/mbox", "x"), *NOT_ACTIVITY),
        ("/object/mbox",),
    ),
    ("4.2 authority agent no IFI", BOTH, (("/authority/mbox", DELETE),), ("/authority",)),
    (
        "4.2 instructor bad mbox",
        BOTH,
        (("/context/instructor/mbox_sha1sum", "xyz"),),
        ("/context/instructor/mbox_sha1sum",),
    ),
    (
        "4.2 group member without IFI",
        BOTH,
        (("/context/team/member/0", {"name": "nobody"}),),
        ("/context/team/member/0",),
    ),
    (
        "4.2 substatement actor no IFI",
        BOTH,
        as_substatement(("/object/actor/mbox", DELETE)),
        ("/object/actor",),
    ),
    # §4.3 IFIs and account
    ("4.3 mbox without mailto", BOTH, (("/actor/mbox", "ada@example.com"),), ("/actor/mbox",)),
    ("4.3 mbox other scheme", BOTH, (("/actor/mbox", "http://example.com/ada"),), ("/actor/mbox",)),
    ("4.3 mbox without address", BOTH, (("/actor/mbox", "mailto:ada"),), ("/actor/mbox",)),
    ("4.3 mbox number", BOTH, (("/actor/mbox", 1),), ("/actor/mbox",)),
    (
        "4.3 mbox_sha1sum number",
        BOTH,
        (("/context/instructor/mbox_sha1sum", 12345),),
        ("/context/instructor/mbox_sha1sum",),
    ),
    (
        "4.3 mbox_sha1sum not 40 hex",
        BOTH,
        (("/context/instructor/mbox_sha1sum", "g" * 40),),
        ("/context/instructor/mbox_sha1sum",),
    ),
    (
        "4.3 openid not absolute",
        BOTH,
        (("/actor/mbox", DELETE), ("/actor/openid", "openid.example.com/ada")),
        ("/actor/openid",),
    ),
    (
        "4.3 account without homePage",
        BOTH,
        (("/context/team/member/0/account/homePage", DELETE),),
        ("/context/team/member/0/account/homePage",),
    ),
    (
        "4.3 account without name",
        BOTH,
        (("/context/team/member/0/account/name", DELETE),),
        ("/context/team/member/0/account/name",),
    ),
    (
        "4.3 account name object",
        BOTH,
        (("/context/team/member/0/account/name", {"key": "x"}),),
        ("/context/team/member/0/account/name",),
    ),
    (
        "4.3 account homePage not IRL",
        BOTH,
        (("/context/team/member/0/account/homePage", "lms.example.com"),),
        ("/context/team/member/0/account/homePage",),
    ),
    (
        "4.3 account unknown key",
        BOTH,
        (("/context/team/member/0/account/id", "x"),),
        ("/context/team/member/0/account/id",),
    ),
    (
        "4.3 account not object",
        BOTH,
        (("/context/team/member/0/account", "carol"),),
        ("/context/team/member/0/account",),
    ),
    # §4.4 Group
    (
        "4.4 group objectType missing in team",
        BOTH,
        (("/context/team/objectType", DELETE),),
        ("/context/team/objectType",),
    ),
    (
        "4.4 group objectType case",
        BOTH,
        (("/context/team/objectType", "group"),),
        ("/context/team/objectType",),
    ),
    (
        "4.4 group actor without objectType reads as Agent",
        BOTH,
        (("/actor", {"member": [{"mbox": "mailto:a@example.com"}]}),),
        ("/actor/member", "/actor"),
    ),
    (
        "4.4 anonymous group without member",
        BOTH,
        (("/actor", {"objectType": "Group", "name": "G"}),),
        ("/actor/member",),
    ),
    (
        "4.4 identified group two IFIs",
        BOTH,
        (
            (
                "/actor",
                {
                    "objectType": "Group",
                    "mbox": "mailto:g@example.com",
                    "openid": "http://openid.example.com/g",
                },
            ),
        ),
        ("/actor",),
    ),
    (
        "4.4 member not array",
        BOTH,
        (("/context/team/member", {"mbox": "mailto:a@example.com"}),),
        ("/context/team/member",),
    ),
    (
        "4.4 member agent invalid",
        BOTH,
        (("/context/team/member/0/account/homePage", 5),),
        ("/context/team/member/0/account/homePage",),
    ),
    (
        "4.4 group inside member",
        BOTH,
        (("/context/team/member/0", {"objectType": "Group", "mbox": "mailto:g@example.com"}),),
        ("/context/team/member/0/objectType",),
    ),
    (
        "17 anonymous group member empty",
        BOTH,
        (("/actor", {"objectType": "Group", "member": []}),),
        ("/actor/member",),
    ),
    # §4.5 Verb
    ("4.5 verb without id", BOTH, (("/verb/id", DELETE),), ("/verb/id",)),
    ("4.5 verb id number", BOTH, (("/verb/id", 7),), ("/verb/id",)),
    ("4.5 verb display string", BOTH, (("/verb/display", "answered"),), ("/verb/display",)),
    (
        "4.5 verb display bad tag",
        BOTH,
        (("/verb/display", {"a12345": "x"}),),
        ("/verb/display/a12345",),
    ),
    ("4.5 verb unknown key", BOTH, (("/verb/name", "x"),), ("/verb/name",)),
    ("4.5 verb string", BOTH, (("/verb", "answered"),), ("/verb",)),
    # §4.6 object dispatch
    ("4.6 objectType unknown", BOTH, (("/object/objectType", "Person"),), ("/object/objectType",)),
    (
        "4.6 agent object without objectType",
        BOTH,
        (("/object", {"mbox": "mailto:a@example.com"}),),
        ("/object/mbox", "/object/id"),
    ),
    (
        "4.6 group object without objectType",
        BOTH,
        (("/object", {"member": [{"mbox": "mailto:a@example.com"}]}),),
        ("/object/member", "/object/id"),
    ),
    ("4.6 object array", BOTH, (("/object", [ACTIVITY_ID]),), ("/object",)),
    # §4.7 Activity
    ("4.7 activity without id", BOTH, (("/object/id", DELETE),), ("/object/id",)),
    ("4.7 activity unknown key", BOTH, (("/object/name", "x"),), ("/object/name",)),
    (
        "4.7 definition string",
        BOTH,
        (("/object/definition", "should error"),),
        ("/object/definition",),
    ),
    (
        "4.7 definition unknown key",
        BOTH,
        (("/object/definition/title", "x"),),
        ("/object/definition/title",),
    ),
    (
        "4.7 definition name string",
        BOTH,
        (("/object/definition/name", "Question"),),
        ("/object/definition/name",),
    ),
    (
        "4.7 definition name number",
        BOTH,
        (("/object/definition/name", 12345),),
        ("/object/definition/name",),
    ),
    (
        "4.7 definition description bad tag",
        BOTH,
        (("/object/definition/description", {"something": "x"}),),
        ("/object/definition/description/something",),
    ),
    (
        "4.7 definition type not IRI",
        BOTH,
        (("/object/definition/type", "should error"),),
        ("/object/definition/type",),
    ),
    (
        "4.7 definition moreInfo not IRL",
        BOTH,
        (("/object/definition/moreInfo", "should error"),),
        ("/object/definition/moreInfo",),
    ),
    (
        "4.7 definition extensions string",
        BOTH,
        (("/object/definition/extensions", "should error"),),
        ("/object/definition/extensions",),
    ),
    (
        "4.7 definition extensions non-IRI key",
        BOTH,
        (("/object/definition/extensions", {"id": "valid"}),),
        ("/object/definition/extensions/id",),
    ),
    (
        "4.7 contextActivities activity without id",
        BOTH,
        (("/context/contextActivities/parent/0/id", DELETE),),
        ("/context/contextActivities/parent/0/id",),
    ),
    # §4.8 interactions
    (
        "4.8 interactionType unknown",
        BOTH,
        (("/object/definition/interactionType", "should error"),),
        ("/object/definition/interactionType",),
    ),
    (
        "4.8 interactionType IRI",
        BOTH,
        (("/object/definition/interactionType", "http://example.com/choice"),),
        ("/object/definition/interactionType",),
    ),
    (
        "4.8 interactionType number",
        BOTH,
        (("/object/definition/interactionType", 12345),),
        ("/object/definition/interactionType",),
    ),
    (
        "4.8 interactionType object",
        BOTH,
        (("/object/definition/interactionType", {"key": "x"}),),
        ("/object/definition/interactionType",),
    ),
    (
        "4.8 correctResponsesPattern without interactionType",
        BOTH,
        (("/object/definition/interactionType", DELETE), ("/object/definition/choices", DELETE)),
        ("/object/definition/correctResponsesPattern",),
    ),
    (
        "4.8 choices without interactionType",
        BOTH,
        (
            ("/object/definition/interactionType", DELETE),
            ("/object/definition/correctResponsesPattern", DELETE),
        ),
        ("/object/definition/choices",),
    ),
    (
        "4.8 correctResponsesPattern string",
        BOTH,
        (("/object/definition/correctResponsesPattern", "golf"),),
        ("/object/definition/correctResponsesPattern",),
    ),
    (
        "4.8 correctResponsesPattern number item",
        BOTH,
        (("/object/definition/correctResponsesPattern", ["golf", 3]),),
        ("/object/definition/correctResponsesPattern/1",),
    ),
    (
        "4.8 choices not array",
        BOTH,
        (("/object/definition/choices", {"id": "golf"}),),
        ("/object/definition/choices",),
    ),
    (
        "4.8 component without id",
        BOTH,
        (("/object/definition/choices/1/id", DELETE),),
        ("/object/definition/choices/1/id",),
    ),
    (
        "4.8 component id number",
        BOTH,
        (("/object/definition/choices/1/id", 2),),
        ("/object/definition/choices/1/id",),
    ),
    (
        "4.8 component unknown key",
        BOTH,
        (("/object/definition/choices/0/name", "x"),),
        ("/object/definition/choices/0/name",),
    ),
    (
        "4.8 component description bad tag",
        BOTH,
        (("/object/definition/choices/0/description", {"en-US": "Golf", "a12345678": "x"}),),
        ("/object/definition/choices/0/description/a12345678",),
    ),
    (
        "4.8 duplicate component ids",
        BOTH,
        (("/object/definition/choices/1/id", "golf"),),
        ("/object/definition/choices/1/id",),
    ),
    (
        "4.8 duplicate ids in steps",
        BOTH,
        (
            ("/object/definition/interactionType", "performance"),
            ("/object/definition/choices", DELETE),
            ("/object/definition/steps", [{"id": "s1"}, {"id": "s2"}, {"id": "s1"}]),
        ),
        ("/object/definition/steps/2/id",),
    ),
    # §4.9 StatementRef
    (
        "4.9 statementref without id",
        BOTH,
        (("/object", {"objectType": "StatementRef"}), *NOT_ACTIVITY),
        ("/object/id",),
    ),
    (
        "4.9 statementref id not UUID",
        BOTH,
        (("/object", {"objectType": "StatementRef", "id": "not-a-uuid"}), *NOT_ACTIVITY),
        ("/object/id",),
    ),
    (
        "4.9 statementref unknown key",
        BOTH,
        (("/object", {**STATEMENT_REF, "definition": {}}), *NOT_ACTIVITY),
        ("/object/definition",),
    ),
    (
        "4.9 statementref objectType case",
        BOTH,
        (("/object", {"objectType": "statementRef", "id": UUID}), *NOT_ACTIVITY),
        ("/object/objectType",),
    ),
    # §4.10 SubStatement
    (
        "4.10 substatement without actor",
        BOTH,
        as_substatement(("/object/actor", DELETE)),
        ("/object/actor",),
    ),
    (
        "4.10 substatement without verb",
        BOTH,
        as_substatement(("/object/verb", DELETE)),
        ("/object/verb",),
    ),
    (
        "4.10 substatement without object",
        BOTH,
        as_substatement(("/object/object", DELETE)),
        ("/object/object",),
    ),
    ("4.10 substatement with id", BOTH, as_substatement(("/object/id", UUID)), ("/object/id",)),
    (
        "4.10 substatement with stored",
        BOTH,
        as_substatement(("/object/stored", "2024-05-01T12:00:00Z")),
        ("/object/stored",),
    ),
    (
        "4.10 substatement with version",
        BOTH,
        as_substatement(("/object/version", "1.0.0")),
        ("/object/version",),
    ),
    (
        "4.10 substatement with authority",
        BOTH,
        as_substatement(("/object/authority", {"mbox": "mailto:lrs@example.com"})),
        ("/object/authority",),
    ),
    (
        "4.10 substatement in substatement",
        BOTH,
        as_substatement(("/object/object", SUBSTATEMENT), ("/object/context/platform", DELETE)),
        ("/object/object/objectType",),
    ),
    (
        "4.10 substatement objectType case",
        BOTH,
        as_substatement(("/object/objectType", "subStatement")),
        ("/object/objectType",),
    ),
    ("4.10 substatement unknown key", BOTH, as_substatement(("/object/foo", 1)), ("/object/foo",)),
    (
        "4.10 substatement bad timestamp",
        BOTH,
        as_substatement(("/object/timestamp", "2008-09-15T15:53:00.601-00:00")),
        ("/object/timestamp",),
    ),
    (
        "4.10 substatement platform with agent object",
        BOTH,
        as_substatement(("/object/object", AGENT_OBJECT)),
        ("/object/context/platform",),
    ),
    (
        "4.10 substatement bad duration",
        BOTH,
        as_substatement(("/object/result", {"duration": "PA1H0M0S"})),
        ("/object/result/duration",),
    ),
    # §4.11 result and score
    ("4.11 result unknown key", BOTH, (("/result/grade", "A"),), ("/result/grade",)),
    ("4.11 result string", BOTH, (("/result", "passed"),), ("/result",)),
    ("4.11 score string", BOTH, (("/result/score", "5"),), ("/result/score",)),
    ("4.11 response number", BOTH, (("/result/response", 5),), ("/result/response",)),
    ("4.11 duration number", BOTH, (("/result/duration", 12345),), ("/result/duration",)),
    ("4.11 duration object", BOTH, (("/result/duration", {"key": "x"}),), ("/result/duration",)),
    ("4.11 extensions array", BOTH, (("/result/extensions", []),), ("/result/extensions",)),
    ("4.11 scaled above 1", BOTH, (("/result/score/scaled", 1.01),), ("/result/score/scaled",)),
    ("4.11 scaled below -1", BOTH, (("/result/score/scaled", -1.5),), ("/result/score/scaled",)),
    ("4.11 scaled string", BOTH, (("/result/score/scaled", "0.5"),), ("/result/score/scaled",)),
    ("4.11 raw below min", BOTH, (("/result/score/raw", -1),), ("/result/score/raw",)),
    ("4.11 raw above max", BOTH, (("/result/score/raw", 10.5),), ("/result/score/raw",)),
    (
        "4.11 raw above max without min",
        BOTH,
        (("/result/score/min", DELETE), ("/result/score/raw", 11)),
        ("/result/score/raw",),
    ),
    (
        "4.11 min above max",
        BOTH,
        (("/result/score/min", 11), ("/result/score/raw", DELETE)),
        ("/result/score/min",),
    ),
    # §4.12 context
    ("4.12 context string", BOTH, (("/context", "ctx"),), ("/context",)),
    (
        "4.12 registration not UUID",
        BOTH,
        (("/context/registration", "abc"),),
        ("/context/registration",),
    ),
    ("4.12 instructor string", BOTH, (("/context/instructor", "Bob"),), ("/context/instructor",)),
    (
        "4.12 instructor objectType Person",
        BOTH,
        (("/context/instructor/objectType", "Person"),),
        ("/context/instructor/objectType",),
    ),
    (
        "4.12 team is an agent",
        BOTH,
        (("/context/team", {"objectType": "Agent", "mbox": "mailto:a@example.com"}),),
        ("/context/team/objectType",),
    ),
    (
        "4.12 contextActivities unknown key",
        BOTH,
        (("/context/contextActivities/siblings", []),),
        ("/context/contextActivities/siblings",),
    ),
    (
        "4.12 contextActivities string value",
        BOTH,
        (("/context/contextActivities/parent", ACTIVITY_ID),),
        ("/context/contextActivities/parent",),
    ),
    (
        "4.12 contextActivities not object",
        BOTH,
        (("/context/contextActivities", [{"id": ACTIVITY_ID}]),),
        ("/context/contextActivities",),
    ),
    (
        "4.12 contextActivities single activity invalid",
        BOTH,
        (("/context/contextActivities/grouping/id", "course"),),
        ("/context/contextActivities/grouping/id",),
    ),
    (
        "4.12 contextActivities item objectType Agent",
        BOTH,
        (("/context/contextActivities/category/0/objectType", "Agent"),),
        ("/context/contextActivities/category/0/objectType",),
    ),
    ("4.12 revision number", BOTH, (("/context/revision", 2),), ("/context/revision",)),
    ("4.12 platform object", BOTH, (("/context/platform", {"name": "x"}),), ("/context/platform",)),
    (
        "4.12 revision with agent object",
        BOTH,
        (("/object", AGENT_OBJECT), ("/context/platform", DELETE)),
        ("/context/revision",),
    ),
    (
        "4.12 platform with statementref object",
        BOTH,
        (("/object", STATEMENT_REF), ("/context/revision", DELETE)),
        ("/context/platform",),
    ),
    (
        "4.12 revision with group object",
        BOTH,
        (
            ("/object", {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}),
            ("/context/platform", DELETE),
        ),
        ("/context/revision",),
    ),
    (
        "4.12 platform with substatement object",
        BOTH,
        (("/object", SUBSTATEMENT), ("/context/revision", DELETE)),
        ("/context/platform",),
    ),
    (
        "4.12 language invalid",
        BOTH,
        (("/context/language", "should error"),),
        ("/context/language",),
    ),
    ("4.12 language number", BOTH, (("/context/language", 7),), ("/context/language",)),
    (
        "4.12 context statement without objectType",
        BOTH,
        (("/context/statement", {"id": UUID}),),
        ("/context/statement/objectType",),
    ),
    (
        "4.12 context statement is activity",
        BOTH,
        (("/context/statement", {"objectType": "Activity", "id": UUID}),),
        ("/context/statement/objectType",),
    ),
    (
        "4.12 context statement id invalid",
        BOTH,
        (("/context/statement/id", "x"),),
        ("/context/statement/id",),
    ),
    (
        "4.12 context extensions non-IRI key",
        BOTH,
        (("/context/extensions", {"session": 1}),),
        ("/context/extensions/session",),
    ),
    # §4.13 timestamp and stored
    ("4.13 timestamp free text", BOTH, (("/timestamp", "should fail"),), ("/timestamp",)),
    ("4.13 timestamp US date", BOTH, (("/timestamp", "01/011/2015"),), ("/timestamp",)),
    ("4.13 timestamp -00", BOTH, (("/timestamp", "2008-09-15T15:53:00.601-00"),), ("/timestamp",)),
    (
        "4.13 timestamp -0000",
        BOTH,
        (("/timestamp", "2008-09-15T15:53:00.601-0000"),),
        ("/timestamp",),
    ),
    (
        "4.13 timestamp -00:00",
        BOTH,
        (("/timestamp", "2008-09-15T15:53:00.601-00:00"),),
        ("/timestamp",),
    ),
    ("4.13 timestamp date only", BOTH, (("/timestamp", "2008-09-15"),), ("/timestamp",)),
    (
        "4.13 timestamp February 30",
        BOTH,
        (("/timestamp", "2024-02-30T00:00:00Z"),),
        ("/timestamp",),
    ),
    ("4.13 timestamp hour 24", BOTH, (("/timestamp", "2024-02-01T24:00:00Z"),), ("/timestamp",)),
    ("4.13 timestamp number", BOTH, (("/timestamp", 1714564800),), ("/timestamp",)),
    ("4.13 stored invalid", BOTH, (("/stored", "yesterday"),), ("/stored",)),
    ("4.13 stored -00:00", BOTH, (("/stored", "2008-09-15T15:53:00-00:00"),), ("/stored",)),
    # §4.14 authority
    (
        "4.14 authority identified group",
        BOTH,
        (
            (
                "/authority",
                {
                    "objectType": "Group",
                    "mbox": "mailto:g@example.com",
                    "member": [{"mbox": "mailto:a@example.com"}, {"mbox": "mailto:b@example.com"}],
                },
            ),
        ),
        ("/authority",),
    ),
    (
        "4.14 authority group of three",
        BOTH,
        (
            (
                "/authority",
                {
                    "objectType": "Group",
                    "member": [
                        {"mbox": "mailto:a@example.com"},
                        {"mbox": "mailto:b@example.com"},
                        {"mbox": "mailto:c@example.com"},
                    ],
                },
            ),
        ),
        ("/authority/member",),
    ),
    (
        "4.14 authority group of one",
        BOTH,
        (("/authority", {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]}),),
        ("/authority/member",),
    ),
    (
        "4.14 authority account name object",
        BOTH,
        (("/authority", {"account": {"homePage": "http://lrs.example.com", "name": {"k": 1}}}),),
        ("/authority/account/name",),
    ),
    ("4.14 authority string", BOTH, (("/authority", "lrs"),), ("/authority",)),
    # §4.15 version
    ("4.15 version free text", BOTH, (("/version", "should fail"),), ("/version",)),
    ("4.15 version 0.9.9", BOTH, (("/version", "0.9.9"),), ("/version",)),
    ("4.15 version 1.1.0", BOTH, (("/version", "1.1.0"),), ("/version",)),
    ("4.15 version 2.1.0", BOTH, (("/version", "2.1.0"),), ("/version",)),
    ("4.15 version number", BOTH, (("/version", 1.0),), ("/version",)),
    ("4.15 version 2.0.0 under 1.0.3 rules", ONLY_V1, (("/version", "2.0.0"),), ("/version",)),
    ("4.15 version 2.0 under 1.0.3 rules", ONLY_V1, (("/version", "2.0"),), ("/version",)),
    # §4.16 attachments
    ("4.16 attachments object", BOTH, (("/attachments", {"usageType": "x"}),), ("/attachments",)),
    ("4.16 attachment string", BOTH, (("/attachments/0", "file.txt"),), ("/attachments/0",)),
    (
        "4.16 attachment no usageType",
        BOTH,
        (("/attachments/0/usageType", DELETE),),
        ("/attachments/0/usageType",),
    ),
    (
        "4.16 attachment no display",
        BOTH,
        (("/attachments/0/display", DELETE),),
        ("/attachments/0/display",),
    ),
    (
        "4.16 attachment no contentType",
        BOTH,
        (("/attachments/0/contentType", DELETE),),
        ("/attachments/0/contentType",),
    ),
    (
        "4.16 attachment no length",
        BOTH,
        (("/attachments/0/length", DELETE),),
        ("/attachments/0/length",),
    ),
    (
        "4.16 attachment no sha2 despite fileUrl",
        BOTH,
        (("/attachments/0/sha2", DELETE),),
        ("/attachments/0/sha2",),
    ),
    (
        "4.16 attachment unknown key",
        BOTH,
        (("/attachments/0/name", "x"),),
        ("/attachments/0/name",),
    ),
    (
        "4.16 attachment usageType not IRI",
        BOTH,
        (("/attachments/0/usageType", "test"),),
        ("/attachments/0/usageType",),
    ),
    (
        "4.16 attachment display string",
        BOTH,
        (("/attachments/0/display", "should error"),),
        ("/attachments/0/display",),
    ),
    (
        "4.16 attachment description bad tag",
        BOTH,
        (("/attachments/0/description", {"en-US": "x", "something": "y"}),),
        ("/attachments/0/description/something",),
    ),
    (
        "4.16 attachment contentType number",
        BOTH,
        (("/attachments/0/contentType", 5),),
        ("/attachments/0/contentType",),
    ),
    (
        "4.16 attachment contentType not a media type",
        BOTH,
        (("/attachments/0/contentType", "text"),),
        ("/attachments/0/contentType",),
    ),
    (
        "4.16 attachment length negative",
        BOTH,
        (("/attachments/0/length", -1),),
        ("/attachments/0/length",),
    ),
    (
        "4.16 attachment length float",
        BOTH,
        (("/attachments/0/length", 27.5),),
        ("/attachments/0/length",),
    ),
    (
        "4.16 attachment length string",
        BOTH,
        (("/attachments/0/length", "27"),),
        ("/attachments/0/length",),
    ),
    (
        "4.16 attachment length boolean",
        BOTH,
        (("/attachments/0/length", True),),
        ("/attachments/0/length",),
    ),
    (
        "4.16 attachment sha2 not hex",
        BOTH,
        (("/attachments/0/sha2", "z" * 64),),
        ("/attachments/0/sha2",),
    ),
    ("4.16 attachment sha2 number", BOTH, (("/attachments/0/sha2", 5),), ("/attachments/0/sha2",)),
    (
        "4.16 attachment fileUrl not IRL",
        BOTH,
        (("/attachments/0/fileUrl", "file.txt"),),
        ("/attachments/0/fileUrl",),
    ),
    # §4.17 shared data types
    ("4.17 language map array", BOTH, (("/verb/display", ["answered"]),), ("/verb/display",)),
    (
        "4.17 language map number value",
        BOTH,
        (("/verb/display/en-US", 5),),
        ("/verb/display/en-US",),
    ),
    (
        "4.17 extensions non-IRI key",
        BOTH,
        (("/result/extensions", {"attempt": 2}),),
        ("/result/extensions/attempt",),
    ),
    (
        "4.17 duration alternative form",
        BOTH,
        (("/result/duration", "P0003-01-29T04:35:59"),),
        ("/result/duration",),
    ),
    ("4.17 duration weeks mixed", BOTH, (("/result/duration", "P4W1D"),), ("/result/duration",)),
    (
        "4.17 duration T without component",
        BOTH,
        (("/result/duration", "P1DT"),),
        ("/result/duration",),
    ),
    ("4.17 duration bare P", BOTH, (("/result/duration", "P"),), ("/result/duration",)),
    # §6 voiding
    (
        "6 voiding with activity object",
        BOTH,
        (("/verb", {"id": VOIDED}),),
        ("/object",),
    ),
    (
        "6 voiding with agent object",
        BOTH,
        (("/verb", {"id": VOIDED}), ("/object", AGENT_OBJECT), *NOT_ACTIVITY),
        ("/object",),
    ),
    (
        "6 voiding statementref without id",
        BOTH,
        (("/verb", {"id": VOIDED}), ("/object", {"objectType": "StatementRef"}), *NOT_ACTIVITY),
        ("/object/id",),
    ),
    # §16.1 1.0.3 rules know nothing of contextAgents / contextGroups
    (
        "16.1 contextAgents under 1.0.3",
        ONLY_V1,
        (("/context/contextAgents", [CONTEXT_AGENT]),),
        ("/context/contextAgents",),
    ),
    (
        "16.1 contextGroups under 1.0.3",
        ONLY_V1,
        (("/context/contextGroups", [CONTEXT_GROUP]),),
        ("/context/contextGroups",),
    ),
    (
        "16.1 contextAgents in substatement under 1.0.3",
        ONLY_V1,
        as_substatement(("/object/context/contextAgents", [CONTEXT_AGENT])),
        ("/object/context/contextAgents",),
    ),
    # §16.3 contextAgents / contextGroups (2.0)
    (
        "16.3 contextAgents object",
        ONLY_V2,
        (("/context/contextAgents", CONTEXT_AGENT),),
        ("/context/contextAgents",),
    ),
    (
        "16.3 contextAgents null",
        ONLY_V2,
        (("/context/contextAgents", None),),
        ("/context/contextAgents",),
    ),
    (
        "16.3 contextAgent item string",
        ONLY_V2,
        (("/context/contextAgents", ["mailto:a@example.com"]),),
        ("/context/contextAgents/0",),
    ),
    (
        "16.3 contextAgent objectType wrong",
        ONLY_V2,
        (("/context/contextAgents", [{**CONTEXT_AGENT, "objectType": "Should fail"}]),),
        ("/context/contextAgents/0/objectType",),
    ),
    (
        "16.3 contextAgent objectType case",
        ONLY_V2,
        (("/context/contextAgents", [{**CONTEXT_AGENT, "objectType": "ContextAgent"}]),),
        ("/context/contextAgents/0/objectType",),
    ),
    (
        "16.3 contextAgent objectType missing",
        ONLY_V2,
        (("/context/contextAgents", [{"agent": CONTEXT_AGENT["agent"]}]),),
        ("/context/contextAgents/0/objectType",),
    ),
    (
        "16.3 contextAgent agent missing",
        ONLY_V2,
        (("/context/contextAgents", [{"objectType": "contextAgent"}]),),
        ("/context/contextAgents/0/agent",),
    ),
    (
        "16.3 contextAgent agent invalid",
        ONLY_V2,
        (("/context/contextAgents", [{"objectType": "contextAgent", "agent": {"key": "x"}}]),),
        ("/context/contextAgents/0/agent/key", "/context/contextAgents/0/agent"),
    ),
    (
        "16.3 contextAgent agent is a group",
        ONLY_V2,
        (
            (
                "/context/contextAgents",
                [{"objectType": "contextAgent", "agent": CONTEXT_GROUP["group"]}],
            ),
        ),
        ("/context/contextAgents/0/agent/objectType",),
    ),
    (
        "16.3 contextAgent unknown key",
        ONLY_V2,
        (("/context/contextAgents", [{**CONTEXT_AGENT, "role": "coach"}]),),
        ("/context/contextAgents/0/role",),
    ),
    (
        "16.3 relevantTypes empty",
        ONLY_V2,
        (("/context/contextAgents", [{**CONTEXT_AGENT, "relevantTypes": []}]),),
        ("/context/contextAgents/0/relevantTypes",),
    ),
    (
        "16.3 relevantTypes non-IRI item",
        ONLY_V2,
        (("/context/contextAgents", [{**CONTEXT_AGENT, "relevantTypes": ["abc"]}]),),
        ("/context/contextAgents/0/relevantTypes/0",),
    ),
    (
        "16.3 relevantTypes string",
        ONLY_V2,
        (("/context/contextAgents", [{**CONTEXT_AGENT, "relevantTypes": "http://example.com/t"}]),),
        ("/context/contextAgents/0/relevantTypes",),
    ),
    (
        "16.3 second contextAgent invalid",
        ONLY_V2,
        (("/context/contextAgents", [CONTEXT_AGENT, {**CONTEXT_AGENT, "objectType": "Agent"}]),),
        ("/context/contextAgents/1/objectType",),
    ),
    (
        "16.3 contextGroups string",
        ONLY_V2,
        (("/context/contextGroups", "group"),),
        ("/context/contextGroups",),
    ),
    (
        "16.3 contextGroup objectType wrong",
        ONLY_V2,
        (("/context/contextGroups", [{**CONTEXT_GROUP, "objectType": "contextAgent"}]),),
        ("/context/contextGroups/0/objectType",),
    ),
    (
        "16.3 contextGroup group missing",
        ONLY_V2,
        (("/context/contextGroups", [{"objectType": "contextGroup"}]),),
        ("/context/contextGroups/0/group",),
    ),
    (
        "16.3 contextGroup group is an agent",
        ONLY_V2,
        (("/context/contextGroups", [{**CONTEXT_GROUP, "group": CONTEXT_AGENT["agent"]}]),),
        ("/context/contextGroups/0/group/objectType",),
    ),
    (
        "16.3 contextGroup anonymous group without member",
        ONLY_V2,
        (("/context/contextGroups", [{**CONTEXT_GROUP, "group": {"objectType": "Group"}}]),),
        ("/context/contextGroups/0/group/member",),
    ),
    (
        "16.3 contextGroup relevantTypes empty",
        ONLY_V2,
        (("/context/contextGroups", [{**CONTEXT_GROUP, "relevantTypes": []}]),),
        ("/context/contextGroups/0/relevantTypes",),
    ),
    (
        "16.3 contextGroup unknown key",
        ONLY_V2,
        (("/context/contextGroups", [{**CONTEXT_GROUP, "agent": CONTEXT_AGENT["agent"]}]),),
        ("/context/contextGroups/0/agent",),
    ),
    (
        "16.3 contextAgents in substatement invalid",
        ONLY_V2,
        as_substatement(
            ("/object/context/contextAgents", [{**CONTEXT_AGENT, "relevantTypes": []}])
        ),
        ("/object/context/contextAgents/0/relevantTypes",),
    ),
    # §16.4 SHALLs in 2.0 (additional properties, invalid IRIs) — same outcome under 1.0.3
    (
        "16.4 additional property",
        BOTH,
        (("/object/definition/extra", True),),
        ("/object/definition/extra",),
    ),
    (
        "16.4 invalid IRI in type",
        BOTH,
        (("/object/definition/type", "cmi.interaction"),),
        ("/object/definition/type",),
    ),
    # §16.5 voiding now explicit LRS text
    (
        "16.5 voiding substatement object",
        BOTH,
        (("/verb", {"id": VOIDED}), ("/object", SUBSTATEMENT), *NOT_ACTIVITY),
        ("/object",),
    ),
]

VALID: list[tuple[str, tuple[str, ...], tuple[tuple[str, Any], ...]]] = [
    ("3 base statement", BOTH, ()),
    (
        "3 only required properties",
        BOTH,
        tuple(
            (k, DELETE)
            for k in (
                "/id",
                "/result",
                "/context",
                "/timestamp",
                "/stored",
                "/authority",
                "/version",
                "/attachments",
            )
        ),
    ),
    ("3 result empty object", BOTH, (("/result", {}),)),
    ("3 context empty object", BOTH, (("/context", {}),)),
    ("3 definition empty object", BOTH, (("/object/definition", {}),)),
    ("3 display empty language map", BOTH, (("/verb/display", {}),)),
    ("3 score empty object", BOTH, (("/result/score", {}),)),
    ("3 IRI with unicode", BOTH, (("/object/id", "http://example.com/café/é"),)),
    ("3 IRI urn", BOTH, (("/object/id", "urn:uuid:" + UUID),)),
    ("4.1 id uppercase", BOTH, (("/id", UUID.upper()),)),
    ("4.1 id version 1", BOTH, (("/id", "c232ab00-9414-11ec-b3c8-9f6bdeced846"),)),
    ("4.1 id nil", BOTH, (("/id", "00000000-0000-0000-0000-000000000000"),)),
    ("4.1 id absent", BOTH, (("/id", DELETE),)),
    ("4.2 agent without objectType", BOTH, (("/actor/objectType", DELETE),)),
    ("4.2 agent without name", BOTH, (("/actor/name", DELETE),)),
    ("4.2 agent as object", BOTH, (("/object", AGENT_OBJECT), *NOT_ACTIVITY)),
    ("4.3 mbox_sha1sum uppercase", BOTH, (("/context/instructor/mbox_sha1sum", "ABCDEF0123" * 4),)),
    (
        "4.3 openid",
        BOTH,
        (("/actor/mbox", DELETE), ("/actor/openid", "http://openid.example.com/ada")),
    ),
    (
        "4.3 account",
        BOTH,
        (
            ("/actor/mbox", DELETE),
            ("/actor/account", {"homePage": "https://lms.example.com", "name": "ada"}),
        ),
    ),
    (
        "4.4 identified group without member",
        BOTH,
        (("/actor", {"objectType": "Group", "openid": "http://openid.example.com/g"}),),
    ),
    (
        "4.4 identified group with members",
        BOTH,
        (
            (
                "/actor",
                {
                    "objectType": "Group",
                    "mbox": "mailto:g@example.com",
                    "member": [{"mbox": "mailto:a@example.com"}],
                },
            ),
        ),
    ),
    (
        "4.4 identified group with empty member",
        BOTH,
        (("/actor", {"objectType": "Group", "mbox": "mailto:g@example.com", "member": []}),),
    ),
    (
        "4.4 group as object",
        BOTH,
        (("/object", {"objectType": "Group", "member": [AGENT_OBJECT]}), *NOT_ACTIVITY),
    ),
    ("4.4 member objectType Agent", BOTH, (("/context/team/member/0/objectType", "Agent"),)),
    ("4.5 verb without display", BOTH, (("/verb/display", DELETE),)),
    (
        "4.5 verb display several languages",
        BOTH,
        (("/verb/display", {"en-US": "answered", "es": "respondió", "zh-Hant-TW": "回答"}),),
    ),
    ("4.6 activity without objectType", BOTH, (("/object/objectType", DELETE),)),
    ("4.7 activity without definition", BOTH, (("/object/definition", DELETE),)),
    (
        "4.8 correctResponsesPattern empty",
        BOTH,
        (("/object/definition/correctResponsesPattern", []),),
    ),
    (
        "4.8 correctResponsesPattern characterstring parameters",
        BOTH,
        (
            (
                "/object/definition/correctResponsesPattern",
                ["{case_matters=true}{lang=en}To be or not to be"],
            ),
        ),
    ),
    (
        "4.8 long response pattern",
        BOTH,
        (("/object/definition/correctResponsesPattern", ["x" * 100_000]),),
    ),
    ("4.8 component id with whitespace", BOTH, (("/object/definition/choices/0/id", "golf club"),)),
    (
        "4.8 component lists that do not fit the type (MAY refuse, we accept)",
        BOTH,
        (("/object/definition/scale", [{"id": "1"}]),),
    ),
    (
        "4.8 same id in source and target",
        BOTH,
        (
            ("/object/definition/interactionType", "matching"),
            ("/object/definition/choices", DELETE),
            ("/object/definition/source", [{"id": "a"}, {"id": "b"}]),
            ("/object/definition/target", [{"id": "a"}, {"id": "b"}]),
        ),
    ),
    (
        "4.8 every interaction type",
        BOTH,
        (("/object/definition/choices", DELETE), ("/object/definition/interactionType", "numeric")),
    ),
    ("4.9 statementref object", BOTH, (("/object", STATEMENT_REF), *NOT_ACTIVITY)),
    (
        "4.9 statementref to an unknown statement",
        BOTH,
        (
            (
                "/object",
                {"objectType": "StatementRef", "id": "ffffffff-ffff-4fff-bfff-ffffffffffff"},
            ),
            *NOT_ACTIVITY,
        ),
    ),
    ("4.10 substatement", BOTH, as_substatement()),
    ("4.10 substatement with attachments", BOTH, as_substatement(("/object/attachments", []))),
    (
        "4.10 substatement with agent object",
        BOTH,
        as_substatement(("/object/object", AGENT_OBJECT), ("/object/context", {})),
    ),
    (
        "4.10 substatement with statementref object",
        BOTH,
        as_substatement(("/object/object", STATEMENT_REF), ("/object/context", {})),
    ),
    (
        "4.10 substatement future timestamp",
        BOTH,
        as_substatement(("/object/timestamp", "9999-12-31T23:59:59.999Z")),
    ),
    ("4.11 scaled -1", BOTH, (("/result/score/scaled", -1),)),
    ("4.11 scaled 1", BOTH, (("/result/score/scaled", 1),)),
    ("4.11 scaled 1.0", BOTH, (("/result/score/scaled", 1.0),)),
    # §17 decision: min == max is accepted (the CTS only tests min > max).
    ("17 score min equals max", BOTH, (("/result/score", {"raw": 3, "min": 3, "max": 3}),)),
    ("4.11 raw equals bounds", BOTH, (("/result/score/raw", 10),)),
    ("4.11 float score", BOTH, (("/result/score", {"raw": 0.1, "min": -0.5, "max": 1e3}),)),
    ("4.11 big integer score", BOTH, (("/result/score", {"raw": 10**30, "max": 10**31}),)),
    (
        "4.12 contextActivities single object",
        BOTH,
        (("/context/contextActivities/parent", {"id": ACTIVITY_ID}),),
    ),
    ("4.12 contextActivities empty object", BOTH, (("/context/contextActivities", {}),)),
    (
        "4.12 instructor group",
        BOTH,
        (("/context/instructor", {"objectType": "Group", "member": [AGENT_OBJECT]}),),
    ),
    ("4.12 language private use", BOTH, (("/context/language", "x-klingon"),)),
    ("4.12 language grandfathered", BOTH, (("/context/language", "i-default"),)),
    ("4.13 timestamp zone-less (read as UTC, §17)", BOTH, (("/timestamp", "2024-05-01T12:00:00"),)),
    ("4.13 timestamp +00:00", BOTH, (("/timestamp", "2008-09-15T15:53:00.601+00:00"),)),
    (
        "4.13 timestamp RFC 3339 space separator",
        BOTH,
        (("/timestamp", "2008-09-15 15:53:00.601+00:00"),),
    ),
    ("4.13 timestamp basic format", BOTH, (("/timestamp", "20080915T155300Z"),)),
    ("4.13 timestamp nanoseconds", BOTH, (("/timestamp", "2024-05-01T12:00:00.123456789Z"),)),
    ("4.13 timestamp offset", BOTH, (("/timestamp", "2024-05-01T12:00:00-05:30"),)),
    ("4.13 timestamp leap day", BOTH, (("/timestamp", "2024-02-29T00:00:00Z"),)),
    ("4.13 stored in the future", BOTH, (("/stored", "2999-01-01T00:00:00Z"),)),
    (
        "4.14 authority anonymous group of two",
        BOTH,
        (
            (
                "/authority",
                {
                    "objectType": "Group",
                    "member": [
                        AGENT_OBJECT,
                        {"account": {"homePage": "http://lrs.example.com", "name": "app"}},
                    ],
                },
            ),
        ),
    ),
    ("4.14 authority without objectType", BOTH, (("/authority/objectType", DELETE),)),
    ("4.15 version 1.0", BOTH, (("/version", "1.0"),)),
    ("4.15 version 1.0.9", BOTH, (("/version", "1.0.9"),)),
    ("4.15 version 1.0.3", BOTH, (("/version", "1.0.3"),)),
    ("16.1 version 2.0.0 under 2.0 rules", ONLY_V2, (("/version", "2.0.0"),)),
    ("16.1 version 2.0.1 under 2.0 rules", ONLY_V2, (("/version", "2.0.1"),)),
    ("16.1 version 2.0 under 2.0 rules", ONLY_V2, (("/version", "2.0"),)),
    ("4.16 attachment without fileUrl", BOTH, (("/attachments/0/fileUrl", DELETE),)),
    ("4.16 attachment without description", BOTH, (("/attachments/0/description", DELETE),)),
    ("4.16 attachment length zero", BOTH, (("/attachments/0/length", 0),)),
    ("4.16 attachment sha512", BOTH, (("/attachments/0/sha2", "ab" * 64),)),
    ("4.16 attachments empty array", BOTH, (("/attachments", []),)),
    ("4.17 extensions empty", BOTH, (("/result/extensions", {}),)),
    (
        "4.17 extension value null",
        BOTH,
        (("/result/extensions", {"http://example.com/null": None}),),
    ),
    (
        "4.17 extension values of every type",
        BOTH,
        (
            (
                "/context/extensions",
                {
                    "http://e.com/a": "",
                    "http://e.com/b": {},
                    "http://e.com/c": [None, {"x": None}],
                    "http://e.com/d": False,
                },
            ),
        ),
    ),
    ("4.17 duration weeks", BOTH, (("/result/duration", "P4W"),)),
    ("4.17 duration years only", BOTH, (("/result/duration", "P3Y"),)),
    ("4.17 duration full", BOTH, (("/result/duration", "P3Y1M29DT4H35M59.14S"),)),
    ("4.17 duration seconds only", BOTH, (("/result/duration", "PT16559.14S"),)),
    ("16.4 duration finer than 0.01 s", BOTH, (("/result/duration", "PT0.0012345S"),)),
    ("16.4 future timestamp", BOTH, (("/timestamp", "2999-12-31T23:59:59.999Z"),)),
    (
        "6 voiding statement",
        BOTH,
        (
            ("/verb", {"id": VOIDED, "display": {"en-US": "voided"}}),
            ("/object", STATEMENT_REF),
            *NOT_ACTIVITY,
        ),
    ),
    (
        "16.3 contextAgents and contextGroups",
        ONLY_V2,
        (("/context/contextAgents", [CONTEXT_AGENT]), ("/context/contextGroups", [CONTEXT_GROUP])),
    ),
    ("16.3 contextAgents empty array", ONLY_V2, (("/context/contextAgents", []),)),
    (
        "16.3 contextAgent without relevantTypes",
        ONLY_V2,
        (
            (
                "/context/contextAgents",
                [{"objectType": "contextAgent", "agent": {"mbox": "mailto:p@example.com"}}],
            ),
        ),
    ),
    (
        "16.3 contextGroup identified group",
        ONLY_V2,
        (
            (
                "/context/contextGroups",
                [
                    {
                        "objectType": "contextGroup",
                        "group": {"objectType": "Group", "openid": "http://openid.example.com/g"},
                    }
                ],
            ),
        ),
    ),
    (
        "16.3 contextAgents in substatement",
        ONLY_V2,
        as_substatement(("/object/context/contextAgents", [CONTEXT_AGENT])),
    ),
    (
        "16.3 instructor and team stay valid",
        ONLY_V2,
        (("/context/contextAgents", [CONTEXT_AGENT]),),
    ),
]


def _invalid_params() -> list[Any]:
    return [
        pytest.param(version, ops, pointers, id=f"{case_id} [{version}]")
        for case_id, versions, ops, pointers in INVALID
        for version in versions
    ]


def _valid_params() -> list[Any]:
    return [
        pytest.param(version, ops, id=f"{case_id} [{version}]")
        for case_id, versions, ops in VALID
        for version in versions
    ]


@pytest.mark.parametrize(("version", "ops", "pointers"), _invalid_params())
def test_invalid_statement_is_refused_with_pointers(
    version: str, ops: tuple[tuple[str, Any], ...], pointers: tuple[str, ...]
) -> None:
    """Each mutation breaks exactly the rule named in the id; details point at it."""
    statement = mutate(*ops)
    with pytest.raises(InvalidStatementError) as caught:
        validate_statement(statement, version)
    assert [problem.pointer for problem in caught.value.details] == list(pointers)
    assert caught.value.message.startswith(f"Statement is invalid: {pointers[0]}: ")


@pytest.mark.parametrize(("version", "ops"), _valid_params())
def test_valid_statement_is_accepted(version: str, ops: tuple[tuple[str, Any], ...]) -> None:
    """Each variation stays within the rules and passes."""
    validate_statement(mutate(*ops), version)


def test_pointer_prefix_locates_the_batch_item() -> None:
    """The caller's prefix (item 3 of a batch) starts every pointer."""
    with pytest.raises(InvalidStatementError) as caught:
        validate_statement(mutate(("/verb/id", "answered")), V1, pointer="/3")
    assert caught.value.details[0].pointer == "/3/verb/id"
    assert caught.value.message == "Statement is invalid: /3/verb/id: must be an absolute IRI"


def test_non_object_statement_is_refused_at_the_root() -> None:
    """§3: a Statement must be a JSON object."""
    with pytest.raises(InvalidStatementError) as caught:
        validate_statement([base_statement()], V2)
    assert [(p.pointer, p.problem) for p in caught.value.details] == [
        ("", "must be a Statement object")
    ]


@pytest.mark.parametrize(
    ("ops", "pointer", "problem"),
    [
        pytest.param((("/actor", None),), "/actor", "must not be null", id="3 null"),
        pytest.param(
            (("/actor", DELETE),), "/actor", "required property is missing", id="3 missing"
        ),
        pytest.param(
            (("/result/success", "true"),), "/result/success", "must be a boolean", id="3 type"
        ),
        pytest.param((("/id", "x"),), "/id", "must be a UUID in 8-4-4-4-12 form", id="4.1 uuid"),
        pytest.param(
            (("/verb/foo", 1),),
            "/verb/foo",
            "unknown property (allowed: id, display)",
            id="3 unknown",
        ),
        pytest.param(
            (("/actor/objectType", "Person"),),
            "/actor/objectType",
            "must be 'Agent' or 'Group'",
            id="4.2 objectType",
        ),
        pytest.param(
            as_substatement(("/object/id", UUID)),
            "/object/id",
            "not allowed in a SubStatement",
            id="4.10 id",
        ),
    ],
)
def test_problems_are_plain_english(
    ops: tuple[tuple[str, Any], ...], pointer: str, problem: str
) -> None:
    """Problems name the fault in words a client developer understands."""
    with pytest.raises(InvalidStatementError) as caught:
        validate_statement(mutate(*ops), V2)
    assert (caught.value.details[0].pointer, caught.value.details[0].problem) == (pointer, problem)


def test_every_problem_is_collected_before_raising() -> None:
    """Several faults → one error listing each, summary counting the rest."""
    statement = mutate(("/actor/mbox", "x"), ("/verb/id", "y"), ("/timestamp", "z"))
    with pytest.raises(InvalidStatementError) as caught:
        validate_statement(statement, V1)
    assert [p.pointer for p in caught.value.details] == ["/actor/mbox", "/verb/id", "/timestamp"]
    assert caught.value.message.endswith("(and 2 more)")


def test_problem_list_is_capped() -> None:
    """A Statement with hundreds of faults reports at most 20."""
    statement = mutate(("/context/contextActivities/parent", [{"id": i} for i in range(500)]))
    with pytest.raises(InvalidStatementError) as caught:
        validate_statement(statement, V2)
    assert len(caught.value.details) == 20


def test_validation_never_changes_the_statement() -> None:
    """No defaults are filled in and nothing is normalised."""
    statement = mutate(
        ("/object/objectType", DELETE), ("/context/contextActivities/parent", {"id": ACTIVITY_ID})
    )
    before = copy.deepcopy(statement)
    validate_statement(statement, V1)
    assert statement == before


def test_key_order_does_not_matter() -> None:
    """§3: property order never matters."""

    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reverse(v) for v in value]
        return value

    validate_statement(reverse(base_statement()), V1)


def test_unknown_rule_set_is_a_programming_error() -> None:
    """The rule set comes from negotiate_version; anything else is a bug in the caller."""
    with pytest.raises(ValueError):
        validate_statement(base_statement(), "1.0.0")


@pytest.mark.parametrize(
    ("value", "allow_group"),
    [
        pytest.param({"mbox": "mailto:a@example.com"}, False, id="2.6 agent"),
        pytest.param(
            {"objectType": "Agent", "openid": "http://id.example.com/a"},
            False,
            id="2.6 typed agent",
        ),
        pytest.param(
            {"objectType": "Group", "mbox": "mailto:g@example.com"}, True, id="7.1 identified group"
        ),
    ],
)
def test_agent_parameter_is_accepted(value: object, allow_group: bool) -> None:
    """§2.6, §7.1: an `agent` parameter holding a valid Agent (or identified Group) passes."""
    validate_agent(value, allow_group=allow_group)


@pytest.mark.parametrize(
    ("value", "allow_group", "pointer"),
    [
        pytest.param({"name": "nobody"}, False, "", id="2.6 agent without IFI"),
        pytest.param({"mbox": "a@example.com"}, False, "/mbox", id="2.6 bad mbox"),
        pytest.param("mailto:a@example.com", False, "", id="2.6 not an object"),
        pytest.param(
            {"objectType": "Group", "mbox": "mailto:g@example.com"},
            False,
            "/objectType",
            id="13 group where only agents go",
        ),
        pytest.param(
            {"objectType": "Group", "member": [{"mbox": "mailto:a@example.com"}]},
            True,
            "",
            id="7.1 anonymous group",
        ),
    ],
)
def test_agent_parameter_is_refused(value: object, allow_group: bool, pointer: str) -> None:
    """§2.6, §7.1, §13: an invalid Agent parameter → InvalidInputError pointing at the fault."""
    with pytest.raises(InvalidInputError) as caught:
        validate_agent(value, allow_group=allow_group)
    assert not isinstance(caught.value, InvalidStatementError)
    assert caught.value.details[0].pointer == pointer
    assert caught.value.message.startswith("Agent is invalid: ")


# --- robustness: any JSON value → success or InvalidStatementError, never anything else ---

XAPI_KEYS = sorted(
    {
        *base_statement(),
        *base_statement()["context"],
        *base_statement()["result"],
        *base_statement()["result"]["score"],
        *base_statement()["object"]["definition"],
        *base_statement()["attachments"][0],
        "objectType",
        "name",
        "mbox",
        "mbox_sha1sum",
        "openid",
        "account",
        "homePage",
        "member",
        "display",
        "contextAgents",
        "contextGroups",
        "agent",
        "group",
        "relevantTypes",
        "parent",
        "scale",
        "source",
        "target",
        "steps",
        "en-US",
    }
)
OBJECT_TYPES = [
    "Agent",
    "Group",
    "Activity",
    "SubStatement",
    "StatementRef",
    "contextAgent",
    "contextGroup",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            *OBJECT_TYPES,
            UUID,
            ACTIVITY_ID,
            "mailto:a@example.com",
            VOIDED,
            "PT1S",
            "2024-01-01T00:00Z",
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(XAPI_KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=40,
)


def _assert_only_invalid_statement_error(statement: Any, version: str) -> None:
    try:
        validate_statement(statement, version)
    except InvalidStatementError as ex:
        assert ex.details
        assert 0 < len(ex.details) <= 20


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(value=json_values, version=st.sampled_from([V1, V2]))
def test_any_json_value_is_either_valid_or_invalid_statement(value: Any, version: str) -> None:
    """Arbitrary JSON never makes the validator raise anything but InvalidStatementError."""
    _assert_only_invalid_statement_error(value, version)


def _paths(value: Any, prefix: str = "") -> list[str]:
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, f"{prefix}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, f"{prefix}/{index}")
    return found


BASE_PATHS = _paths(base_statement()) + _paths(mutate(*as_substatement()))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(BASE_PATHS),
    replacement=json_values | st.just(DELETE),
    substatement=st.booleans(),
    version=st.sampled_from([V1, V2]),
)
def test_mutated_statement_is_either_valid_or_invalid_statement(
    path: str, replacement: Any, substatement: bool, version: str
) -> None:
    """A valid Statement with one part replaced or removed never crashes the validator."""
    ops = as_substatement() if substatement else ()
    try:
        statement = mutate(*ops, (path, replacement))
    except (KeyError, IndexError, TypeError):
        return  # path not present in this variant
    before = copy.deepcopy(statement)
    _assert_only_invalid_statement_error(statement, version)
    assert _same(statement, before)


def _same(left: Any, right: Any) -> bool:
    # NaN != NaN, so compare through repr for floats.
    return repr(left) == repr(right)
