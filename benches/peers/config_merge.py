#!/usr/bin/env python3
"""Load a base config and an overlay, deep-merge them, validate, print.

The Python original that `cargo xtask bench --suite config` times
confmerge against: PyYAML's safe_load of both files, the classic
recursive deep_merge (maps merge, everything else is replaced), and
jsonschema's validate; the merged document is printed as JSON with sorted
keys and two-space indents, as `confmerge --format json` prints it.

usage: config_merge.py [--c-loader] BASE OVERLAY SCHEMA

--c-loader reads YAML with libyaml (yaml.CSafeLoader) instead of the
pure-Python loader that yaml.safe_load uses.
"""
import json
import sys

import jsonschema
import yaml


def deep_merge(base, overlay):
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            deep_merge(base[key], value)
        else:
            base[key] = value
    return base


def main(args):
    loader = yaml.SafeLoader
    if args and args[0] == "--c-loader":
        loader = yaml.CSafeLoader
        args = args[1:]
    if len(args) != 3:
        sys.exit(__doc__)
    base_path, overlay_path, schema_path = args
    with open(base_path, encoding="utf-8") as f:
        base = yaml.load(f, Loader=loader)
    with open(overlay_path, encoding="utf-8") as f:
        overlay = yaml.load(f, Loader=loader)
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    merged = deep_merge(base, overlay)
    jsonschema.validate(merged, schema)
    json.dump(merged, sys.stdout, sort_keys=True, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1:])
