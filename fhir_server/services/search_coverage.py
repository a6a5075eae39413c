"""What search does not cover, logged once at start-up (issue 3: "a parameter type not implemented is
logged at start-up and answered per Prefer: handling"), so that operators see the gaps without
reading the code. Requests using them get 400 under `Prefer: handling=strict`, else are ignored."""

from __future__ import annotations

import logging
from collections import Counter

from fhir_server.definitions.registry import SearchParamRegistry
from fhir_server.search.parse import NOT_SUPPORTED, SUPPORTED_TYPES

search_log = logging.getLogger("fhir_server.search")

_EXAMPLES = 3  # a few `Type.code` names per line, enough to recognise the type


def log_unsupported(registry: SearchParamRegistry) -> dict[str, int]:
    """One info line per parameter type not implemented, with how many (resource type, code) parameters
    have it, and one per common parameter not implemented (`_text`, ...) with the number of resource
    types defining it. Returns the counts by type."""
    types: Counter[str] = Counter()
    names: Counter[str] = Counter()
    examples: dict[str, list[str]] = {}
    for resource_type, params in sorted(registry.by_type.items()):
        for code, definition in sorted(params.items()):
            # A composite whose component definitions are not all known cannot be parsed or indexed.
            unresolved = definition.type == "composite" and not definition.component_types
            if definition.type not in SUPPORTED_TYPES or unresolved:
                types[definition.type] += 1
                named = examples.setdefault(definition.type, [])
                if len(named) < _EXAMPLES:
                    named.append(f"{resource_type}.{code}")
            elif code in NOT_SUPPORTED:
                names[code] += 1
    for kind, count in sorted(types.items()):
        search_log.info(
            "search parameter type not implemented",
            extra={"param_type": kind, "parameters": count, "examples": examples[kind]},
        )
    for code, count in sorted(names.items()):
        search_log.info("search parameter not implemented", extra={"param": code, "resource_types": count})
    return dict(types)
