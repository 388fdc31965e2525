#!/usr/bin/env python3
"""Writes the demo task: short made-up review sentences whose label is decided by one adjective.

Everything here is generated (no external data): positive or negative adjectives dropped into a few sentence
templates. The label is a deterministic function of the adjective, so a soft prompt can learn it even on a
frozen model with random weights. Run: python3 make_data.py  (writes train.jsonl and dev.jsonl next to it).
"""
import json
import pathlib
import random

POSITIVE = ["great", "superb", "wonderful", "lovely", "brilliant", "charming", "delightful", "good"]
NEGATIVE = ["awful", "dull", "boring", "poor", "terrible", "clumsy", "bland", "bad"]
SUBJECTS = ["the film", "the plot", "the acting", "the story", "the cast", "the music", "the ending",
            "the script", "the pacing", "the dialogue"]
TEMPLATES = ["{s} was {a}", "{s} is {a}", "{s} felt {a}", "honestly, {s} was {a}", "i thought {s} was {a}",
             "{s} seemed {a} to me"]


def sentence(rng):
    positive = rng.random() < 0.5
    adjective = rng.choice(POSITIVE if positive else NEGATIVE)
    text = rng.choice(TEMPLATES).format(s=rng.choice(SUBJECTS), a=adjective)
    return {"input": text, "target": "positive" if positive else "negative"}


def write(path, records):
    with open(path, "w", encoding="utf-8") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")


def main():
    here = pathlib.Path(__file__).resolve().parent
    rng = random.Random(20210418)
    seen = set()
    records = []
    while len(records) < 600:
        r = sentence(rng)
        if r["input"] not in seen:
            seen.add(r["input"])
            records.append(r)
    write(here / "train.jsonl", records[:480])
    write(here / "dev.jsonl", records[480:])


if __name__ == "__main__":
    main()
