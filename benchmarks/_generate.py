"""Generated valohai.yaml configs for benchmarks: N steps and an N-node pipeline."""

from __future__ import annotations


def big_config(steps: int = 500, nodes: int = 500, fan_in: int = 2) -> str:
    lines: list[str] = []
    for i in range(steps):
        lines += [
            "- step:",
            f"    name: step-{i}",
            "    image: python:3.12-slim",
            "    command:",
            f"      - python step_{i}.py {{parameters}}",
            "    parameters:",
            "      - name: epochs",
            "        type: integer",
            f"        default: {i % 10 + 1}",
            "      - name: learning-rate",
            "        type: float",
            "        default: 0.001",
            "    inputs:",
            "      - name: data",
            "        optional: true",
        ]
    lines += ["- pipeline:", "    name: big", "    nodes:"]
    for i in range(nodes):
        lines += [f"      - name: node-{i}", "        type: execution", f"        step: step-{i % steps}"]
    lines.append("    edges:")
    for i in range(1, nodes):
        for k in range(1, fan_in + 1):  # each node fed by up to fan_in earlier nodes: a layered DAG
            if i - k >= 0:
                lines.append(f"      - [node-{i - k}.output.*.csv, node-{i}.input.data]")
    return "\n".join(lines) + "\n"
