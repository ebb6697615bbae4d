"""The node edits under their earlier module name; they live in ``runner.config.edits``
(``nodes``, ``overrides``, ``actions``), which re-exports every one of them."""

from runner.config.edits.actions import *  # noqa: F403
from runner.config.edits.nodes import set_node_type  # noqa: F401
from runner.config.edits.overrides import *  # noqa: F403
