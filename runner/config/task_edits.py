"""The sweep edits under their earlier module name; they live in ``runner.config.edits.tasks``
and ``runner.config.edits`` re-exports every one of them."""

from runner.config.edits.tasks import *  # noqa: F403
