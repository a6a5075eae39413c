from __future__ import annotations

import pickle

from fhir_server.bulk.transfer import pack_index, unpack_index
from fhir_server.search.index import (
    DateValue,
    IndexValues,
    NumberValue,
    QuantityValue,
    ReferenceValue,
    StringValue,
    TokenValue,
    UriValue,
)


def test_every_kind_of_index_value_survives_packing_and_pickling() -> None:
    index = IndexValues(
        strings=(StringValue("name", "nguyen", "Nguyễn"),),
        tokens=(TokenValue("code", "http://x", "01", "bcg"), TokenValue("status", None, "completed")),
        dates=(DateValue("date", 1, 2),),
        references=(ReferenceValue("patient", "Patient", "p1", "Patient/p1"),),
        numbers=(NumberValue("dose", 1.5, 1.45, 1.55),),
        quantities=(QuantityValue("q", 2.0, 1.5, 2.5, "http://unitsofmeasure.org", "mL", "mL"),),
        uris=(UriValue("url", "http://example.org"),),
    )
    packed = pickle.loads(pickle.dumps(pack_index(index)))
    assert unpack_index(packed) == index
    assert unpack_index(pack_index(IndexValues())) == IndexValues()
