"""The one JQL form the sample understands: ``project = KEY [ORDER BY field [ASC|DESC]]``."""

from __future__ import annotations

import re
from dataclasses import dataclass

_QUERY = re.compile(
    r"""\s*project\s*=\s*(?P<key>"[^"]*"|'[^']*'|[A-Za-z][A-Za-z0-9]*)\s*
        (?:order\s+by\s+(?P<field>created|updated|key|id)(?:\s+(?P<dir>asc|desc))?)?\s*""",
    re.IGNORECASE | re.VERBOSE,
)


class JqlError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class ProjectQuery:
    project_key: str
    descending: bool


def parse_jql(jql: str) -> ProjectQuery:
    match = _QUERY.fullmatch(jql)
    if match is None:
        raise JqlError(
            "Error in the JQL Query: only 'project = KEY [ORDER BY field]' is supported."
        )
    key = match.group("key").strip("\"'").upper()
    if not key:
        raise JqlError("Error in the JQL Query: a project key is required.")
    field = (match.group("field") or "created").lower()
    direction = (match.group("dir") or ("desc" if field in ("created", "updated") else "asc"))
    return ProjectQuery(key, direction.lower() == "desc")
