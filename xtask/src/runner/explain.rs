//! Culprit tables for `--against`: the benches that regressed in wall time are counted on both
//! sides under callgrind so the report can name the functions behind the regression (or say that
//! the instructions are the same).

use std::collections::BTreeMap;

use anyhow::Result;

use crate::catalog::Catalog;
use crate::suites::Built;
use crate::workspace::Workspace;
use crate::{instructions, report, results};

/// What of the run's plan the counting needs: the workspace, side B's built suites, the catalog
/// of counted benches, the run folder.
pub(super) struct Sides<'a> {
    pub ws: &'a Workspace,
    pub suites: &'a [Built],
    pub catalog: &'a Catalog,
    pub run_dir: &'a std::path::Path,
}

/// With `--against`: the benches that regressed in wall time and can be counted are counted on
/// both sides, and their comparison of counts (with the functions behind each, or "no function
/// changed") joins the report. When they cannot be counted (no valgrind, a side's plan differs)
/// a warning on stderr says why, and the report has no count section.
pub(super) fn against(
    plan: Sides<'_>,
    a: &crate::against::SideA,
    c: &mut report::Comparison,
    side_a: &[results::Bench],
    side_b: &[results::Bench],
    ir_threshold: f64,
) -> Result<()> {
    let regressed: std::collections::BTreeSet<String> = c
        .deltas
        .iter()
        .filter(|d| d.change == crate::stats::Change::Regressed)
        .map(|d| d.id.clone())
        .collect();
    let logs = plan.run_dir.join("logs");
    let counted = match crate::against::count_regressed(
        plan.ws,
        a,
        plan.suites,
        plan.catalog,
        &regressed,
        plan.run_dir,
        &logs,
    ) {
        Ok(Some(counted)) => counted,
        Ok(None) => return Ok(()),
        Err(e) => {
            eprintln!("warning: the regressed benches were not counted under callgrind: {e:#}");
            return Ok(());
        }
    };
    let with_counts = |benches: &[results::Bench],
                       counts: &BTreeMap<String, instructions::Counts>| {
        benches
            .iter()
            .filter_map(|b| {
                let c = counts.get(&b.id)?;
                Some(results::Bench {
                    counts: Some(c.clone()),
                    ..b.clone()
                })
            })
            .collect::<Vec<_>>()
    };
    let (a_benches, b_benches) = (
        with_counts(side_a, &counted.a),
        with_counts(side_b, &counted.b),
    );
    if let Some(mut ic) = instructions::compare::compare(&a_benches, &b_benches, ir_threshold) {
        // Every counted bench here regressed in wall time: each is looked at, changed or not.
        instructions::compare::explain(
            &mut ic,
            Some(&counted.a_dir),
            Some(&counted.b_dir),
            &a_benches,
            &b_benches,
            &|_| true,
        );
        ic.scope = Some("of the benches that regressed in wall time, side A vs side B".into());
        c.instructions = Some(ic);
    }
    Ok(())
}
