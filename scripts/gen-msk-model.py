#!/usr/bin/env python3
"""Generates crates/oxbow-control/src/model/kafka.rs from botocore's MSK service model.

Run from the repository root with the test venv: .venv/bin/python scripts/gen-msk-model.py
"""
import gzip
import json
import os

import botocore

MODEL = os.path.join(os.path.dirname(botocore.__file__), "data/kafka/2018-11-14/service-2.json.gz")
d = json.load(gzip.open(MODEL))
S = d["shapes"]
out = [
    "//! Generated from botocore's `kafka/2018-11-14/service-2.json` (Apache-2.0):",
    "//! every operation's HTTP binding and the input shapes used to validate",
    "//! request bodies (unknown fields, types, required members). Data, not code.",
    "//! Regenerate with `scripts/gen-msk-model.py`; do not edit by hand.",
    "",
    "use super::{Member, Op, Shape, ShapeKind};",
    "",
    "pub const OPS: &[Op] = &[",
]
needed = set()
for name, op in sorted(d["operations"].items()):
    h = op["http"]
    inp = op.get("input", {}).get("shape", "")
    out.append(f'    Op {{ name: "{name}", method: "{h["method"]}", uri: "{h["requestUri"]}", input: "{inp}" }},')
    if inp:
        needed.add(inp)
out += ["];", ""]
seen = {}
stack = list(needed)
while stack:
    n = stack.pop()
    if n in seen:
        continue
    s = S[n]
    seen[n] = s
    if s["type"] == "structure":
        stack += [v["shape"] for v in s["members"].values()]
    elif s["type"] == "list":
        stack.append(s["member"]["shape"])
    elif s["type"] == "map":
        stack.append(s["value"]["shape"])
out.append("pub const SHAPES: &[Shape] = &[")
for n in sorted(seen):
    s = seen[n]
    t = s["type"]
    if t == "structure":
        mem = []
        for m, v in s["members"].items():
            loc = v.get("location", "body")
            req = "true" if m in s.get("required", []) else "false"
            mem.append(
                f'Member {{ name: "{v.get("locationName", m)}", shape: "{v["shape"]}", location: "{loc}", required: {req} }}'
            )
        kind = "ShapeKind::Structure(&[\n        " + ",\n        ".join(mem) + ",\n    ])" if mem else "ShapeKind::Structure(&[])"
    elif t == "list":
        kind = f'ShapeKind::List("{s["member"]["shape"]}")'
    elif t == "map":
        kind = f'ShapeKind::Map("{s["value"]["shape"]}")'
    elif t == "string" and "enum" in s:
        kind = "ShapeKind::Enum(&[" + ", ".join(json.dumps(e) for e in s["enum"]) + "])"
    elif t in ("string", "timestamp"):
        kind = "ShapeKind::String"
    elif t in ("integer", "long"):
        kind = f'ShapeKind::Integer({s.get("min", "i64::MIN")}, {s.get("max", "i64::MAX")})'
    elif t == "double":
        kind = "ShapeKind::Number"
    elif t == "boolean":
        kind = "ShapeKind::Boolean"
    elif t == "blob":
        kind = "ShapeKind::Blob"
    else:
        raise SystemExit(f"unknown shape type {t}")
    out.append(f'    Shape {{ name: "{n}", kind: {kind} }},')
out.append("];")
open("crates/oxbow-control/src/model/kafka.rs", "w").write("\n".join(out) + "\n")
