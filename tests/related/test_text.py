"""Signatures: stop words, stemming, field weights and term ids that every process agrees on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from newsdesk.related.text import signature, term_id, words

FLOOD = {
    "title": "Kelbridge flood barrier scheme approved",
    "dek": "The River Avenmore will get a tidal barrier.",
    "body": "Homes in Kelbridge were flooded twice; the barrier protects riverside homes.",
    "topics": ["Environment"],
    "authors": ["Maya Okafor"],
}

_CHILD = """
import json, sys
from newsdesk.related.text import signature
sig = signature(**json.loads(sys.argv[1]))
print(json.dumps({"terms": sig.terms, "weights": sig.weights}))
"""


def test_stop_words_and_short_words_are_dropped() -> None:
    assert words("The council and the people of it") == ["council", "peopl"]
    assert words("It is what it was, and so on") == []


def test_inflections_meet_on_one_stem() -> None:
    # "flooding", "floods" and "flooded" are one subject for a reader; so for the engine.
    assert len(set(words("flooding floods flooded flood"))) == 1
    assert set(words("Hospitals")) == set(words("hospital"))
    # Possessives and curly apostrophes: "Aldhelm's" and "Aldhelm’s" are Aldhelm.
    assert words("St Aldhelm's") == words("St Aldhelm’s") == words("Aldhelm")


def test_digits_and_punctuation_are_not_words() -> None:
    assert words("2019: £12m -- A&E!!!") == []


def test_a_signature_has_sorted_unique_terms_and_positive_weights() -> None:
    sig = signature(**FLOOD)
    assert sig.terms == sorted(set(sig.terms))
    assert len(sig.terms) == len(sig.weights)
    assert all(weight > 0 for weight in sig.weights)


def test_the_headline_outweighs_one_body_mention() -> None:
    in_title = signature(title="Barrier approved", dek="", body="Council news today.")
    in_body = signature(title="Council news today", dek="", body="Barrier approved.")
    barrier = term_id(words("barrier")[0])
    weight_in_title = dict(zip(in_title.terms, in_title.weights, strict=True))[barrier]
    weight_in_body = dict(zip(in_body.terms, in_body.weights, strict=True))[barrier]
    assert weight_in_title > weight_in_body


def test_topics_and_authors_are_terms_of_their_own() -> None:
    plain = signature(title=FLOOD["title"], dek=FLOOD["dek"], body=FLOOD["body"])
    tagged = signature(**FLOOD)
    extra = set(tagged.terms) - set(plain.terms)
    assert extra == {term_id("topic:environment"), term_id("author:maya okafor")}
    # A topic named like a word does not collide with the word.
    assert term_id("topic:flood") not in set(plain.terms)


def test_term_ids_are_the_same_in_another_process() -> None:
    # Python's str hash changes per process (PYTHONHASHSEED); CRC-32 ids must not, because
    # signatures are stored by one process and compared by another.
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    src = str(Path(__file__).resolve().parents[2] / "src")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [src, env.get("PYTHONPATH", "")]))
    result = subprocess.run(
        [sys.executable, "-c", _CHILD, json.dumps(FLOOD)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    other = json.loads(result.stdout)
    here = signature(**FLOOD)
    assert other["terms"] == here.terms
    assert other["weights"] == here.weights
