"""Projects: MLproject files, typed parameters, environments and tracked runs (issue #8).

``runstone.projects.run(uri, entry_point="main", parameters={...})`` runs a project folder or
git repository as a tracked run, as ``runstone run`` does on the command line.
"""

from __future__ import annotations

from runstone.projects.runner import RunFailed, SubmittedRun, run

__all__ = ["RunFailed", "SubmittedRun", "run"]
