#!/usr/bin/env python3
"""Generates a MISP feed directory (manifest.json, one file per event, hashes.csv) of
ATTRIBUTES attributes in events of PER_EVENT, or with --single FILE one `response`
document holding all events. Values are synthetic (documentation ranges, .example)."""
import hashlib, json, os, sys, uuid

def events(total, per_event):
    n = 0
    e = 0
    types = ["ip-dst", "domain", "url", "md5", "sha256", "filename|sha1", "ip-src", "hostname", "text", "email-src"]
    while n < total:
        e += 1
        attrs = []
        for i in range(min(per_event, total - n)):
            k = n + i
            t = types[k % len(types)]
            if t in ("ip-dst", "ip-src"):
                v = f"198.{18 + (k >> 16) % 2}.{(k >> 8) & 255}.{k & 255}"
            elif t in ("domain", "hostname"):
                v = f"host{k}.bench.example"
            elif t == "url":
                v = f"http://host{k}.bench.example/p/{k}"
            elif t == "md5":
                v = hashlib.md5(str(k).encode()).hexdigest()
            elif t == "sha256":
                v = hashlib.sha256(str(k).encode()).hexdigest()
            elif t == "filename|sha1":
                v = f"file{k}.exe|" + hashlib.sha1(str(k).encode()).hexdigest()
            elif t == "email-src":
                v = f"sender{k}@bench.example"
            else:
                v = f"analyst note {k}"
            attrs.append({"uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"a{k}")), "type": t,
                          "category": "Network activity", "value": v, "to_ids": t != "text" and k % 3 != 0,
                          "timestamp": str(1700000000 + k), "comment": "", "Tag": [{"name": "bench:generated"}] if k % 7 == 0 else []})
        n += len(attrs)
        yield {"Event": {"uuid": str(uuid.uuid5(uuid.NAMESPACE_URL, f"e{e}")), "info": f"Bench event {e}",
                         "date": "2023-11-14", "timestamp": str(1700000000 + e), "threat_level_id": "2",
                         "analysis": "2", "published": True, "distribution": "3",
                         "Orgc": {"name": "Bench CERT", "uuid": "5c6983c8-3af8-4304-869c-4800d6c1883c"},
                         "Tag": [{"name": "tlp:green"}], "Attribute": attrs}}

def main():
    args = sys.argv[1:]
    total, per_event = int(args[0]), int(args[1])
    if args[2] == "--single":
        with open(args[3], "w") as f:
            f.write('{"response": [')
            for i, ev in enumerate(events(total, per_event)):
                f.write(("," if i else "") + "\n" + json.dumps(ev))
            f.write("\n]}\n")
        return
    out = args[2]
    os.makedirs(out, exist_ok=True)
    manifest = {}
    with open(os.path.join(out, "hashes.csv"), "w") as h:
        for ev in events(total, per_event):
            e = ev["Event"]
            with open(os.path.join(out, e["uuid"] + ".json"), "w") as f:
                json.dump(ev, f)
            manifest[e["uuid"]] = {k: e[k] for k in ("info", "Orgc", "Tag", "timestamp", "date", "threat_level_id", "analysis")}
            for a in e["Attribute"]:
                for part in a["value"].split("|"):
                    h.write(hashlib.md5(part.encode()).hexdigest() + "," + e["uuid"] + "\n")
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump(manifest, f)

main()
