#!/usr/bin/env python3
"""Pressure and soak benchmark helper (used by bench/pressure).

  pressure.py expensive URL TOKEN     one expensive request of each kind at a time; while
                                      it runs, /healthz and an ordinary page are timed
  pressure.py soak URL TOKEN PID SECS CLIENTS IDLE
                                      CLIENTS threads of reads, searches and single POSTs
                                      for SECS seconds; the server's resident memory
                                      (VmRSS of PID) and threads every 30 s, then IDLE
                                      seconds without load, memory every 10 s

Everything goes to 127.0.0.1 only. Figures are printed as text lines.
"""

import http.client
import json
import random
import socket
import sys
import threading
import time
import urllib.parse
import uuid


def split(url):
    u = urllib.parse.urlparse(url)
    return u.hostname, u.port


def request(url, token, method, path, body=None, ctype="application/json", timeout=120):
    host, port = split(url)
    c = http.client.HTTPConnection(host, port, timeout=timeout)
    headers = {"Authorization": "Bearer " + token, "Accept": "*/*"}
    if body is not None:
        headers["Content-Type"] = ctype
    t0 = time.monotonic()
    try:
        c.request(method, path, body=body, headers=headers)
        r = c.getresponse()
        data = r.read()
        return r.status, time.monotonic() - t0, data
    except Exception as e:  # noqa: BLE001 - a failed request is a figure too
        return 0, time.monotonic() - t0, str(e).encode()
    finally:
        c.close()


def rss(pid):
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    return int(fields["VmRSS"].split()[0]) // 1024, int(fields["Threads"])


def rss_parts(pid):
    """Anonymous and file-backed resident memory in MB (the readers map the database, so
    part of VmRSS is the kernel's page cache, given back whenever memory is needed)."""
    fields = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            fields[k] = v.strip()
    mb = lambda k: int(fields.get(k, "0 kB").split()[0]) // 1024
    return mb("RssAnon"), mb("RssFile")


def indicator(n, pattern):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--%s" % uuid.uuid4(),
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "name": "pressure %d" % n, "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z",
    }


def expensive_kinds():
    many_words = " ".join("w%02dx" % i for i in range(200))
    short_words = " ".join("a%d" % (i % 10) for i in range(200))
    tiny = json.dumps([{"type": "ipv4-addr", "value": "10.%d.%d.%d" % (i >> 16 & 255, i >> 8 & 255, i & 255)}
                       for i in range(200000)]).encode()
    huge_pattern = " OR ".join("[ipv4-addr:value = '10.0.%d.%d']" % (i >> 8 & 255, i & 255)
                               for i in range(20000))
    return [
        ("search of 200 words", "GET", "/api/v1/search?q=" + urllib.parse.quote(many_words), None),
        ("search of 200 short words", "GET", "/api/v1/search?q=" + urllib.parse.quote(short_words), None),
        ("200,000 tiny objects in one POST", "POST", "/api/v1/objects", tiny),
        ("a 20,000-comparison pattern", "POST", "/api/v1/objects",
         json.dumps(indicator(0, huge_pattern)).encode()),
    ]


def trickle(url, stop):
    """A connection that sends a header byte every second and never finishes."""
    host, port = split(url)
    s = socket.create_connection((host, port))
    s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
    n = 0
    while not stop.is_set():
        try:
            s.sendall(b"X-Slow-%d: y\r\n" % n)
        except OSError:
            return "closed by the server after %d s" % n
        n += 1
        time.sleep(1)
    return "still open after %d s" % n


def expensive(url, token):
    print("%-36s %8s %8s %10s %10s %10s" % ("expensive request", "status", "secs",
                                             "healthz p99", "page p99", "max"))
    for name, method, path, body in expensive_kinds():
        done = threading.Event()
        result = {}

        def run():
            result["r"] = request(url, token, method, path, body)
            done.set()

        t = threading.Thread(target=run)
        t.start()
        hz, page = [], []
        while not done.is_set():
            hz.append(request(url, token, "GET", "/healthz")[1])
            page.append(request(url, token, "GET", "/api/v1/objects?limit=20")[1])
            time.sleep(0.05)
        t.join()
        status, secs, _ = result["r"]
        p99 = lambda xs: sorted(xs)[max(0, int(len(xs) * 0.99) - 1)] * 1000 if xs else 0.0
        print("%-36s %8d %8.2f %8.1fms %8.1fms %8.1fms" % (
            name, status, secs, p99(hz), p99(page), max(hz + page + [0]) * 1000))
    stop = threading.Event()
    out = {}
    t = threading.Thread(target=lambda: out.setdefault("r", trickle(url, stop)))
    t.start()
    t.join(timeout=40)
    stop.set()
    t.join()
    print("trickling headers: %s" % out.get("r"))


def soak(url, token, pid, secs, clients, idle):
    stop = time.monotonic() + secs
    counts = {"n": 0, "err": 0}
    lock = threading.Lock()
    words = ["phishing", "campaign", "ransomware", "beacon", "Emotet", "钓鱼攻击", "برمجية"]

    def client(seed):
        rng = random.Random(seed)
        while time.monotonic() < stop:
            r = rng.random()
            if r < 0.5:
                s = request(url, token, "GET", "/api/v1/objects?limit=100&type=indicator")[0]
            elif r < 0.8:
                q = urllib.parse.quote(rng.choice(words))
                s = request(url, token, "GET", "/api/v1/search?q=" + q + "&limit=50")[0]
            else:
                body = json.dumps(indicator(rng.randrange(1 << 30),
                                            "[ipv4-addr:value = '10.9.%d.%d']" % (
                                                rng.randrange(256), rng.randrange(256)))).encode()
                s = request(url, token, "POST", "/api/v1/objects", body)[0]
            with lock:
                counts["n"] += 1
                counts["err"] += s >= 400 or s == 0

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    mem, th = rss(pid)
    print("%6s %10s %8s %10s %6s %9s %9s" % ("secs", "rss MB", "threads", "requests", "errors",
                                           "anon MB", "file MB"))
    print("%6d %10d %8d %10d %6d %9d %9d" % ((0, mem, th, 0, 0) + rss_parts(pid)))
    while time.monotonic() < stop:
        time.sleep(min(30, max(0, stop - time.monotonic())))
        mem, th = rss(pid)
        print("%6d %10d %8d %10d %6d %9d %9d" % (
            (time.monotonic() - t0, mem, th, counts["n"], counts["err"]) + rss_parts(pid)),
              flush=True)
    for t in threads:
        t.join()
    print("# idle")
    end = time.monotonic() + idle
    while time.monotonic() < end:
        time.sleep(10)
        mem, th = rss(pid)
        print("%6d %10d %8d %10s %6s %9d %9d" % ((time.monotonic() - t0, mem, th, "", "") +
                                               rss_parts(pid)), flush=True)


def main():
    cmd = sys.argv[1]
    if cmd == "expensive":
        expensive(sys.argv[2], sys.argv[3])
    elif cmd == "soak":
        soak(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6]),
             float(sys.argv[7]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
