"""The MongoDB backend; `MongoStore` and `open_mongo_store` are its public names."""

from fhir_server.storage.mongo.connection import open_mongo_store
from fhir_server.storage.mongo.store import MongoStore

__all__ = ["MongoStore", "open_mongo_store"]
