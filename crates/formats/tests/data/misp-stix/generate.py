#!/usr/bin/env python3
"""Writes reference.json: what MISP's own converter, misp-stix (PyPI `misp-stix`,
version 2026.10.12), makes of every MISP event of the shared corpus, reduced to what
tests/misp_stix_coverage.rs compares: per event, the patterns of its indicators and the
SCO values of its observed data by STIX id, the number of objects per type, or the
error misp-stix stopped with.

    python3 -m venv /tmp/misp-stix && /tmp/misp-stix/bin/pip install misp-stix==2026.10.12
    /tmp/misp-stix/bin/python crates/formats/tests/data/misp-stix/generate.py ../shared/corpus
"""
import collections, glob, json, os, sys

from misp_stix_converter import MISPtoSTIX21Parser

corpus = sys.argv[1]
out = {}
files = sorted(glob.glob(f"{corpus}/misp/*.json") + glob.glob(f"{corpus}/misp/feed/*-*.json"))
for path in files:
    doc = json.load(open(path))
    events = doc["response"] if isinstance(doc, dict) and "response" in doc else [doc]
    for e in events:
        ev = e.get("Event", e)
        parser = MISPtoSTIX21Parser()
        entry = {"file": os.path.relpath(path, corpus)}
        try:
            parser.parse_misp_event({"Event": ev})
        except Exception as ex:  # misp-stix gives up on the whole event
            entry["error"] = f"{type(ex).__name__}: {ex}"
            out[ev["uuid"]] = entry
            continue
        objects = [json.loads(o.serialize()) if not isinstance(o, dict) else o
                   for o in parser.stix_objects]
        by_id = {o["id"]: o for o in objects}
        entry["types"] = dict(sorted(collections.Counter(o["type"] for o in objects).items()))
        entry["indicators"] = {o["id"]: o["pattern"] for o in objects
                               if o["type"] == "indicator" and o.get("pattern_type") == "stix"}
        observed = {}
        for o in objects:
            if o["type"] != "observed-data":
                continue
            values = set()
            for r in o.get("object_refs", []):
                s = by_id.get(r, {})
                for k in ("value", "name", "key", "number"):
                    if k in s:
                        values.add(str(s[k]))
                for h in s.get("hashes", {}).values():
                    values.add(h)
            observed[o["id"]] = sorted(values)
        entry["observed"] = observed
        out[ev["uuid"]] = entry
json.dump(out, open(os.path.join(os.path.dirname(__file__), "reference.json"), "w"),
          indent=1, sort_keys=True)
print(f"{len(out)} events")
