#!/usr/bin/env python3
"""tests/query_cases.py records|predicates - the differential suite's data

records: JSON lines for ig-record, over every collection the predicates
ask of and every kind of value: strings with unicode, escapes and NUL,
integers near 2^53, negative and fractional numbers, booleans, nulls,
missing fields, nested params, arrays of objects.
predicates: lines "COLLECTION<TAB>EXPRESSION", at least 300, fixed (the
random choices are seeded), over paths, comparisons with literals of
every kind, arithmetic, strings, has, length, any and all, and, or, not,
select, index plans, and expressions that fail on some records.
"""
import json
import random
import sys

BATCH = "01900000-0000-7000-8000-00000000000b"
GENS = ["01900000-0000-7000-8000-%012d" % i for i in range(1, 9)]
IMGS = ["01900000-0000-7000-8000-0000000000a%d" % i for i in range(1, 5)]
# what a record may hold (no NUL in a string, no integer past 2^53: the
# store refuses both), then what only a predicate's literal has
STRINGS = ["", "a", "map", "Map", "é", "ü über", "日本の地図", "😀 grin", 'say "hi"', "back\\slash",
           "tab\there", "line\nbreak", "ruined watchtower, torchlight", "zzz", "1024x1024", "nul"]
NUMBERS = [0, 1, -1, 7, 7.5, -3.25, 1e-9, 123456789, 9007199254740991, 9007199254740992,
           -9007199254740991, 1e300, 1000007, 0.1, 100]
ONLY_LITERALS = [9007199254740993, -9007199254740993, 2 ** 60, "nul\u0000byte"]


def records():
    out = [{"collection": "batches", "id": BATCH, "name": "b", "jobs_json": [{"prompt": "p", "output_path": "o.png"}]}]
    statuses = ["queued", "queued", "running", "done", "error", "queued", "done", "error"]
    for i, g in enumerate(GENS):
        r = {"collection": "generations", "id": g, "prompt": STRINGS[i + 3], "output_path": "maps/%d.png" % i,
             "batch_id": BATCH, "status": statuses[i], "params": {"seed": NUMBERS[i], "size": "1024x1024" if i % 2 else "512x512"}}
        if i % 3 == 0:
            r["cost_usd"] = [0.039, 0, 0.134][i % 3 if i % 3 < 3 else 0] + i / 100
        out.append(r)
    rnd = random.Random(3)
    for i in range(40):
        params = {"size": rnd.choice(["1024x1024", "512x512", "2048x2048"]), "n": rnd.choice(NUMBERS + ["7", None, True]),
                  "flags": rnd.choice([True, False, None]), "list": rnd.choice([[], [1, 2, 3], ["a", "b"], [None, False], [0]]),
                  "nested": {"deep": rnd.choice(STRINGS + [None]), "k": i}}
        if i % 5 == 0:
            del params["n"]
        if i % 7 == 0:
            params = {}
        r = {"collection": "metadata", "generation_id": GENS[i % len(GENS)], "prompt": STRINGS[i % len(STRINGS)],
             "model": rnd.choice(["gemini-2.5-flash-image", "gemini-3-pro-image-preview", "gpt-image-1"]),
             "timestamp": "2026-01-%02dT03:04:05Z" % (i % 28 + 1), "params": params}
        if i % 4:
            r["seed"] = NUMBERS[i % len(NUMBERS)] if isinstance(NUMBERS[i % len(NUMBERS)], int) else i
        if i % 3 == 0:
            r["references"] = [{"role": rnd.choice(["style", "object", "character"]), "sha256": "%064x" % (i * 7 + j)} for j in range(i % 4)]
        if i % 6 == 1:
            r["cost_usd"] = rnd.choice([0.039, 0.134, 0.0, 1.5])
        if i % 9 == 2:
            r["is_deleted"] = True
        out.append(r)
    for i, im in enumerate(IMGS):
        out.append({"collection": "images", "id": im, "path": "map%d.png" % i, "width": [64, 1024, 2048, 512][i],
                    "height": [32, 1024, 1024, 512][i], "size": 100 + i, "type": "map", "name": STRINGS[i + 5],
                    "review": ["keep", "reject", None, "keep"][i] if i != 2 else None, "generation_id": GENS[i]})
        out.append({"collection": "map_grids", "image_id": im, "enabled": i % 2 == 0, "size": [50, 70, 100, 35][i],
                    "opacity": [0.5, 1, 0.25, 0.125][i], "color": ["#000000", "#ffffff", "#ff0000", "#00ff00"][i]})
    themes = ["01900000-0000-7000-8000-0000000000c%d" % i for i in range(1, 5)]
    for i, name in enumerate(["fantasy", "scifi", "gothic", "é-theme"]):
        out.append({"collection": "themes", "id": themes[i], "name": name, "display_name": STRINGS[i + 6] or "x",
                    "config": {"k": i}, "variables": {}, "prompts": ["p"] * (i + 1), "styles": []})
        out.append({"collection": "theme_variations", "theme_id": themes[i], "name": "v%d" % i, "display_name": STRINGS[i],
                    "config_override": {"lights": i % 2 == 0}, "variable_override": {}})
        out.append({"collection": "style_presets", "name": "preset%d" % i, "display_name": STRINGS[i + 8], "category": ["map", "token"][i % 2],
                    "config": {"n": NUMBERS[i]}, "prompts": ["a", "b"][: i % 3], "compatibility": {"themes": [name]}})
        out.append({"collection": "theme_elements", "category": ["item", "scenery"][i % 2], "name": "e%d" % i,
                    "display_name": STRINGS[i + 2] or "x", "config": {}, "prompts": [], "compatibility": {}})
    for i, g in enumerate(GENS):
        out.append({"collection": "generation_tasks", "generation_id": g, "type": "generate", "params": {"try": i},
                    "status": ["pending", "running", "done", "error"][i % 4], "attempts": i % 3,
                    "last_error": ["", "blocked: SAFETY", None, "transport: timeout"][i % 4]})
    for i, im in enumerate(IMGS):
        out.append({"collection": "image_overlays", "image_id": im, "type": ["grid", "label"][i % 2], "name": "o%d" % i,
                    "data": {"cells": i * 10}, "style": {"opacity": [0.5, 1][i % 2]}})
    for r in out:
        r = {k: v for k, v in r.items() if v is not None or k in ("review",)}
        if r.get("review") is None:
            r.pop("review", None)
        print(json.dumps(r, ensure_ascii=i % 2 == 0))


def lit(v):
    return json.dumps(v, ensure_ascii=False)


def predicates():
    rnd = random.Random(17)
    cases = []
    literals = [None, False, True] + NUMBERS + STRINGS + ONLY_LITERALS
    fields = {
        "metadata": [".seed", ".prompt", ".cost_usd", ".params.size", ".params.n", ".params.flags", ".params.list",
                     ".missing", ".is_deleted", ".params.nested.deep", ".references", ".params", ".model"],
        "generations": [".status", ".prompt", ".cost_usd", ".params.seed", ".params.size", ".batch_id"],
        "images": [".width", ".height", ".review", ".name", ".size"],
        "map_grids": [".enabled", ".size", ".opacity", ".color"],
        "themes": [".name", ".display_name", ".prompts", ".config"],
        "batches": [".name", ".status", ".jobs_json"],
        "generation_tasks": [".status", ".attempts", ".last_error", ".params.try"],
        "image_overlays": [".type", ".data.cells", ".style.opacity"],
        "theme_variations": [".name", ".config_override.lights"],
        "style_presets": [".category", ".config.n", ".prompts"],
        "theme_elements": [".category", ".display_name"],
    }
    ops = ["==", "!=", "<", "<=", ">", ">="]
    for coll, fs in fields.items():
        for f in fs:
            for op in ops:
                for v in rnd.sample(literals, 1):
                    cases.append((coll, "%s %s %s" % (f, op, lit(v))))
    # the literal first
    for v in rnd.sample(literals, 8):
        cases.append(("metadata", "%s == .seed" % lit(v)))
        cases.append(("metadata", "%s < .prompt" % lit(v)))
    # arithmetic: numbers, nulls, strings (jq's), division by zero (jq's error)
    for e in [".seed % 1000 == 7", ".seed % 7 < 3", ".seed % 2 == 1", ".seed % -3 == -1", ".seed % 0 == 0",
              ".seed + 1 > 100", ".seed - 1 < 0", ".seed * 2 >= 14", ".seed / 2 == 3.5", ".seed / 0 > 1",
              ".cost_usd * 100 >= 4", ".cost_usd + .seed > 1", ".missing + 1 == 1", ".prompt + \"x\" == \"ax\"",
              ".params.n + 1 > 2", ".params.n % 3 == 1", ".params.n - 1 == 6", "1 + 2 == 3", ".seed % 1000 == 7 and .model == \"gpt-image-1\"",
              ".seed % 1e19 == 0", "-.seed < 0" if False else ".seed > -5", ".params.nested.k % 2 == 0"]:
        cases.append(("metadata", e))
    # strings
    for f in [".prompt", ".model", ".params.nested.deep", ".seed", ".params.n", ".missing"]:
        for fn in ["startswith", "endswith", "contains", "test"]:
            for v in ["", "a", "map", "é", "ruined", "1024", "t.w", "^r", "x(y"]:
                if rnd.random() < 0.22:
                    cases.append(("metadata", "%s | %s(%s)" % (f, fn, lit(v))))
    cases += [("metadata", '.prompt | contains("nul")'), ("metadata", '.prompt | test("grin")'),
              ("metadata", '.prompt | test("GRIN")'), ("metadata", '.prompt | contains("\\u0000")')]
    # has, length
    for e in ['has("seed")', 'has("references")', 'has("nope")', '.params | has("n")', '.params | has("size")',
              '.references | has(0)', '.references | has(2)', '.params.list | has(1)', '.seed | has("x")',
              '.prompt | length > 5', '.prompt | length == 0', '.params | length == 5', '.params.list | length >= 2',
              '.seed | length > 100', '.is_deleted | length == 0', '.missing | length == 0', '.references | length > 1',
              '(.prompt | length) < (.model | length)', '.params.nested.deep | length < 3']:
        cases.append(("metadata", e))
    # any, all, index, select, not, and, or
    for e in ['.references | any(.role == "style")', '.references | all(.role == "style")', '.params.list | any',
              '.params.list | all', '.params.list | any(. == 1)', '.params.list | all(. != null)', '.params | any',
              '.references | any(.sha256 | startswith("0"))', '.prompt | any', '.references[0].role == "object"',
              '.references[1].role == "style"', '.params.list[0] == 1', '.params.list[5] == null', '.prompt[0] == "a"',
              'select(.seed > 5)', 'select(.seed > 5) | .prompt == "map"', 'select(.params.flags)', '.params.flags | not',
              '.seed > 5 | not', '(.seed > 5) and (.cost_usd > 0)', '.seed > 5 or .cost_usd > 0', 'not', '.params.flags and .seed',
              '.params.flags or .missing', '.missing and error("no")', '.seed and .params.n', 'true', 'false', 'null', '.',
              '.params.nested', '.params.nested.deep', '.["model"] == "gpt-image-1"', '."model" == "gpt-image-1"',
              '.params["size"] == "512x512"', '.prompt.x == 1', '.seed.x == 1', '.params.list.x == 1',
              '.params.n == "7"', '.params.n == 7', '.seed == 9007199254740993', '.seed == 9007199254740992',
              '.seed < 9007199254740993', '.params.n > null', '.params.n < true', '.params.list > "z"', '.params.list < {}',
              '.params > []', '.params == {}', '.params.list == []', '.references == .references', '.seed == .seed',
              '.prompt == .model', '.prompt < .model', '.cost_usd >= 0.039', '.cost_usd == 0.134',
              '(.seed % 7) as $x | $x > 2', '.seed // 0 > 5', '.params | keys | length > 2', '[.seed] | length == 1',
              '.prompt | ascii_downcase == "map"', '.model | IN("gpt-image-1")']:
        cases.append(("metadata", e))
    # index plans: fixed fields, alone and in a conjunction
    for g in GENS[:4]:
        cases.append(("metadata", '.generation_id == "%s"' % g))
        cases.append(("metadata", '"%s" == .generation_id and .seed > 0' % g))
    for st in ["queued", "done", "error", "nope"]:
        cases.append(("generations", '.status == "%s"' % st))
        cases.append(("generations", '.batch_id == "%s" and .status == "%s"' % (BATCH, st)))
        cases.append(("generations", 'select(.status == "%s" and .batch_id == "%s")' % (st, BATCH)))
    cases += [("generations", '.batch_id == "%s"' % BATCH), ("generations", '.batch_id == "%s"' % BATCH.upper()),
              ("themes", '.name == "fantasy"'), ("themes", '.name == "é-theme"'), ("themes", '.name == "none"'),
              ("map_grids", '.image_id == "%s"' % IMGS[1]), ("images", '.generation_id == "%s"' % GENS[2]),
              ("images", '.sha256 == "x"'), ("metadata", '.seed == 7 and .generation_id == "%s"' % GENS[7])]
    # the key: an id as ig writes it, another spelling of it, none, not one
    cases += [("generations", '.id == "%s"' % GENS[1]), ("generations", '.id == "%s"' % GENS[1].upper()),
              ("generations", '"%s" == .id and .status == "queued"' % GENS[1]),
              ("generations", '.id == "%s" and .status == "done"' % GENS[1]),
              ("generations", '.id == "01900000-0000-7000-8000-999999999999"'), ("images", '.id == "%s"' % IMGS[0]),
              ("themes", '.id == "01900000-0000-7000-8000-0000000000c2"'), ("generations", '.id == "x"'),
              ("generations", '.id == 7')]
    for coll, e in cases:
        print("%s\t%s" % (coll, e))


if __name__ == "__main__":
    {"records": records, "predicates": predicates}[sys.argv[1]]()
