"""Concord's matcher against stix2-matcher on the same patterns and observations.

Generates (seed 20261122) 10,000 indicators and 10,000 STIX 2.1 observed-data objects in a
temp dir, runs Concord over all of them (crates/matcher/examples/speedup.rs, release
build), times stix2-matcher on a deterministic sample of the 10^8 pairs, projects its
full time, prints the speedup and checks that both agree on the sampled pairs and on every
pair Concord reports. Run through `bench/match-vs-stix2-matcher`.
"""

import argparse
import hashlib
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time

from stix2matcher.matcher import Pattern

SEED = 20261122
N_IND = 10_000
N_OBS = 10_000
HIT_RATE = 0.05
T0 = "2026-11-01T00:00:00.000Z"
NS = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"


def uid(rng):
    return "%08x-%04x-4%03x-%04x-%012x" % (
        rng.getrandbits(32),
        rng.getrandbits(16),
        rng.getrandbits(12),
        0x8000 | rng.getrandbits(14),
        rng.getrandbits(48),
    )


WORDS = "alpha bravo cobalt delta ember falcon garnet harbor indigo jasper krypton lumen " \
    "magnet nimbus onyx pixel quartz raven sable tundra umbra vertex willow xenon yonder zephyr".split()
TLDS = ["com", "net", "org", "io", "ru", "info", "biz", "xyz"]


def rand_ip(rng):
    return "%d.%d.%d.%d" % (rng.randint(1, 223), rng.randrange(256), rng.randrange(256), rng.randint(1, 254))


def rand_domain(rng):
    return "%s-%s%d.%s" % (rng.choice(WORDS), rng.choice(WORDS), rng.randrange(100000), rng.choice(TLDS))


def rand_url(rng):
    return "http://%s/%s/%s%d.php" % (rand_domain(rng), rng.choice(WORDS), rng.choice(WORDS), rng.randrange(10**6))


def rand_sha(rng):
    return hashlib.sha256(rng.getrandbits(64).to_bytes(8, "big")).hexdigest()


def rand_name(rng):
    return "%s_%d.exe" % (rng.choice(WORDS), rng.randrange(10**6))


def rand_cidr(rng):
    p = rng.choice([16, 20, 24, 24, 28])
    a = rng.getrandbits(32) & ~((1 << (32 - p)) - 1)
    a = (a & 0x00FFFFFF) | (rng.randint(1, 223) << 24)
    a &= ~((1 << (32 - p)) - 1)
    return "%d.%d.%d.%d/%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255, p)


# An indicator is kept as (pattern text, list of alternative "witnesses"): each witness is a
# list of SCOs that, together in one observed-data, satisfy the pattern.
def gen_indicator(rng):
    r = rng.random()
    if r < 0.25:
        v = rand_ip(rng)
        return "[ipv4-addr:value = '%s']" % v, [[{"type": "ipv4-addr", "value": v}]]
    if r < 0.50:
        v = rand_domain(rng)
        return "[domain-name:value = '%s']" % v, [[{"type": "domain-name", "value": v}]]
    if r < 0.65:
        v = rand_url(rng)
        return "[url:value = '%s']" % v, [[{"type": "url", "value": v}]]
    if r < 0.85:
        v = rand_sha(rng)
        return "[file:hashes.'SHA-256' = '%s']" % v, [[{"type": "file", "hashes": {"SHA-256": v}}]]
    if r < 0.90:  # AND on one file object
        h, n = rand_sha(rng), rand_name(rng)
        return (
            "[file:hashes.'SHA-256' = '%s' AND file:name = '%s']" % (h, n),
            [[{"type": "file", "name": n, "hashes": {"SHA-256": h}}]],
        )
    if r < 0.95:  # OR of two types
        ip, d = rand_ip(rng), rand_domain(rng)
        return (
            "[ipv4-addr:value = '%s' OR domain-name:value = '%s']" % (ip, d),
            [[{"type": "ipv4-addr", "value": ip}], [{"type": "domain-name", "value": d}]],
        )
    if r < 0.98:  # OR of two URLs
        a, b = rand_url(rng), rand_url(rng)
        return (
            "[url:value = '%s' OR url:value = '%s']" % (a, b),
            [[{"type": "url", "value": a}], [{"type": "url", "value": b}]],
        )
    c = rand_cidr(rng)
    net, p = c.split("/")
    base = sum(int(x) << (24 - 8 * i) for i, x in enumerate(net.split(".")))
    a = base + rng.randrange(1 << (32 - int(p)))
    ip = "%d.%d.%d.%d" % (a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255)
    return "[ipv4-addr:value ISSUBSET '%s']" % c, [[{"type": "ipv4-addr", "value": ip}]]


def noise_sco(rng):
    k = rng.randrange(5)
    if k == 0:
        return {"type": "ipv4-addr", "value": rand_ip(rng)}
    if k == 1:
        return {"type": "domain-name", "value": rand_domain(rng)}
    if k == 2:
        return {"type": "url", "value": rand_url(rng)}
    if k == 3:
        return {"type": "file", "name": rand_name(rng), "hashes": {"SHA-256": rand_sha(rng)}}
    return {"type": "file", "hashes": {"SHA-256": rand_sha(rng)}}


def generate(rng):
    indicators, witnesses = [], []
    for _ in range(N_IND):
        pat, wit = gen_indicator(rng)
        indicators.append({
            "type": "indicator", "spec_version": "2.1", "id": "indicator--" + uid(rng),
            "created": T0, "modified": T0, "valid_from": "2026-01-01T00:00:00Z",
            "pattern": pat, "pattern_type": "stix",
        })
        witnesses.append(wit)
    ods, scos, bundles, planted = [], [], [], []
    for _ in range(N_OBS):
        n = rng.randint(1, 3)
        objs = [noise_sco(rng) for _ in range(n)]
        if rng.random() < HIT_RATE:
            # Every witness here is one SCO; it takes the place of one noise SCO.
            hit = rng.randrange(N_IND)
            planted.append((hit, len(ods)))
            wit = rng.choice(witnesses[hit])
            objs[rng.randrange(n)] = dict(wit[0])
        mine = []
        for o in objs:
            o = dict(o, id="%s--%s" % (o["type"], uid(rng)), spec_version="2.1")
            mine.append(o)
        od = {
            "type": "observed-data", "spec_version": "2.1", "id": "observed-data--" + uid(rng),
            "created": T0, "modified": T0, "first_observed": T0, "last_observed": T0,
            "number_observed": 1, "object_refs": [o["id"] for o in mine],
        }
        ods.append(od)
        scos.extend(mine)
        bundles.append({"type": "bundle", "id": "bundle--" + uid(rng), "objects": [od] + mine})
    return indicators, ods, scos, bundles, planted


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return "nproc=%d, CPU: %s, load average at start: %s, Python %s" % (
        os.cpu_count(), model, " ".join("%.2f" % x for x in os.getloadavg()), platform.python_version())


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sample-indicators", type=int, default=N_IND,
                    help="stix2-matcher sample: the first K indicators ...")
    ap.add_argument("--sample-observed", type=int, default=100,
                    help="... against the first M observed-data (default 10,000 x 100)")
    ap.add_argument("--output", help="results file")
    args = ap.parse_args()
    lines = []

    def say(s=""):
        print(s, flush=True)
        lines.append(s)

    mach = machine()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commit = subprocess.run(["git", "-C", root, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    rng = random.Random(SEED)
    indicators, ods, scos, bundles, planted = generate(rng)
    with tempfile.TemporaryDirectory(prefix="concord-vs-stix2-") as tmp:
        ind_path = os.path.join(tmp, "indicators.json")
        obs_path = os.path.join(tmp, "observed.json")
        pairs_path = os.path.join(tmp, "pairs.txt")
        with open(ind_path, "w") as f:
            json.dump(indicators, f)
        with open(obs_path, "w") as f:
            json.dump({"type": "bundle", "id": "bundle--" + uid(rng), "objects": ods + scos}, f)
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "concord-matcher",
                        "--example", "speedup"], cwd=root, check=True)
        out = subprocess.run(
            ["cargo", "run", "--release", "-q", "-p", "concord-matcher", "--example", "speedup",
             "--", ind_path, obs_path, pairs_path],
            cwd=root, check=True, capture_output=True, text=True).stdout
        concord = json.loads(out.strip().splitlines()[-1])
        with open(pairs_path) as f:
            concord_pairs = {tuple(map(int, l.split())) for l in f if l.strip()}

    n_pairs = N_IND * N_OBS
    say("Concord matcher vs stix2-matcher 3.0.0, %s, commit %s" % (time.strftime("%Y-%m-%d"), commit))
    say("machine: " + mach)
    say("data: %d indicators x %d STIX 2.1 observed-data (1-3 SCOs each, ~%d%% carrying a "
        "value an indicator matches), seed %d" % (N_IND, N_OBS, HIT_RATE * 100, SEED))
    kinds = {}
    for ind in indicators:
        p = ind["pattern"]
        k = ("ISSUBSET" if "ISSUBSET" in p else "AND" if " AND " in p else "OR" if " OR " in p
             else p[1:p.index(" ")])
        kinds[k] = kinds.get(k, 0) + 1
    say("patterns: " + ", ".join("%s %d" % kv for kv in sorted(kinds.items(), key=lambda kv: -kv[1])))
    say()
    say("Concord (release, one thread, example crates/matcher/examples/speedup.rs): "
        "%.3f s total = read indicators %.3f + build index %.3f + read observed-data %.3f + match %.3f"
        % (concord["total_s"], concord["read_indicators_s"], concord["build_s"],
           concord["read_observed_s"], concord["match_s"]))
    say("  %d (indicator, observed-data) matches over %d pairs; %s"
        % (concord["matches"], n_pairs, concord["stats"]))

    # stix2-matcher: patterns compiled once, outside the timing (favours stix2-matcher).
    k, m = min(args.sample_indicators, N_IND), min(args.sample_observed, N_OBS)
    t = time.perf_counter()
    compiled = [Pattern(ind["pattern"], "2.1") for ind in indicators[:k]]
    t_compile = time.perf_counter() - t
    s2_pairs = set()
    t = time.perf_counter()
    for j in range(m):
        b = [bundles[j]]
        for i in range(k):
            if compiled[i].match(b):
                s2_pairs.add((i, j))
    t_sample = time.perf_counter() - t
    rate = k * m / t_sample
    projected = n_pairs / rate
    say()
    say("stix2-matcher (Pattern compiled once per indicator, then Pattern.match([bundle]) per pair):")
    say("  sample: first %d indicators x first %d observed-data = %d pairs in %.2f s = %.0f pairs/s"
        % (k, m, k * m, t_sample, rate))
    say("  (compiling those %d patterns took %.2f s more, not counted)" % (k, t_compile))
    say("  projected full run (10^8 pairs): %.0f s = %.1f h" % (projected, projected / 3600))
    say()
    say("SPEEDUP: %.0fx  (projected stix2-matcher %.0f s / Concord %.3f s total; %.0fx on "
        "matching time alone)" % (projected / concord["total_s"], projected, concord["total_s"],
                                  projected / concord["match_s"]))

    # Agreement on the sampled pairs.
    in_sample = {p for p in concord_pairs if p[0] < k and p[1] < m}
    agree = k * m - len(in_sample ^ s2_pairs)
    say()
    say("agreement on the sampled pairs: %d / %d (matches: stix2-matcher %d, Concord %d)"
        % (agree, k * m, len(s2_pairs), len(in_sample)))
    for p in sorted(in_sample ^ s2_pairs)[:20]:
        say("  DISAGREE %s: Concord %s, stix2-matcher %s | %s | %s" % (
            p, p in in_sample, p in s2_pairs, indicators[p[0]]["pattern"],
            json.dumps(bundles[p[1]]["objects"][1:])))
    # Every pair Concord reports, checked with stix2-matcher.
    t = time.perf_counter()
    confirmed = sum(1 for i, j in concord_pairs if Pattern(indicators[i]["pattern"], "2.1").match([bundles[j]]))
    say("every Concord match checked with stix2-matcher: %d / %d confirmed (%.1f s)"
        % (confirmed, len(concord_pairs), time.perf_counter() - t))
    bad = [p for p in sorted(concord_pairs)
           if not Pattern(indicators[p[0]]["pattern"], "2.1").match([bundles[p[1]]])] if confirmed != len(concord_pairs) else []
    for p in bad[:20]:
        say("  NOT CONFIRMED %s: %s | %s" % (p, indicators[p[0]]["pattern"], json.dumps(bundles[p[1]]["objects"][1:])))
    missed = [p for p in planted if p not in concord_pairs]
    say("planted hits (observed-data given a value of a chosen indicator) Concord found: %d / %d"
        % (len(planted) - len(missed), len(planted)))
    for p in missed[:20]:
        say("  MISSED %s: %s" % (p, indicators[p[0]]["pattern"]))
    say("load average at end: " + " ".join("%.2f" % x for x in os.getloadavg()))
    if args.output:
        with open(args.output, "w") as f:
            f.write("\n".join(lines) + "\n")
    ok = agree == k * m and confirmed == len(concord_pairs) and not missed
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
