//! Exports for other tools: Bencher Metric Format and github-action-benchmark JSON.

use super::Report;
use crate::results::Unit;

/// Bencher Metric Format: `{ id: { measure: { value, lower_value, upper_value } } }`, with measure
/// `latency` (ns) for wall-time benches and `bytes` for size benches (allocated bytes, peak RSS,
/// binary size); counted benches (`--instructions`) also get `instructions` and
/// `estimated_cycles` per iteration (exact, so no bounds).
pub fn bmf(r: &Report) -> serde_json::Value {
    let mut out = serde_json::Map::new();
    for b in &r.benches {
        let measure = match b.unit {
            Unit::Ns => "latency",
            Unit::Bytes => "bytes",
        };
        let mut measures = serde_json::json!({ measure: {
            "value": b.mean.point, "lower_value": b.mean.lower, "upper_value": b.mean.upper } });
        if let Some(c) = &b.counts {
            measures["instructions"] = serde_json::json!({ "value": c.instructions });
            measures["estimated_cycles"] = serde_json::json!({ "value": c.estimated_cycles });
        }
        out.insert(b.id.clone(), measures);
    }
    serde_json::Value::Object(out)
}

/// github-action-benchmark `customSmallerIsBetter`: `[{ name, unit, value, range, extra }]`.
pub fn github(r: &Report) -> serde_json::Value {
    serde_json::Value::Array(
        r.benches
            .iter()
            .map(|b| {
                serde_json::json!({
                    "name": b.id,
                    "unit": match b.unit { Unit::Ns => "ns", Unit::Bytes => "bytes" },
                    "value": b.mean.point,
                    "range": format!("± {:.3}", (b.mean.upper - b.mean.lower) / 2.0),
                    "extra": format!("95% CI [{:.3}, {:.3}]; {} samples", b.mean.lower, b.mean.upper, b.samples.len()),
                })
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::sample_report;

    #[test]
    fn exports_follow_their_schemas() {
        let r = sample_report();
        let b = bmf(&r);
        let m = &b["s/det/indexed/10"]["latency"];
        assert_eq!(m["value"], 100.0);
        assert!(m["lower_value"].as_f64().unwrap() <= m["value"].as_f64().unwrap());
        assert!(b["s/mem/global/1"]["bytes"]["value"].is_number());
        assert!(b["s/det/indexed/10"].get("instructions").is_none());
        let mut counted = r.clone();
        counted.benches[0].counts = Some(crate::instructions::Counts {
            iterations: 10,
            instructions: 1234.5,
            estimated_cycles: 1500.0,
            l1_hits: 1400.0,
            ll_hits: 10.0,
            ram_hits: 0.0,
        });
        let b = bmf(&counted);
        let id = &counted.benches[0].id;
        assert_eq!(b[id]["instructions"]["value"], 1234.5);
        assert_eq!(b[id]["estimated_cycles"]["value"], 1500.0);
        assert!(b[id]["latency"]["value"].is_number());
        let g = github(&r);
        let arr = g.as_array().unwrap();
        assert_eq!(arr.len(), r.benches.len());
        for e in arr {
            for k in ["name", "unit", "value"] {
                assert!(!e[k].is_null(), "missing {k} in {e}");
            }
            assert!(e["value"].is_number() && e["name"].is_string());
        }
        assert_eq!(arr[2]["unit"], "bytes");
    }
}
