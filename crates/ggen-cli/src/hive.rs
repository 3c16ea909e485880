//! `ggen hive resolve PACKS.json`: validate every pack (errors name the pack and field), run the
//! hive, refuse a set whose requirements cannot be met (missing or unsatisfiable dependency,
//! dependency cycle), and print or write the resolved configuration as JSON.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use ggen_core::hive::agent::{ConsensusConfig, Decision};
use ggen_core::hive::conflict::PackConflict;
use ggen_core::hive::pack::Pack;
use ggen_core::hive::queen::{HiveQueen, ResolvedConfiguration, Strategy};
use serde::Serialize;

use crate::files;

/// The JSON printed: the decision first, then the configuration.
#[derive(Serialize)]
struct Output<'a> {
    decision: Decision,
    #[serde(flatten)]
    configuration: &'a ResolvedConfiguration,
}

/// Reads and validates a packs file: a JSON array of pack objects.
pub fn load(path: &Path) -> Result<Vec<Pack>> {
    let name = path.display().to_string();
    let text = files::read(path)?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| anyhow::anyhow!("{name}: not valid JSON ({e})"))?;
    let serde_json::Value::Array(items) = value else {
        bail!("{name}: expected a JSON array of packs");
    };
    if items.is_empty() {
        bail!("{name}: the array holds no packs");
    }
    items
        .iter()
        .map(|v| Pack::from_value(&name, v).map_err(anyhow::Error::from))
        .collect()
}

/// The first conflict that makes the set unsatisfiable, as one line naming the pack and field.
fn unsatisfiable(path: &Path, r: &ResolvedConfiguration) -> Option<String> {
    let file = path.display();
    r.conflicts.iter().find_map(|c| match &c.conflict {
        PackConflict::MissingDependency { pack, requires } => Some(format!(
            "{file}: pack {pack}: field `requires.{requires}`: no pack named {requires:?} is offered"
        )),
        PackConflict::Unsatisfiable {
            pack,
            requires,
            req,
            available,
        } => {
            let offered: Vec<String> = available.iter().map(ToString::to_string).collect();
            Some(format!(
                "{file}: pack {pack}: field `requires.{requires}`: no offered version matches {req} (offered: {})",
                offered.join(", ")
            ))
        }
        PackConflict::Cycle { packs } => Some(format!(
            "{file}: dependency cycle: {}",
            packs.join(" -> ")
        )),
        _ => None,
    })
}

/// Resolves the packs in `path`; exit 1 if the hive did not accept the configuration.
pub fn resolve(path: &Path, output: Option<&Path>) -> Result<ExitCode> {
    let packs = load(path)?;
    let mut queen = HiveQueen::new(ConsensusConfig::two_thirds(), Strategy::Union);
    let r = ggen_core::runtime::execute(async move { queen.orchestrate(&packs) })?
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    if let Some(line) = unsatisfiable(path, &r) {
        bail!("{line}");
    }
    let decision = r.decision();
    let json = serde_json::to_string_pretty(&Output {
        decision,
        configuration: &r,
    })?;
    files::emit(output, &json)?;
    Ok(if decision == Decision::Accepted {
        ExitCode::SUCCESS
    } else {
        eprintln!("ggen: the hive did not accept the configuration ({decision:?})");
        ExitCode::from(1)
    })
}
