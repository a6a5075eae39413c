"""Validation of every written resource (DESIGN.md §7, layers 1-4).

1. A JSON object whose `resourceType` the server supports and matches the URL; `id` well-formed;
   objects and arrays nested at most MAX_DEPTH levels (the R4B models recurse, and no real resource
   comes near it).
2. + 3. The R4 JSON schema (primitive JSON types, unknown elements, no empty arrays/objects or nulls) and
   the R4B models (required elements, one choice, real calendar dates) -> 400, every issue of both.
4. Reference syntax (400), then required bindings and reference target types -> 422.
5. The national profile of the type, when its type is enforced (FHIR_PROFILES_ENFORCED) -> 422.

The first failing layer raises a FhirError carrying all of its issues. The resource itself is never
re-serialised: what is returned (and stored) is the caller's dict, unchanged.
"""

from __future__ import annotations

from fhir_server.definitions.registry import ValidationDefinitions
from fhir_server.model.bindings import BindingChecker
from fhir_server.model.depth import too_deep
from fhir_server.model.ids import is_valid_id
from fhir_server.model.outcome import FhirError, Issue
from fhir_server.model.paths import expression, related
from fhir_server.model.profile_checker import ProfileChecker
from fhir_server.model.schema import SchemaChecker
from fhir_server.model.structure import StructureChecker
from fhir_server.types import JsonResource

MAX_DEPTH = 64  # levels of objects/arrays in one resource, the resource itself being level 1


class Validator:
    """Built once at start-up (schema compiled, tables resolved); `validate` is then pure and thread-safe
    apart from the lazily filled R4B model cache, whose races only repeat an idempotent import."""

    def __init__(
        self,
        definitions: ValidationDefinitions,
        resource_types: frozenset[str],
        profiles: ProfileChecker | None = None,
        enforced: frozenset[str] = frozenset(),
    ) -> None:
        known = frozenset(definitions.json_schema["discriminator"]["mapping"])
        if not resource_types <= known:
            raise ValueError(f"no R4 definition for: {', '.join(sorted(resource_types - known))}")
        self._resource_types = resource_types
        self._schema = SchemaChecker(definitions.json_schema)
        self._structure = StructureChecker(definitions.json_schema)
        self._bindings = BindingChecker(definitions)
        self._profiles = profiles
        self._enforced = enforced if profiles is not None else frozenset()

    @property
    def enforced(self) -> frozenset[str]:
        """The resource types whose national profile every write must meet."""
        return self._enforced

    def validate(self, resource: object, *, expected_type: str | None = None) -> JsonResource:
        """Return the resource (unchanged dict) or raise FhirError with ALL issues of the first failing
        layer."""
        checked, resource_type = self._envelope(resource, expected_type)

        issues = self._schema.check(checked, resource_type)
        for issue in self._structure.check(checked, resource_type):
            # R4B often reports what the schema already said about the same element; keep one.
            if not any(_overlap(issue, seen) for seen in issues):
                issues.append(issue)
        if issues:
            raise FhirError(400, issues)

        self._check_bindings(checked, resource_type)
        if resource_type in self._enforced:
            profile_issues = self.profile_issues(checked, None)
            if profile_issues:
                raise FhirError(422, profile_issues)
        return checked

    def profile_issues(self, resource: JsonResource, profile_url: str | None) -> list[Issue]:
        """Layer 5 for a resource that passed layers 1-4: the named profile, or the national profile of its
        type (none: no issues). An unknown profile url is the caller's error (404 by $validate)."""
        if self._profiles is None:
            return []
        checker = self._profiles
        profile = checker.profile(profile_url) if profile_url else checker.for_type(resource["resourceType"])
        if profile is None:
            if profile_url:
                raise FhirError.of(
                    404,
                    "not-found",
                    f"Unknown profile {profile_url}",
                    f"Không có hồ sơ (profile) {profile_url}",
                )
            return []
        if profile.type != resource["resourceType"]:
            raise FhirError.of(
                400,
                "invalid",
                f"Profile {profile.url} constrains {profile.type}, not {resource['resourceType']}",
                f"Hồ sơ {profile.url} dành cho {profile.type}, không phải {resource['resourceType']}",
            )
        return checker.check(resource, profile)

    def all_issues(
        self, resource: object, *, expected_type: str | None, profile_url: str | None
    ) -> list[Issue]:
        """Every issue of every layer that can run ($validate): a layer 2-3 failure stops before layers 4-5,
        which need the schema's shape."""
        try:
            checked, resource_type = self._envelope(resource, expected_type)
        except FhirError as error:
            return list(error.issues)
        issues = self._schema.check(checked, resource_type)
        for issue in self._structure.check(checked, resource_type):
            if not any(_overlap(issue, seen) for seen in issues):
                issues.append(issue)
        if issues:
            return issues
        findings = self._bindings.check(checked, resource_type)
        issues = [*findings.malformed, *findings.invalid]
        if not findings.malformed:
            issues.extend(self.profile_issues(checked, profile_url))
        return issues

    def recheck_references(self, resource: JsonResource) -> None:
        """Layer 4 again for a validated resource whose references the server has just rewritten
        (transaction fullUrls, conditional references): their target types were unknown before."""
        self._check_bindings(resource, resource["resourceType"])

    def _check_bindings(self, resource: JsonResource, resource_type: str) -> None:
        findings = self._bindings.check(resource, resource_type)
        if findings.malformed:
            raise FhirError(400, findings.malformed)
        if findings.invalid:
            raise FhirError(422, findings.invalid)

    def _envelope(self, resource: object, expected_type: str | None) -> tuple[JsonResource, str]:
        """Layer 1: what must hold before the resource's own definition can be looked up."""
        if not isinstance(resource, dict):
            raise FhirError.of(
                400,
                "structure",
                "The body must be a JSON object holding a FHIR resource",
                "Nội dung phải là một đối tượng JSON chứa tài nguyên FHIR",
            )
        resource_type = resource.get("resourceType")
        if not isinstance(resource_type, str):
            raise FhirError.of(
                400, "required", "resourceType is missing", "Thiếu resourceType", "resourceType"
            )
        if expected_type is not None and resource_type != expected_type:
            raise FhirError.of(
                400,
                "invalid",
                f"resourceType {resource_type} does not match the expected type {expected_type}",
                f"resourceType {resource_type} không khớp với loại mong đợi {expected_type}",
                "resourceType",
            )
        if resource_type not in self._resource_types:
            raise FhirError.of(
                400,
                "not-supported",
                f"Resource type {resource_type} is not supported by this server",
                f"Máy chủ không hỗ trợ loại tài nguyên {resource_type}",
                "resourceType",
            )
        if "id" in resource and not is_valid_id(resource["id"]):
            raise FhirError(400, [_bad_id(resource_type)])
        deep = too_deep(resource, MAX_DEPTH)
        if deep is not None:
            raise FhirError.of(
                400,
                "too-costly",
                f"Elements are nested more than {MAX_DEPTH} levels deep",
                f"Các phần tử lồng nhau sâu quá {MAX_DEPTH} cấp",
                expression(resource_type, deep),
            )
        return resource, resource_type


def _overlap(a: Issue, b: Issue) -> bool:
    return any(related(x, y) for x in a.expression for y in b.expression)


def _bad_id(resource_type: str) -> Issue:
    return Issue(
        "value",
        "Invalid id: 1-64 characters from A-Z, a-z, 0-9, '-' and '.'",
        "id không hợp lệ: 1-64 ký tự gồm A-Z, a-z, 0-9, '-' và '.'",
        (f"{resource_type}.id",),
    )
