#!/usr/bin/env python3
"""An external scheduling policy for kubesim's ExternalPolicy plugin (docs/plugins.md).

Least pods: among the feasible nodes, the one running the fewest pods scores 100 and the one
running the most 0, linearly in between. Dependency-free Python 3.

Protocol (version 1): kubesim writes one JSON request per line on stdin, one per scheduling
cycle; we answer each with one JSON line on stdout:
  mode "score":  {"scores": {"<node>": <0..100>, ...}}   (every feasible node)
  mode "select": {"node": "<name>"}                      (one feasible node)
Anything else for a human goes to stderr. kubesim closes stdin at the end of the run.
"""

import json
import sys


def scores(request):
    """Node name -> 0..100: fewer pods, higher score."""
    pods = {node["name"]: node["requested"]["pods"] for node in request["nodes"]}
    low, high = min(pods.values()), max(pods.values())
    if high == low:
        return {name: 100 for name in pods}
    return {name: 100 * (high - count) // (high - low) for name, count in pods.items()}


def answer(request):
    if request.get("version") != 1:
        return {"error": "least_pods.py speaks protocol version 1, got %r" % request.get("version")}
    result = scores(request)
    if request["mode"] == "select":
        # The first node (in kubesim's order) among those with the best score.
        best = max(result.values())
        return {"node": next(name for name, s in result.items() if s == best)}
    return {"scores": result}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        print(json.dumps(answer(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
