//! proposal — filled in by the ggen-domain issue.
