"""Reads JSON lines {"pattern": str, "observations": [{"first_observed", "last_observed",
"number_observed", "objects": {id: sco}}]} from argv[1]; for each prints `match`,
`nomatch` or `error: ...`, using the OASIS stix2-matcher (STIX 2.1 mode, one bundle with
observed-data objects referring to their SCOs by object_refs)."""
import json
import sys

from stix2matcher.matcher import match


def bundle(observations):
    objects = []
    for i, o in enumerate(observations):
        objects.append({
            "type": "observed-data", "spec_version": "2.1",
            "id": "observed-data--00000000-0000-4000-8000-%012d" % i,
            "created": o["first_observed"], "modified": o["first_observed"],
            "first_observed": o["first_observed"], "last_observed": o["last_observed"],
            "number_observed": o["number_observed"], "object_refs": list(o["objects"].keys()),
        })
        for sco_id, sco in o["objects"].items():
            objects.append(dict(sco, id=sco_id))
    return {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": objects}


def main():
    out = []
    with open(sys.argv[1], encoding="utf-8") as f:
        for line in f:
            case = json.loads(line)
            try:
                found = match(case["pattern"], [bundle(case["observations"])], stix_version="2.1")
                out.append("match" if found else "nomatch")
            except Exception as e:  # reference errors (e.g. non-IPv4 value under ISSUBSET)
                out.append(("error: " + type(e).__name__ + ": " + str(e)).replace("\n", " "))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


if __name__ == "__main__":
    main()
