"""What `xrd-gen follow` tells people: terminal lines, the pull request body, workflow outputs.

The body carries the verdict, every classified change (the same lines `xrd-gen diff` prints),
the fields not forwarded, the new fields that still need a description in the project's words,
and the schema diff; it stays under GitHub's 65,536-character limit for a pull request body by
shortening the diff, never the verdict.
"""

from __future__ import annotations

from pathlib import Path

from scripts.xrdgen import compat, sync
from scripts.xrdgen.follow import Outcome

BODY_LIMIT = 60_000  # GitHub refuses pull request bodies over 65,536 characters
LABEL = "xrd-breaking"
MARK = "<!-- xrd-gen follow -->"

ASK_BREAKING = (
    "Do not merge as is: claims and XRs that exist today could lose data or be rejected on "
    "their next write (Crossplane rewrites them constantly). Either serve the new schema as a "
    "new XRD version beside the current one and move claims over, ask upstream for a "
    "compatible change, or, having checked that no existing claim uses what breaks, merge "
    "knowingly and say so here. docs/xrd-gen.md explains each path."
)
ASK_COMPATIBLE = (
    "Existing claims stay valid. Give every new field listed below a description in the "
    "project's words (a commit on this branch), check the fields not forwarded, then merge."
)


def _verdict(outcome: Outcome) -> str:
    if not outcome.changed:
        return "unchanged"
    return "BREAKING" if outcome.breaking else "compatible"


def lines(outcome: Outcome) -> list[str]:
    """The terminal summary: what changed upstream, each classified change, the verdict."""
    block, fetched = outcome.block, outcome.fetched
    if not outcome.changed:
        unchanged = (
            f"xrd-gen: upstream {block.repository} {block.path} unchanged at "
            f"{fetched.commit[:12]} (sha256 matches the pin {block.commit[:12]})"
        )
        return [unchanged]
    changed = (
        f"xrd-gen: upstream {block.repository} {block.path} changed: "
        f"{block.commit[:12]} -> {fetched.commit[:12]}"
    )
    out = [changed]
    out += [f"xrd-gen: {sync.display(block.crd)}: {c.line()}" for c in outcome.crd_changes]
    for update in outcome.xrds:
        shown = sync.display(update.path)
        if update.changes is None:
            out.append(f"xrd-gen: {shown}: new file")
        elif not update.changes:
            out.append(f"xrd-gen: {shown}: no schema change (only the header's source hash)")
        out += [f"xrd-gen: {shown}: {c.line()}" for c in update.changes or []]
    out += [f"xrd-gen: note: {note}" for note in outcome.notes]
    out += [f"xrd-gen: needs a description: {path}" for path in outcome.undescribed]
    out.append(f"xrd-gen: verdict: {compat.verdict(outcome.changes)}")
    out += [f"xrd-gen: wrote {sync.display(path)}" for path in outcome.written]
    return out


def _changes(title: str, changes: list[compat.Change] | None) -> list[str]:
    if changes is None:
        return [f"`{title}`: new file", ""]
    if not changes:
        return [f"`{title}`: no schema change (only the header's source hash)", ""]
    return [f"`{title}`:", "", "```text", *[c.line() for c in changes], "```", ""]


def body(outcome: Outcome) -> str:
    """The pull request body (Markdown)."""
    block, fetched = outcome.block, outcome.fetched
    if not outcome.changed:
        return f"{MARK}\nUpstream `{block.path}` is unchanged at `{fetched.commit}`.\n"
    verdict = _verdict(outcome)
    ask = ASK_BREAKING if outcome.breaking else ASK_COMPATIBLE
    intro = (
        f"[`{block.repository}` `{block.path}`]({block.file_url(fetched.commit)}) changed "
        f"between the pinned `{block.commit[:12]}` and `{fetched.commit[:12]}` "
        f"([commits]({block.compare_url(fetched.commit)})). This pull request takes it into "
        "`crd/` (upstream's structure, the project's descriptions), regenerates `xrd/` and "
        "moves the pin in `xrd/xrd-gen.yaml`. Written by `xrd-gen follow`; do not edit the "
        "generated files by hand."
    )
    out = [
        MARK,
        f"## Upstream CRD changed: **{verdict}**",
        "",
        intro,
        "",
        "### Verdict",
        "",
        f"**{compat.verdict(outcome.changes)}.** {ask}",
        "",
        "### XRDs (what claims and XRs see)",
        "",
    ]
    for update in outcome.xrds:
        out += _changes(sync.display(update.path), update.changes)
    if not outcome.xrds:
        out += ["No generated XRD changes.", ""]
    out += ["### The EphemeralCluster CRD", ""]
    out += _changes(sync.display(block.crd), outcome.crd_changes)
    forwarded = [n for n in outcome.notes if ": not forwarded to the XRD: " in n]
    others = [n for n in outcome.notes if n not in forwarded]
    for title, items in (
        ("Not forwarded to the XRDs", forwarded),
        ("Need a description in the project's words", outcome.undescribed),
        ("Other generator notes", others),
    ):
        if items:
            out += [f"### {title}", "", *[f"- `{item}`" for item in items], ""]
    diff = "".join([outcome.crd_diff, *[u.diff for u in outcome.xrds]])
    head = "\n".join(out)
    room = BODY_LIMIT - len(head) - 200
    if len(diff) > room:
        diff = diff[: max(room, 0)] + "\n... (shortened; the Files tab has the whole diff)\n"
    fence = "````" if "```" in diff else "```"
    return head + (
        f"\n<details><summary>Schema diff</summary>\n\n{fence}diff\n{diff}{fence}\n\n</details>\n"
    )


def outputs(outcome: Outcome, path: Path) -> None:
    """Append `key=value` lines for a GitHub Actions step (`$GITHUB_OUTPUT`)."""
    values = {
        "changed": str(outcome.changed).lower(),
        "breaking": str(outcome.changed and outcome.breaking).lower(),
        "verdict": _verdict(outcome),
        "commit": outcome.fetched.commit,
        "label": LABEL,
    }
    with path.open("a", encoding="utf-8") as handle:
        handle.writelines(f"{key}={value}\n" for key, value in values.items())
