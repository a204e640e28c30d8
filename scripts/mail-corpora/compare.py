#!/usr/bin/env python3
"""Compare two dispositions runs (examples/dispositions output): BASE HEAD.

Lines are keyed by (path, profile, part). Prints every kind of change with its count and up to
three examples, then the lines whose accepted file kind changed (the acceptance criterion:
none, except issue 15's fixes). Exit 0 always; the reading is a person's job.
"""
import collections
import sys


def load(path):
    out = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) < 8:
                continue
            key = (cols[0], cols[1], cols[2])
            out[key] = (cols[3], cols[4], cols[5], cols[6], cols[7])
    return out


def show(v):
    return "absent" if v is None else f"{v[0]} {v[1]} {v[2]}".replace(" - ", " ")


def main():
    base, head = load(sys.argv[1]), load(sys.argv[2])
    messages = {k[0] for k in base} | {k[0] for k in head}
    changes = collections.defaultdict(list)
    kind_changes = []
    # Messages (per profile) for which head lists no part at all: refused from the header
    # section, before any body is decoded (issue 15: limits, From, authentication and routing
    # first). Their parts, listed by base, are one change, not one per part.
    head_parts = {(k[0], k[1]) for k in head if k[2] != "-"}
    for key in sorted(set(base) | set(head)):
        a, b = base.get(key), head.get(key)
        if a is not None and b is not None and a[:3] == b[:3]:
            continue
        level = "message" if key[2] == "-" else "part"
        if level == "part" and b is None and (key[0], key[1]) not in head_parts:
            level = "part (bodies not read: refused from the headers)"
        changes[(key[1], level, show(a), show(b))].append(key)
        if a and b and a[0] == "accepted" and b[0] == "accepted" and a[1] != b[1]:
            kind_changes.append((key, a, b))
    same = sum(1 for k in base if k in head and base[k][:3] == head[k][:3])
    print(f"messages: {len(messages)}; lines: base {len(base)}, head {len(head)}, unchanged {same}")
    for profile in ("open", "listed"):
        for level in ("message", "part", "part (bodies not read: refused from the headers)"):
            rows = [(k, v) for k, v in changes.items() if k[0] == profile and k[1] == level]
            if not rows:
                continue
            n = sum(len(v) for _, v in rows)
            print(f"\n[{profile}] {level} lines changed: {n}")
            for (_, _, a, b), keys in sorted(rows, key=lambda r: -len(r[1])):
                shown = keys if level == "part" and len(keys) <= 8 else keys[:3]
                ex = ", ".join(k[0] if level == "message" else f"{k[0]}#{k[2]}" for k in shown)
                print(f"  {len(keys):5}  {a:45} -> {b:45}  e.g. {ex}")
    print(f"\ncollected files whose kind changed: {len(kind_changes)}")
    for key, a, b in kind_changes:
        print(f"  {key[0]}#{key[2]} [{key[1]}]: {a[1]} -> {b[1]}")
    lost = [(k, v) for k, v in base.items() if v[0] == "accepted" and k[2] != "-"
            and (head.get(k) or ("absent",))[0] != "accepted"]
    print(f"collected files no longer collected: {len(lost)}")
    for key, a in lost:
        print(f"  {key[0]}#{key[2]} [{key[1]}]: {a[1]} -> {show(head.get(key))}")
    new = [(k, v) for k, v in head.items() if v[0] == "accepted" and k[2] != "-"
           and (base.get(k) or ("absent",))[0] != "accepted"]
    print(f"files collected now and not before: {len(new)}")
    for key, b in new:
        print(f"  {key[0]}#{key[2]} [{key[1]}]: {show(base.get(key))} -> {b[1]}")


if __name__ == "__main__":
    main()
