"""Edits of a :class:`~runner.config.document.YamlDocument`, each one user action.

Every function checks first and raises a typed :class:`~runner.config.errors.EditError`
saying why it refuses, so a refused edit changes nothing. Renames follow references (edges,
node steps, pipeline parameter targets, command placeholders) so the file stays consistent.

One module per section of the file, all re-exported here: :mod:`.steps` (steps, their
parameters and inputs), :mod:`.pipelines`, :mod:`.nodes`, :mod:`.edges`,
:mod:`.overrides`, :mod:`.actions`, :mod:`.pipeline_parameters`, :mod:`.tasks` (sweeps),
:mod:`.endpoints`, :mod:`.values` and :mod:`.paste` (whole copied bodies). :mod:`.rename`
holds the rename-and-follow-references logic they share, ``_tree`` their private helpers.
"""

from runner.config.edits import (
    actions,
    edges,
    endpoints,
    nodes,
    overrides,
    paste,
    pipeline_parameters,
    pipelines,
    steps,
    tasks,
    values,
)
from runner.config.edits.actions import *  # noqa: F403
from runner.config.edits.edges import *  # noqa: F403
from runner.config.edits.endpoints import *  # noqa: F403
from runner.config.edits.nodes import *  # noqa: F403
from runner.config.edits.overrides import *  # noqa: F403
from runner.config.edits.paste import *  # noqa: F403
from runner.config.edits.pipeline_parameters import *  # noqa: F403
from runner.config.edits.pipelines import *  # noqa: F403
from runner.config.edits.steps import *  # noqa: F403
from runner.config.edits.tasks import *  # noqa: F403
from runner.config.edits.values import *  # noqa: F403

__all__ = [
    *actions.__all__,
    *edges.__all__,
    *endpoints.__all__,
    *nodes.__all__,
    *overrides.__all__,
    *paste.__all__,
    *pipeline_parameters.__all__,
    *pipelines.__all__,
    *steps.__all__,
    *tasks.__all__,
    *values.__all__,
]
