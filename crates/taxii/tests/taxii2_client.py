"""Drives a Concord node's TAXII 2.1 server with the OASIS taxii2-client.

Usage: python taxii2_client.py BASE_URL READER_TOKEN ANALYST_TOKEN READONLY_COLLECTION_ID PRELOADED
Exits non-zero (with a traceback) on the first check that fails.
"""
import json
import sys

import requests
from taxii2client.exceptions import AccessError
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

base, reader, analyst, readonly_id, preloaded = sys.argv[1:6]
preloaded = int(preloaded)
TAXII = "application/taxii+json;version=2.1"


def expect_http_error(status, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except requests.exceptions.HTTPError as e:
        assert e.response.status_code == status, (e.response.status_code, e.response.text)
        assert e.response.headers["Content-Type"] == TAXII, e.response.headers
        body = e.response.json()
        assert body["http_status"] == str(status) and body["title"], body
        return
    raise AssertionError(f"expected HTTP {status}")


def indicator(n, modified="2026-03-01T00:00:00.000Z"):
    return {
        "type": "indicator",
        "spec_version": "2.1",
        "id": f"indicator--{n:08x}-1111-4111-8111-{n:012x}",
        "created": "2026-03-01T00:00:00.000Z",
        "modified": modified,
        "name": f"client object {n}",
        "pattern": f"[domain-name:value = 'bad{n}.example']",
        "pattern_type": "stix",
        "valid_from": "2026-03-01T00:00:00Z",
    }


# Discovery and API root.
server = Server(base + "/taxii2/", user="reader", password=reader)
assert server.title, "discovery has a title"
assert len(server.api_roots) == 1 and server.default is not None
root = server.default
assert TAXII in root.versions and root.max_content_length > 0
print("discovery and API root: ok")

# Collections, as each role sees them.
analyst_root = ApiRoot(root.url, user="analyst", password=analyst)
by_id = {c.id: c for c in analyst_root.collections}
assert readonly_id in by_id and by_id[readonly_id].can_read and not by_id[readonly_id].can_write
default = next(c for c in analyst_root.collections if c.can_write)
reader_view = {c.id: c for c in root.collections}
assert not reader_view[default.id].can_write
print("collections: ok")

# add_objects with wait_for_completion, then the status resource.
coll = Collection(default.url, user="analyst", password=analyst)
new = [indicator(1), indicator(2), indicator(2, "2026-03-02T00:00:00.000Z"),
       {"type": "indicator", "id": "indicator--not-a-uuid", "spec_version": "2.1"}]
status = coll.add_objects({"objects": new}, wait_for_completion=True, poll_interval=1, timeout=30)
assert status.status == "complete", status.status
assert status.total_count == 4 and status.success_count == 3 and status.failure_count == 1, status._raw
assert "indicator--not-a-uuid" in json.dumps(status.failures)
again = analyst_root.get_status(status.id)
assert again.success_count == 3
print("add_objects and status: ok")

# get_objects with every filter.
total = preloaded + 2
assert len(coll.get_objects(limit=1000)["objects"]) == total
assert len(coll.get_objects(type="indicator", limit=1000)["objects"]) == 2
assert len(coll.get_objects(type=["malware", "indicator"], limit=1000)["objects"]) == total
assert coll.get_objects(type="campaign").get("objects", []) == []
two = indicator(2)["id"]
assert [o["modified"] for o in coll.get_objects(id=two)["objects"]] == ["2026-03-02T00:00:00.000Z"]
assert [o["modified"] for o in coll.get_objects(id=two, version="first")["objects"]] == ["2026-03-01T00:00:00.000Z"]
assert len(coll.get_objects(id=two, version="all")["objects"]) == 2
assert len(coll.get_objects(id=two, version="2026-03-01T00:00:00.000Z")["objects"]) == 1
assert len(coll.get_objects(id=[two, indicator(1)["id"]])["objects"]) == 2
assert len(coll.get_objects(spec_version="2.1", limit=1000)["objects"]) == total
assert coll.get_objects(spec_version="2.0").get("objects", []) == []
first_page = coll.get_objects(limit=10)
assert first_page["more"] is True and len(first_page["objects"]) == 10
resp = coll._conn.session.get(coll.objects_url, params={"limit": 1},
                             headers={"Accept": TAXII}, auth=("analyst", analyst))
last_added = resp.headers["X-TAXII-Date-Added-Last"]
assert resp.headers["X-TAXII-Date-Added-First"] <= last_added
after = coll.get_objects(added_after=last_added, limit=1000)
later = [r for r in coll.get_manifest(limit=1000)["objects"] if r["date_added"] > last_added]
assert 0 < len(after.get("objects", [])) == len(later), (len(after.get("objects", [])), len(later))
print("get_objects filters: ok")

# as_pages over a collection larger than one page.
seen = []
for page in as_pages(coll.get_objects, per_request=100):
    seen.extend(o["id"] for o in page.get("objects", []))
assert len(seen) == total and len(set(seen)) == total, (len(seen), len(set(seen)))
manifest_ids = []
for page in as_pages(coll.get_manifest, per_request=100):
    manifest_ids.extend(r["id"] for r in page.get("objects", []))
assert sorted(manifest_ids) == sorted(seen)
print("as_pages (objects, manifest): ok")

# Versions and one object.
versions = coll.object_versions(two)["versions"]
assert versions == ["2026-03-01T00:00:00.000Z", "2026-03-02T00:00:00.000Z"], versions
obj = coll.get_object(two)["objects"]
assert len(obj) == 1 and obj[0]["modified"] == "2026-03-02T00:00:00.000Z"
print("versions and object by id: ok")

# Delete.
one = indicator(1)["id"]
coll.delete_object(one)
expect_http_error(404, coll.get_object, one)
assert one not in [o["id"] for o in coll.get_objects(limit=1000)["objects"]]
print("delete: ok")

# Error cases.
missing = Collection(root.url + "collections/00000000-0000-4000-8000-000000000000/",
                     user="analyst", password=analyst, collection_info={
                         "id": "x", "title": "x", "can_read": True, "can_write": True})
expect_http_error(404, missing.get_objects)
expect_http_error(401, Server(base + "/taxii2/").refresh)
expect_http_error(401, Server(base + "/taxii2/", user="x", password="wrong").refresh)
readonly = Collection(by_id[readonly_id].url, user="analyst", password=analyst)
try:
    readonly.add_objects({"objects": [indicator(9)]})
    raise AssertionError("the client let a read-only collection be written")
except AccessError:
    pass
forced = Collection(by_id[readonly_id].url, user="analyst", password=analyst, collection_info={
    "id": readonly_id, "title": "x", "can_read": True, "can_write": True})
expect_http_error(403, forced.add_objects, {"objects": [indicator(9)]})
print("error cases: ok")
print("ALL OK")
