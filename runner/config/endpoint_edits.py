"""The endpoint edits under their earlier module name; they live in
``runner.config.edits.endpoints`` and ``runner.config.edits`` re-exports every one of them."""

from runner.config.edits.endpoints import *  # noqa: F403
