#!/usr/bin/python3
"""Differential oracle: computes what Alembic 1.8.1 plans for a batch of cases.

Usage: alembic_oracle.py CASES.json  (prints one JSON document on stdout)

CASES.json: {"project": DIR (holds alembic.ini), "cases": [CASE, ...]}, or a batch
{"projects": [{"project": ..., "cases": ...}, ...]} answered as {"projects": [...]}; a CASE is
  {"cmd": "upgrade"|"downgrade"|"stamp"|"show"|"history", "current": [ids in table order],
   "target": str (stamp: list of str), "base"/"head": str (history)}

Nothing touches a database: the plans come from Alembic's own ScriptDirectory/RevisionMap
(_upgrade_revs, _downgrade_revs, _stamp_revs, get_revisions, walk_revisions), and the
version-table bookkeeping from Alembic's own HeadMaintainer.update_to_step, whose three SQL
primitives are replaced by recorders over a simulated alembic_version table.

Alembic is made deterministic where 1.8.1 is not (each patch below says why); retort
implements exactly the patched behaviour:
  1. version files are listed in file-name order (1.8.1 uses an unsorted os.listdir;
     later releases sort, and the order breaks ties between branches);
  2. Revision.nextrev/_all_nextrev iterate in load order (1.8.1: frozensets of str, whose
     order changes with PYTHONHASHSEED; it decides which node _add_branches starts its
     label walk from);
  3. _normalized_resolved_dependencies keeps depends_on order (1.8.1: tuple(set));
  4. RevisionStep.merge_branch_idents/_unmerge_to_revisions keep down_revision order
     (1.8.1: list(set), which picks which head is UPDATEd and which DELETEd/INSERTed), and
     _unmerge_to_revisions carries the fix for Alembic issue #1373 (PR #1376, 1.13): when
     unmerging, a target that is an ancestor of another target is not re-inserted.
"""
import json
import os
import sys
import warnings

from alembic import util
from alembic.config import Config
from alembic.runtime import migration
from alembic.script import ScriptDirectory
from alembic.script import base as script_base
from alembic.script import revision as rv

warnings.simplefilter("ignore")
sys.dont_write_bytecode = True  # many projects reuse file names; never trust a stale .pyc


# -- patch 1: sorted directory listing -------------------------------------------------
_real_listdir = os.listdir
script_base.os.listdir = lambda path: sorted(_real_listdir(path))


# RETORT_ORACLE_PLAIN=1 keeps only patch 1, to measure what the other patches change.
PLAIN = os.environ.get("RETORT_ORACLE_PLAIN") == "1"


# -- patch 2: ordered nextrev ----------------------------------------------------------
class OrderedFrozenSet(frozenset):
    """A frozenset that iterates in insertion order (union appends)."""

    def __new__(cls, items=()):
        order = list(dict.fromkeys(items))
        self = super().__new__(cls, order)
        self._order = order
        return self

    def __iter__(self):
        return iter(self._order)

    def union(self, *others):
        items = list(self._order)
        for other in others:
            items.extend(other)
        return OrderedFrozenSet(items)


if not PLAIN:
    rv.Revision.nextrev = OrderedFrozenSet()
    rv.Revision._all_nextrev = OrderedFrozenSet()


# -- patch 3: ordered normalized dependencies ------------------------------------------
def _normalize_depends_on(self, revisions, map_):
    for revision in revisions:
        if revision._resolved_dependencies:
            implied = set()
            for rev in self._get_ancestor_nodes(
                [revision], include_dependencies=False, map_=map_
            ):
                if rev is not revision and rev._resolved_dependencies:
                    implied.update(rev._resolved_dependencies)
            revision._normalized_resolved_dependencies = tuple(
                util.unique_list(
                    d for d in revision._resolved_dependencies if d not in implied
                )
            )
        else:
            revision._normalized_resolved_dependencies = ()


if not PLAIN:
    rv.RevisionMap._normalize_depends_on = _normalize_depends_on


# -- patch 4: ordered merge/unmerge identities, plus the #1373 fix ---------------------
def _ancestor_ids(step, ids):
    return {
        r.revision
        for r in step.revision_map._get_ancestor_nodes(
            step.revision_map.get_revisions(ids), check=False
        )
    }


def merge_branch_idents(self, heads):
    other_heads = set(heads).difference(self.from_revisions)
    if other_heads:
        ancestors = _ancestor_ids(self, other_heads)
        from_revisions = [r for r in self.from_revisions if r not in ancestors]
    else:
        from_revisions = list(self.from_revisions)
    return (from_revisions[0:-1], from_revisions[-1], self.to_revisions[0])


def _unmerge_to_revisions(self, heads):
    other_heads = set(heads).difference([self.revision.revision])
    if other_heads:
        ancestors = _ancestor_ids(self, other_heads)
    else:
        ancestors = {
            r.revision
            for to_revision in self.to_revisions
            for r in self.revision_map._get_ancestor_nodes(
                self.revision_map.get_revisions(to_revision), check=False
            )
            if r.revision != to_revision
        }
    return tuple(r for r in self.to_revisions if r not in ancestors)


if not PLAIN:
    migration.RevisionStep.merge_branch_idents = merge_branch_idents
    migration.RevisionStep._unmerge_to_revisions = _unmerge_to_revisions


# -- version table simulation ----------------------------------------------------------
class RecordingHeadMaintainer(migration.HeadMaintainer):
    """Alembic's HeadMaintainer; the three SQL primitives are recorded, not executed.

    The bodies keep Alembic's own bookkeeping (asserts, set updates) and its online-mode
    rowcount check, against a simulated table (a list of rows in insertion order).
    """

    def __init__(self, heads):
        super().__init__(None, heads)
        self.rows = list(heads)
        self.ops = []

    def _insert_version(self, version):
        assert version not in self.heads
        self.heads.add(version)
        self.ops.append(["INSERT", version])
        self.rows.append(version)

    def _delete_version(self, version):
        self.heads.remove(version)
        self.ops.append(["DELETE", version])
        found = self.rows.count(version)
        if found != 1:
            raise util.CommandError(
                "Online migration expected to match one row when deleting "
                "'%s' in 'alembic_version'; %d found" % (version, found)
            )
        self.rows.remove(version)

    def _update_version(self, from_, to_):
        assert to_ not in self.heads
        self.heads.remove(from_)
        self.heads.add(to_)
        self.ops.append(["UPDATE", from_, to_])
        found = self.rows.count(from_)
        if found != 1:
            raise util.CommandError(
                "Online migration expected to match one row when updating "
                "'%s' to '%s' in 'alembic_version'; %d found" % (from_, to_, found)
            )
        self.rows[self.rows.index(from_)] = to_


# -- errors ----------------------------------------------------------------------------
def error_kind(exc):
    """Maps an exception to the category retort reports for the same situation."""
    cause = exc
    if isinstance(exc, util.CommandError) and isinstance(
        exc.__cause__, rv.RevisionError
    ):
        cause = exc.__cause__
    for cls, kind in (
        (rv.DependencyLoopDetected, "dependency_self_loop"),
        (rv.LoopDetected, "self_loop"),
        (rv.DependencyCycleDetected, "dependency_cycle"),
        (rv.CycleDetected, "cycle"),
        (rv.RangeNotAncestorError, "range"),
        (rv.MultipleHeads, "multiple_heads"),
        (rv.ResolutionError, "resolution"),
        (rv.RevisionError, "revision"),
        (util.CommandError, "command"),
    ):
        if isinstance(cause, cls):
            return kind
    # AssertionError, KeyError, IndexError, TypeError...: Alembic fails internally.
    return "crash"


def error_json(exc):
    return {"error": {"kind": error_kind(exc), "message": str(exc),
                      "type": type(exc).__name__}}


def rev_json(rev):
    if rev is None:
        return None
    if isinstance(rev, str):
        return rev  # the "base" marker _walk returns
    return rev.revision


# -- commands --------------------------------------------------------------------------
def step_json(step):
    if isinstance(step, migration.StampStep):
        return {"kind": "stamp", "from": list(step.from_), "to": list(step.to_),
                "upgrade": bool(step.is_upgrade), "branch_move": bool(step.branch_move)}
    return {"kind": "upgrade" if step.is_upgrade else "downgrade",
            "rev": step.revision.revision}


def run_steps(steps, current):
    maintainer = RecordingHeadMaintainer(current)
    out = {"steps": [step_json(s) for s in steps], "ops": maintainer.ops, "ops_per_step": []}
    try:
        for step in steps:
            before = len(maintainer.ops)
            maintainer.update_to_step(step)
            out["ops_per_step"].append(len(maintainer.ops) - before)
    except Exception as exc:  # the plan was computed; the bookkeeping failed
        out.update(error_json(exc))
        return out
    out["final"] = list(maintainer.rows)
    return out


def run_case(script, case):
    current = tuple(case.get("current", []))
    cmd = case["cmd"]
    if cmd == "upgrade":
        return run_steps(script._upgrade_revs(case["target"], current), current)
    if cmd == "downgrade":
        return run_steps(script._downgrade_revs(case["target"], current), current)
    if cmd == "stamp":
        targets = util.to_tuple(list(case["target"]))
        return run_steps(script._stamp_revs(targets, current), current)
    if cmd == "show":  # command.show: "current" is the table's rows
        target = case["target"]
        revs = script.get_revisions(current if target == "current" else target)
        return {"revisions": [rev_json(r) for r in revs]}
    if cmd == "history":  # command.history with a base:head range
        base, head = case.get("base"), case.get("head")
        if head == "current":  # _display_current_history substitutes one side
            head = current
        elif base == "current":
            base = current
        base, head = base or "base", head or "heads"  # then _display_history defaults
        return {"revisions": [s.revision for s in script.walk_revisions(base, head)]}
    raise ValueError("unknown command %r" % cmd)


def describe_map(script):
    rmap = script.revision_map
    revisions = {}
    for key, rev in rmap._revision_map.items():
        if rev is None or key != rev.revision:
            continue  # the None/() entries and branch-label keys
        revisions[rev.revision] = {
            "labels": sorted(rev.branch_labels),
            "normalized_down": list(rev._normalized_down_revisions),
        }
    return {"heads": list(rmap.heads), "real_heads": list(rmap._real_heads),
            "bases": list(rmap.bases), "real_bases": list(rmap._real_bases),
            "revisions": revisions}


def run_project(request):
    config = Config(os.path.join(request["project"], "alembic.ini"))
    script = ScriptDirectory.from_config(config)
    try:
        load = describe_map(script)
    except Exception as exc:
        return {"load": error_json(exc), "results": []}
    results = []
    for case in request["cases"]:
        try:
            results.append(run_case(script, case))
        except Exception as exc:
            results.append(error_json(exc))
    return {"load": load, "results": results}


def main():
    with open(sys.argv[1]) as f:
        request = json.load(f)
    if "projects" in request:  # a batch: one process for many graphs
        out = {"projects": [run_project(p) for p in request["projects"]]}
    else:
        out = run_project(request)
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
