#!/usr/bin/env python3
"""Python `email` doing the same work as mail::intake on the bench mail: parse, walk every part,
decode attachments, SHA-256 them, check the PDF magic. Usage: bench_email.py /tmp/bench-25mb.eml"""
import email
import email.policy
import hashlib
import resource
import sys
import time

ITERATIONS = 5


def intake(raw: bytes) -> int:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    docs = 0
    for part in msg.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        if name is None:
            continue
        data = part.get_payload(decode=True) or b""
        hashlib.sha256(data).hexdigest()
        if b"%PDF-" in data[:1024]:
            docs += 1
    return docs


def main() -> None:
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/bench-25mb.eml"
    with open(path, "rb") as f:
        raw = f.read()
    times = []
    docs = 0
    for _ in range(ITERATIONS):
        t = time.perf_counter()
        docs = intake(raw)
        times.append(time.perf_counter() - t)
    times.sort()
    median = times[len(times) // 2]
    mb = len(raw) / 1_000_000
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"python email: {mb:.1f} MB mail, {docs} documents, median {median*1000:.1f} ms over "
          f"{ITERATIONS} runs, {mb/median:.0f} MB/s, peak RSS {peak} KiB ({sys.version.split()[0]})")


if __name__ == "__main__":
    main()
