"""The Tekton rules a CRD schema cannot express, checked on the project's Tasks and Pipelines.

Each rule is what Tekton's admission webhook or reconciler enforces (tektoncd/pipeline
@3ee1745a), sometimes stricter where a slip would only show at run time:

- Task variables: `$(params.X)` declared; `$(results.X.path)` declared (Tekton checks scripts
  only, `validateTaskResultsVariables`; here every step string); `$(context.taskRun.name|
  namespace|uid)` and `$(context.task.name|retry-count)` only (`validateTaskContextVariables`),
  so `$(context.pipelineRun.*)` in a Task is an error. pkg/apis/pipeline/v1/task_validation.go.
- Pipeline: no `runAfter` in `finally` (`validateFinalTasks`); result references name a task of
  `tasks` (`validateTaskResultReferenceInFinallyTasks`) and a result that task declares;
  `$(context.pipelineRun.name|namespace|uid)` only (`validatePipelineContextVariables`);
  `$(params.X)` declared. pkg/apis/pipeline/v1/pipeline_validation.go.
- Every parameter without a default is given (pkg/reconciler/taskrun/validate_taskrun.go
  `validateParams`: "missing values for these params which have no default values"), and,
  stricter, no parameter the task does not declare (a typo would be ignored silently).
- A git-resolver reference into this repository names a file that exists and holds that Task.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

#: Tekton's variable prefixes; anything else in `$(...)` is shell (command substitution).
VAR = re.compile(r"\$\(((?:params|results|context|tasks|workspaces|steps|finally)\.[^)]*)\)")
REPO_URL = "https://github.com/openshift/function-ephemeral-cluster"
TASK_CONTEXT = {"context.taskRun.name", "context.taskRun.namespace", "context.taskRun.uid"}
TASK_CONTEXT |= {"context.task.name", "context.task.retry-count"}
PIPELINE_CONTEXT = {
    "context.pipelineRun.name",
    "context.pipelineRun.namespace",
    "context.pipelineRun.uid",
    "context.pipeline.name",
}


def strings(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    """Every string inside `node`, with its path."""
    if isinstance(node, str):
        yield path, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from strings(value, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from strings(value, f"{path}[{i}]")


def _names(items: list[dict[str, Any]] | None) -> list[str]:
    return [i["name"] for i in items or []]


def _duplicates(names: list[str], what: str) -> list[str]:
    return [f"{what} {n!r} is declared twice" for n in sorted(set(names)) if names.count(n) > 1]


def task_spec_problems(spec: dict[str, Any], where: str = "spec") -> list[str]:
    """Variables in a Task's steps, volumes and sidecars that Tekton would not substitute."""
    params = set(_names(spec.get("params")))
    results = set(_names(spec.get("results")))
    problems = _duplicates(_names(spec.get("params")), "param")
    problems += _duplicates(_names(spec.get("results")), "result")
    problems += _duplicates(_names(spec.get("steps")), "step")
    if not spec.get("steps"):
        problems.append(f"{where}.steps: a Task needs at least one step")
    for key in ("steps", "volumes", "sidecars", "stepTemplate"):
        for path, text in strings(spec.get(key), f"{where}.{key}"):
            for var in VAR.findall(text):
                if var.startswith("params."):
                    ok = var.removeprefix("params.") in params
                elif var.startswith("results."):
                    name, _, tail = var.removeprefix("results.").partition(".")
                    ok = name in results and tail == "path"
                else:
                    ok = var in TASK_CONTEXT
                if not ok:
                    problems.append(f"{path}: $({var}) is not something a Task can refer to")
    return problems


def _git_ref_problems(task: dict[str, Any], root: Path) -> tuple[list[str], dict | None]:
    """The Task a git-resolver reference into this repository points at."""
    ref = task.get("taskRef") or {}
    if ref.get("resolver") != "git":
        return [], None
    values = {p["name"]: p["value"] for p in ref.get("params") or []}
    if values.get("url") != REPO_URL:
        return [], None
    path = root / values.get("pathInRepo", "")
    if not path.is_file():
        return [f"{task['name']}: pathInRepo {values.get('pathInRepo')!r} does not exist"], None
    return [], yaml.safe_load(path.read_text(encoding="utf-8"))


def pipeline_problems(pipeline: dict[str, Any], root: Path) -> list[str]:
    """Everything Tekton would reject (or silently ignore) in a Pipeline."""
    spec = pipeline["spec"]
    tasks, final = spec.get("tasks") or [], spec.get("finally") or []
    problems = _duplicates(_names(tasks) + _names(final), "pipeline task")
    declared_results: dict[str, set[str]] = {}
    task_specs: dict[str, dict[str, Any] | None] = {}
    for task in tasks + final:
        found, doc = _git_ref_problems(task, root)
        problems += found
        inline = task.get("taskSpec")
        task_specs[task["name"]] = inline if inline is not None else (doc or {}).get("spec")
        if inline is not None:
            problems += task_spec_problems(inline, f"{task['name']}.taskSpec")
    for task in tasks:
        declared_results[task["name"]] = set(
            _names((task_specs[task["name"]] or {}).get("results"))
        )
    pipeline_params = set(_names(spec.get("params")))
    for i, task in enumerate(final):
        if task.get("runAfter"):
            problems.append(f"finally[{i}] {task['name']}: no runAfter allowed under finally")
    for task in tasks + final:
        for after in task.get("runAfter") or []:
            if after not in declared_results:
                problems.append(f"{task['name']}: runAfter {after!r} is not a task of `tasks`")
        problems += _param_problems(
            task, task_specs[task["name"]], declared_results, pipeline_params
        )
    return problems


def _param_problems(
    task: dict[str, Any],
    spec: dict[str, Any] | None,
    results: dict[str, set[str]],
    pipeline_params: set[str],
) -> list[str]:
    name = task["name"]
    given = _names(task.get("params"))
    problems = _duplicates(given, f"{name}: param")
    if spec is not None:
        declared = {p["name"]: p for p in spec.get("params") or []}
        missing = sorted(n for n, p in declared.items() if "default" not in p and n not in given)
        problems += [f"{name}: param {n!r} has no default and is not given" for n in missing]
        problems += [
            f"{name}: param {n!r} is not declared by the task" for n in given if n not in declared
        ]
    for path, text in strings(task.get("params"), f"{name}.params"):
        for var in VAR.findall(text):
            if var.startswith("tasks."):
                ref = re.fullmatch(r"tasks\.([^.]+)\.results\.([^.\[]+)", var)
                if not ref or ref.group(1) not in results:
                    problems.append(f"{path}: $({var}) does not name a task of `tasks`")
                elif ref.group(2) not in results[ref.group(1)]:
                    problems.append(
                        f"{path}: task {ref.group(1)} declares no result {ref.group(2)}"
                    )
            elif var.startswith("params."):
                if var.removeprefix("params.") not in pipeline_params:
                    problems.append(f"{path}: $({var}) is not a Pipeline param")
            elif var not in PIPELINE_CONTEXT:
                problems.append(f"{path}: $({var}) is not something a Pipeline can refer to")
    return problems
