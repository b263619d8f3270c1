"""Entry point of `pulumi preview --policy-pack policies/pulumi`: builds the pack, nothing else.

Constructing PolicyPack starts the analyzer's gRPC server and blocks, so tests and
`spbe plan` import `padang_policies` instead of this module.
"""

from padang_policies import POLICIES
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(name="spbe-padang", policies=POLICIES,
           enforcement_level=EnforcementLevel.MANDATORY)
