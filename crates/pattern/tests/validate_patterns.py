"""Reads STIX patterns (one per line, UTF-8) from the file named by argv[1] and prints,
for each, `valid` or `invalid: <first error>` on one line, using the OASIS reference
validator stix2patterns (STIX 2.1).  Used by the differential tests of concord-pattern."""
import sys

from stix2patterns.validator import validate


def main():
    with open(sys.argv[1], encoding="utf-8", newline="\n") as f:
        lines = f.read().split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    out = []
    for line in lines:
        try:
            ok, errs = validate(line, stix_version="2.1", ret_errs=True)
            verdict = "valid" if ok else "invalid: " + (errs[0] if errs else "?")
        except Exception as e:  # the reference crashes on a few inputs
            verdict = "invalid: exception " + type(e).__name__ + ": " + str(e)
        out.append(verdict.replace("\n", " "))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))


if __name__ == "__main__":
    main()
