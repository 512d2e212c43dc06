"""seed_worker.py's workflow as a `retort events work --exec` handler: one JSON event a line on
stdin ({"id", "data", "attempt", ...}), one JSON result a line on stdout (the task_context).
The same computation as the seed's `workflow(data)`, minus Celery, Redis and SQLAlchemy."""
import json
import sys


def workflow(data):
    ticket = data.get("ticket", {})
    return {"event": data.get("type"), "nodes": {"Classify": {"priority": ticket.get("priority"),
            "tier": ticket.get("customer", {}).get("tier"), "words": len(ticket.get("body", "").split())}},
            "metadata": {"worker": "retort-exec"}}


for line in sys.stdin:
    sys.stdout.write(json.dumps(workflow(json.loads(line)["data"])) + "\n")
    sys.stdout.flush()
