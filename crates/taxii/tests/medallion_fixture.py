"""Writes a medallion 3.0.0 configuration and memory-backend data file holding COUNT
STIX 2.1 objects in one collection, for tests and benchmarks.

Usage: python medallion_fixture.py DIR COUNT PORT
Writes DIR/medallion.json (the config, passed to `medallion` as its positional argument)
and DIR/data.json. The collection id is printed on standard output; the user is
`concord` with password `concord-pass`.
"""
import datetime
import json
import os
import sys

COLLECTION = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
out, count, port = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
base = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def ts(i):
    t = base + datetime.timedelta(milliseconds=i)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


objects, manifest = [], []
for i in range(count):
    obj = {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{i:08x}-3333-4333-8333-{i:012x}",
        "created": "2025-12-01T00:00:00.000Z",
        "modified": "2025-12-01T00:00:00.000Z",
        "name": f"medallion indicator {i}",
        "description": "An address seen in a phishing campaign against the sector.",
        "pattern": f"[ipv4-addr:value = '10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}']",
        "pattern_type": "stix",
        "valid_from": "2025-12-01T00:00:00Z",
        "labels": ["phishing"],
    }
    objects.append(obj)
    manifest.append({"id": obj["id"], "date_added": ts(i), "version": obj["modified"],
                     "media_type": "application/stix+json;version=2.1"})

data = {
    "/discovery": {
        "title": "medallion test server",
        "description": "reference TAXII 2.1 server",
        "default": f"http://127.0.0.1:{port}/api1/",
        "api_roots": [f"http://127.0.0.1:{port}/api1/"],
    },
    "api1": {
        "information": {
            "title": "api1",
            "versions": ["application/taxii+json;version=2.1"],
            "max_content_length": 104857600,
        },
        "status": [],
        "collections": [{
            "id": COLLECTION,
            "title": "Test collection",
            "description": "objects for Concord's tests",
            "can_read": True,
            "can_write": True,
            "media_types": ["application/stix+json;version=2.1"],
            "objects": objects,
            "manifest": manifest,
        }],
    },
}
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "data.json"), "w") as f:
    json.dump(data, f)
config = {
    "backend": {
        "module": "medallion.backends.memory_backend",
        "module_class": "MemoryBackend",
        "filename": os.path.join(out, "data.json"),
    },
    "users": {"concord": "concord-pass"},
    "taxii": {"max_page_size": 100},
}
with open(os.path.join(out, "medallion.json"), "w") as f:
    json.dump(config, f)
print(COLLECTION)
