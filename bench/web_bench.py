#!/usr/bin/env python3
"""Web interface benchmark helper (used by bench/web).

  web_bench.py generate DIR N      writes N STIX objects as bundles DIR/part-*.json
  web_bench.py serverlog LOG ROUNDS
                                   per page, the server's own time from its request log
                                   (tower-http's `latency=N ms` lines, whole milliseconds)
  web_bench.py measure URL USER PASSWORD ROUNDS
                                   signs in, requests every page ROUNDS times and prints
                                   per-page time (p50, p99, max, in ms, measured by the
                                   client on loopback: server time plus loopback transfer)
                                   and bytes of HTML.

The objects: indicators (IPv4 and domain patterns, names with a malware family), IPv4 and
domain SCOs, malware, campaigns named in Chinese, Arabic, Russian, French and Spanish,
relationships and reports; TLP mix CLEAR/unmarked 30 %, GREEN 40 %, AMBER 20 %, RED 10 %;
ten identities as sources. Deterministic (seeded).
"""

import http.client
import json
import os
import random
import re
import sys
import time
import urllib.parse
import uuid

TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
FAMILIES = ["Emotet", "TrickBot", "QakBot", "Cobalt Strike", "PlugX", "ShadowPad", "Lazarus",
            "APT28", "APT41", "Turla", "Sandworm", "FIN7", "IcedID", "Ryuk", "LockBit"]
WORDS = ("phishing campaign targeting banks using malicious attachments and credential "
         "harvesting infrastructure command control beacon lateral movement exfiltration "
         "ransomware loader dropper persistence registry scheduled task").split()
NAMES = ["针对银行的钓鱼攻击活动", "勒索软件攻击", "حملة تصيد احتيالي ضد البنوك", "برمجية فدية",
         "Фишинговая кампания против банков", "Программа-вымогатель",
         "Campagne d'hameçonnage ciblée", "Campaña de suplantación de identidad"]


def ts(rng):
    return "20%02d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (
        rng.randint(18, 25), rng.randint(1, 12), rng.randint(1, 28),
        rng.randint(0, 23), rng.randint(0, 59), rng.randint(0, 59), rng.randint(0, 999))


def uid(rng, ty):
    return "%s--%s" % (ty, uuid.UUID(int=rng.getrandbits(128), version=4))


def marking(rng):
    r = rng.random()
    if r < 0.15:
        return None
    if r < 0.30:
        return [TLP["clear"]]
    if r < 0.70:
        return [TLP["green"]]
    if r < 0.90:
        return [TLP["amber"]]
    return [TLP["red"]]


def generate(out_dir, n):
    rng = random.Random(20261122)
    os.makedirs(out_dir, exist_ok=True)
    identities = []
    for i in range(10):
        t = ts(rng)
        identities.append({"type": "identity", "spec_version": "2.1", "id": uid(rng, "identity"),
                           "created": t, "modified": t, "name": "CERT source %d" % i,
                           "identity_class": "organization"})
    objects = list(identities)
    ids = []
    part = 0

    def flush():
        nonlocal objects, part
        if not objects:
            return
        with open(os.path.join(out_dir, "part-%04d.json" % part), "w") as f:
            json.dump({"type": "bundle", "id": uid(rng, "bundle"), "objects": objects}, f,
                      ensure_ascii=False)
        part += 1
        objects = []

    made = len(objects)
    while made < n:
        roll = rng.random()
        t = ts(rng)
        src = rng.choice(identities)["id"]
        if roll < 0.35:
            if rng.random() < 0.5:
                ip = "%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))
                pattern = "[ipv4-addr:value = '%s']" % ip
            else:
                pattern = "[domain-name:value = 'h%d.example%d.net']" % (rng.randint(0, 10**6), rng.randint(0, 999))
            o = {"type": "indicator", "spec_version": "2.1", "id": uid(rng, "indicator"),
                 "created": t, "modified": t, "valid_from": t, "pattern": pattern, "pattern_type": "stix",
                 "name": "%s %s" % (rng.choice(FAMILIES), " ".join(rng.choices(WORDS, k=3))),
                 "description": " ".join(rng.choices(WORDS, k=rng.randint(8, 30))),
                 "labels": [rng.choice(FAMILIES).lower().replace(" ", "-")],
                 "created_by_ref": src}
        elif roll < 0.65:
            if rng.random() < 0.5:
                o = {"type": "ipv4-addr", "spec_version": "2.1",
                     "value": "%d.%d.%d.%d" % (rng.randint(1, 223), rng.randint(0, 255), rng.randint(0, 255), rng.randint(1, 254))}
            else:
                o = {"type": "domain-name", "spec_version": "2.1",
                     "value": "d%d.example%d.org" % (rng.randint(0, 10**7), rng.randint(0, 999))}
            o["id"] = uid(rng, o["type"])
        elif roll < 0.70:
            o = {"type": "malware", "spec_version": "2.1", "id": uid(rng, "malware"), "created": t,
                 "modified": t, "name": "%s variant %d" % (rng.choice(FAMILIES), rng.randint(0, 9999)),
                 "is_family": False, "created_by_ref": src}
        elif roll < 0.75:
            o = {"type": "campaign", "spec_version": "2.1", "id": uid(rng, "campaign"), "created": t,
                 "modified": t, "name": "%s %d" % (rng.choice(NAMES), rng.randint(0, 99999)),
                 "created_by_ref": src}
        elif roll < 0.95 and len(ids) > 2:
            o = {"type": "relationship", "spec_version": "2.1", "id": uid(rng, "relationship"),
                 "created": t, "modified": t,
                 "relationship_type": rng.choice(["indicates", "related-to", "uses"]),
                 "source_ref": rng.choice(ids), "target_ref": rng.choice(ids)}
        elif len(ids) > 20:
            o = {"type": "report", "spec_version": "2.1", "id": uid(rng, "report"), "created": t,
                 "modified": t, "published": t,
                 "name": "%s activity report %d" % (rng.choice(FAMILIES), rng.randint(0, 9999)),
                 "description": " ".join(rng.choices(WORDS, k=60)),
                 "report_types": ["threat-report"], "object_refs": rng.sample(ids[-5000:], 8),
                 "created_by_ref": src}
        else:
            continue
        m = marking(rng)
        if m:
            o["object_marking_refs"] = m
        if o["type"] not in ("relationship", "report"):
            ids.append(o["id"])
            if len(ids) > 200000:
                ids = ids[-100000:]
        objects.append(o)
        made += 1
        if len(objects) >= 50000:
            flush()
    flush()
    print("generated %d objects in %d files" % (made, part))


class Client:
    def __init__(self, url):
        u = urllib.parse.urlparse(url)
        self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=1800)
        self.cookies = {}

    def request(self, method, path, body=None, ctype=None):
        headers = {"Accept": "text/html", "Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        if ctype:
            headers["Content-Type"] = ctype
        start = time.perf_counter()
        self.conn.request(method, path, body=body, headers=headers)
        res = self.conn.getresponse()
        data = res.read()
        elapsed = time.perf_counter() - start
        for k, v in res.getheaders():
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";")[0]
                if value and "Max-Age=0" not in v:
                    self.cookies[name] = value
                else:
                    self.cookies.pop(name, None)
        return res.status, res.getheader("Location"), data, elapsed


def csrf(html):
    m = re.search(r'name="csrf" value="([^"]*)"', html)
    return m.group(1) if m else ""


def pct(sorted_ms, p):
    if not sorted_ms:
        return 0.0
    k = min(len(sorted_ms) - 1, max(0, int(round(p / 100.0 * len(sorted_ms) + 0.5)) - 1))
    return sorted_ms[k]


def measure(url, user, password, rounds):
    c = Client(url)
    _, _, data, _ = c.request("GET", "/signin")
    form = urllib.parse.urlencode({"csrf": csrf(data.decode()), "username": user,
                                   "password": password, "next": "/"})
    status, loc, _, _ = c.request("POST", "/signin", form, "application/x-www-form-urlencoded")
    assert status == 303, "sign-in failed: %s" % status

    # The first full-text search waits until the derived indexes hold the whole import.
    status, _, _, el = c.request("GET", "/objects?q=warmup")
    print("first search (derived indexes catch up with the import, %s): %.1f s" % (status, el))

    # Pick an object with relationships and a cursor from the pages themselves.
    _, _, page, _ = c.request("GET", "/objects?type=report")
    report = re.search(r'href="(/objects/report--[^"]+)"', page.decode()).group(1)
    _, _, page, _ = c.request("GET", "/objects?type=indicator")
    indicator = re.search(r'href="(/objects/indicator--[^"]+)"', page.decode()).group(1)
    nxt = re.search(r'href="([^"]+)" rel="next"', page.decode()).group(1).replace("&amp;", "&")
    _, _, page, _ = c.request("GET", nxt)
    deep = nxt
    for _ in range(20):  # 20 pages deep
        m = re.search(r'href="([^"]+)" rel="next"', page.decode())
        if not m:
            break
        deep = m.group(1).replace("&amp;", "&")
        _, _, page, _ = c.request("GET", deep)

    # An import job (a small bundle through the import form), for its page.
    _, _, page, _ = c.request("GET", "/import")
    boundary = "----concordbench"
    bundle = json.dumps({"type": "bundle", "id": "bundle--" + str(uuid.uuid4()), "objects": [{
        "type": "malware", "spec_version": "2.1", "id": "malware--" + str(uuid.uuid4()),
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "name": "bench import job", "is_family": True}]})
    body = ("--%s\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n%s\r\n"
            "--%s\r\nContent-Disposition: form-data; name=\"file\"; filename=\"bench.json\"\r\n"
            "Content-Type: application/json\r\n\r\n%s\r\n--%s--\r\n"
            % (boundary, csrf(page.decode()), boundary, bundle, boundary)).encode()
    status, job, _, _ = c.request("POST", "/import", body,
                                  "multipart/form-data; boundary=" + boundary)
    assert status == 303 and job.startswith("/import/jobs/"), "import job not started: %s" % status
    for _ in range(600):
        if b'http-equiv="refresh"' not in c.request("GET", job)[2]:
            break
        time.sleep(0.1)

    t0 = time.perf_counter()
    status, _, _, cold = c.request("GET", "/")
    print("dashboard first request (cold count cache, %s): %.0f ms" % (status, cold * 1000))
    time.sleep(0.2)
    pages = [
        ("dashboard", "/"),
        ("browse", "/objects"),
        ("browse page 2", nxt),
        ("browse page 22", deep),
        ("browse type", "/objects?type=malware"),
        ("browse tlp amber", "/objects?tlp=amber"),
        ("browse label", "/objects?label=emotet"),
        ("browse source+type", None),
        ("browse added today", "/objects?from=%s" % time.strftime("%Y-%m-%d", time.gmtime())),
        ("search word", "/objects?q=" + urllib.parse.quote("phishing")),
        ("search rare", "/objects?q=" + urllib.parse.quote("Sandworm exfiltration beacon")),
        ("search zh", "/objects?q=" + urllib.parse.quote("钓鱼")),
        ("search ar", "/objects?q=" + urllib.parse.quote("تصيد")),
        ("search ru", "/objects?q=" + urllib.parse.quote("Фишинговая")),
        ("object indicator", indicator),
        ("object report", report),
        ("graph report", report + "/graph"),
        ("import form", "/import"),
        ("import job (done)", job),
        ("matching form", "/matching"),
        ("notifications", "/notifications"),
        ("account", "/account"),
        ("admin", "/admin"),
        ("peers and audit", "/peers"),
        ("incidents", "/incidents"),
        ("object identity", None),
        ("signin (anonymous)", None),
    ]
    src = re.search(r'(identity--[0-9a-f-]{36})', c.request("GET", report)[2].decode())
    results = []
    for name, path in pages:
        if name == "browse source+type":
            if not src:
                continue
            path = "/objects?type=indicator&source=" + src.group(1)
        if name == "object identity":
            if not src:
                continue
            path = "/objects/" + src.group(1)
        client = c
        if name == "signin (anonymous)":
            client = Client(url)
            path = "/signin"
        times = []
        size = 0
        status = 0
        # One request first, not counted (the server log's measured rounds are the last
        # ones too): a term's first search reads its index pages from the OS cache.
        client.request("GET", path)
        for _ in range(rounds):
            status, _, data, el = client.request("GET", path)
            times.append(el * 1000)
            size = len(data)
        times.sort()
        results.append((name, status, pct(times, 50), pct(times, 99), times[-1], size))
    print("%-22s %6s %9s %9s %9s %9s" % ("page", "status", "p50 ms", "p99 ms", "max ms", "bytes"))
    worst = 0.0
    heaviest = 0
    for name, status, p50, p99, mx, size in results:
        print("%-22s %6s %9.1f %9.1f %9.1f %9d" % (name, status, p50, p99, mx, size))
        worst = max(worst, p99)
        heaviest = max(heaviest, size)
    print("worst p99: %.1f ms (goal < 50 ms); heaviest page: %d bytes HTML + %d bytes CSS "
          "+ %d bytes JS (goal < 200 KB)" % (worst, heaviest, len(c.request("GET", "/assets/style.css")[2]),
                                            len(c.request("GET", "/assets/concord.js")[2])))
    print("measured in %.0f s, %d rounds per page" % (time.perf_counter() - t0, rounds))


def firstdash(url, user, password):
    """The first dashboard request after the server (re)started."""
    c = Client(url)
    _, _, data, _ = c.request("GET", "/signin")
    form = urllib.parse.urlencode({"csrf": csrf(data.decode()), "username": user,
                                   "password": password, "next": "/"})
    c.request("POST", "/signin", form, "application/x-www-form-urlencoded")
    status, _, _, el = c.request("GET", "/")
    print("dashboard first request after a restart (%s): %.0f ms" % (status, el * 1000))


def serverlog(log, rounds):
    pat = re.compile(r"uri=(\S+) version=.*latency=(\d+) ms status=(\d+)")
    by_uri = {}
    for line in open(log, encoding="utf-8", errors="replace"):
        m = pat.search(line)
        if m:
            by_uri.setdefault(m.group(1), []).append(int(m.group(2)))
    print("server time per page (from the request log; pages requested %d times):" % rounds)
    print("%-70s %6s %7s %7s %7s" % ("uri", "count", "p50", "p99", "max"))
    worst = 0
    for uri, ms in sorted(by_uri.items(), key=lambda kv: -pct(sorted(kv[1]), 99)):
        if len(ms) < rounds or uri.startswith("/assets"):
            continue
        # The measured rounds are the last ones (earlier requests warmed up or picked
        # the pages to measure).
        ms = sorted(ms[-rounds:])
        worst = max(worst, pct(ms, 99))
        print("%-70s %6d %7d %7d %7d" % (uri[:70], len(ms), pct(ms, 50), pct(ms, 99), ms[-1]))
    print("worst server-side p99: %d ms (goal < 50 ms)" % worst)


if __name__ == "__main__":
    if sys.argv[1] == "serverlog":
        serverlog(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]))
    elif sys.argv[1] == "firstdash":
        firstdash(sys.argv[2], sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "measure":
        measure(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(__doc__)
