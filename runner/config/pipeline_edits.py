"""The pipeline-settings edits under their earlier module name; they live in
``runner.config.edits`` (``pipeline_parameters``, ``pipelines``), which re-exports them."""

from runner.config.edits.pipeline_parameters import *  # noqa: F403
from runner.config.edits.pipelines import set_reuse_executions  # noqa: F401
