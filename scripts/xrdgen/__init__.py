"""``xrd-gen``: derive Crossplane XRDs from a CRD so the two can never drift.

Modules, one concern each: ``options`` (what to generate, shared by the CLI and the sync
config), ``source`` (loading the CRD), ``schema`` (CRD schema → XRD schema, Crossplane's keep
and discard rules), ``checks`` (names, injected-field collisions, printer columns),
``assemble`` (the XRD document and its deterministic rendering), ``config`` and ``sync``
(``xrd/xrd-gen.yaml`` and regeneration/drift check), ``cli`` (argument parsing only).
"""
