"""Offline plan of the Pulumi DC/DRC stacks: the real program under `pulumi.runtime.set_mocks`.

`record_plan()` runs `infra/` in-process for one stack (mocks are process-global, so one
stack per process; `plan_in_subprocess()` gives isolation), records every registered
resource as the engine would send it to a policy pack, and returns a `Plan`. The policy
pack's own functions are evaluated on it (`spbe.cloudplan.policies`), and a committed
snapshot of it is what pull requests are reviewed against (`spbe.cloudplan.snapshot`).
"""

from spbe.cloudplan.engine import plan_in_subprocess, record_plan
from spbe.cloudplan.model import Plan, ResourceRecord
from spbe.cloudplan.project import PulumiProject

__all__ = ["Plan", "PulumiProject", "ResourceRecord", "plan_in_subprocess", "record_plan"]
