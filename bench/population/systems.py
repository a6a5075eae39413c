"""Identifier and code system URLs used by the synthetic population, in one place.

The `https://fhir.vn/sid/...` URLs are this project's placeholders until the Ministry of Health publishes
official NamingSystems; tests and demos refer to these constants rather than repeating the strings.
"""

from __future__ import annotations

CCCD = "https://fhir.vn/sid/cccd"
"""Personal identification number (số định danh cá nhân, printed on the CCCD card): 12 digits."""

BIRTH_CERTIFICATE = "https://fhir.vn/sid/giay-khai-sinh"
"""Birth certificate number as registered by the commune People's Committee."""

FACILITY = "https://fhir.vn/sid/ma-co-so-y-te"
"""Health facility code (synthetic 5-digit codes: 2-digit province code + 3 digits)."""

LOCATION = "https://fhir.vn/sid/dia-diem-tiem-chung"
"""Vaccination site code."""

ADMIN_UNIT = "https://fhir.vn/sid/ma-don-vi-hanh-chinh"
"""Administrative unit code (country "VN", 2-digit province, 5-digit commune of Decision 19/2025/QĐ-TTg)."""

IMMUNIZATION_RECORD = "https://fhir.vn/sid/ma-mui-tiem"
"""Business identifier of one recorded dose."""

BHYT = "https://fhir.vn/sid/bhyt"
"""Health insurance card number (thẻ BHYT)."""

VN_VACCINE = "https://fhir.vn/CodeSystem/vn-vaccine"
"""National vaccine product codes (terminology/CodeSystem-vn-vaccine.json)."""

FUNDING_SOURCE = "https://fhir.vn/CodeSystem/vn-funding-source"
"""EPI (free) | service (paid) | campaign (terminology/CodeSystem-vn-funding-source.json)."""

VN_PROVINCE = "https://fhir.vn/CodeSystem/vn-province"
VN_COMMUNE = "https://fhir.vn/CodeSystem/vn-commune"
PROVINCE_EXTENSION = "https://fhir.vn/StructureDefinition/vn-province"
COMMUNE_EXTENSION = "https://fhir.vn/StructureDefinition/vn-commune"
"""Extensions for the coded province and commune of an Address (profiles/StructureDefinition-vn-*.json)."""

CVX = "http://hl7.org/fhir/sid/cvx"
IDENTIFIER_TYPE = "http://terminology.hl7.org/CodeSystem/v2-0203"
ORGANIZATION_TYPE = "http://terminology.hl7.org/CodeSystem/organization-type"
LOCATION_PHYSICAL_TYPE = "http://terminology.hl7.org/CodeSystem/location-physical-type"
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
ROUTE = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"
PERFORMER_FUNCTION = "http://terminology.hl7.org/CodeSystem/v2-0443"
UCUM = "http://unitsofmeasure.org"
