"""Recovery drills: plans, automated read-only evidence, manual steps, tamper-evident sign-off and reports."""
