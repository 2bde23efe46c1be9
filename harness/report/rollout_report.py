"""A run analysed: the run itself, its timeline, headline numbers and gate verdicts.

Computed once and handed to every renderer (HTML, JSON, the CLI's summary), so
they can never disagree about a number.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.report.gates import GateResult, GateThresholds, evaluate_gates, traffic_share_gate
from harness.report.run import RolloutRun
from harness.report.summary import Summary, summarise
from harness.report.timeline import SecondBucket, build_timeline


@dataclass(frozen=True)
class RolloutReport:
    run: RolloutRun
    timeline: list[SecondBucket]
    summary: Summary
    gates: list[GateResult]

    @property
    def passed(self) -> bool:
        return all(gate.passed for gate in self.gates)

    @property
    def failed_gates(self) -> list[GateResult]:
        return [gate for gate in self.gates if not gate.passed]

    def since_start(self, at: float) -> float:
        """Epoch seconds to seconds since the load started (the charts' x axis)."""
        return at - self.run.started_at


def analyse(run: RolloutRun, thresholds: GateThresholds) -> RolloutReport:
    summary = summarise(run)
    gates = evaluate_gates(summary, thresholds)
    share = traffic_share_gate(run, thresholds)
    return RolloutReport(
        run=run,
        timeline=build_timeline(run.records, run.started_at, run.ended_at),
        summary=summary,
        gates=gates if share is None else [*gates, share],
    )
