//! Ontology packs: a named, versioned set of classes and properties in a namespace, with
//! requirements on other packs. Versions and requirements use the `semver` crate's rules (caret,
//! tilde, exact, ranges, pre-releases) — no hand-written comparison.
//!
//! JSON form:
//!
//! ```json
//! { "name": "schema-core", "version": "1.4.0", "namespace": "https://schema.org/",
//!   "classes": ["Person", "Place"], "properties": ["name"],
//!   "requires": { "base": "^1.2" } }
//! ```
//!
//! `classes`, `properties` and `requires` may be omitted (empty). Loading checks every field and
//! reports the first problem naming the source, the pack (when its name is known) and the field.

use std::collections::BTreeMap;
use std::path::Path;

use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};

/// One ontology pack.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pack {
    /// Unique name of the pack (several versions of one name may be offered).
    pub name: String,
    /// Its version.
    pub version: Version,
    /// Namespace IRI (or prefix) its classes and properties live in.
    pub namespace: String,
    /// Classes it defines.
    #[serde(default)]
    pub classes: Vec<String>,
    /// Properties it defines.
    #[serde(default)]
    pub properties: Vec<String>,
    /// Packs it needs, with the versions it accepts.
    #[serde(default)]
    pub requires: BTreeMap<String, VersionReq>,
}

/// A pack file or JSON value that is not a valid pack.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{source_name}: pack {pack}: field `{field}`: {problem}")]
pub struct PackError {
    /// The file (or other source) read.
    pub source_name: String,
    /// The pack's name, or `<unnamed>` if the name itself was the problem.
    pub pack: String,
    /// The offending field.
    pub field: String,
    /// What was wrong and what was expected.
    pub problem: String,
}

impl Pack {
    /// A pack with no classes, properties or requirements.
    ///
    /// # Panics
    /// If `version` is not a semantic version (for tests and fixtures; use [`Pack::from_json`]
    /// for input).
    pub fn new(name: &str, version: &str, namespace: &str) -> Self {
        Self {
            name: name.to_owned(),
            version: Version::parse(version).expect("fixture version"),
            namespace: namespace.to_owned(),
            classes: Vec::new(),
            properties: Vec::new(),
            requires: BTreeMap::new(),
        }
    }

    /// Parses one pack from JSON text; `source_name` names the input in errors.
    pub fn from_json(source_name: &str, text: &str) -> Result<Self, PackError> {
        let value: serde_json::Value = serde_json::from_str(text).map_err(|e| PackError {
            source_name: source_name.to_owned(),
            pack: "<unnamed>".into(),
            field: "<document>".into(),
            problem: format!("not valid JSON ({e})"),
        })?;
        Self::from_value(source_name, &value)
    }

    /// Reads one pack from a JSON file.
    pub fn load(path: &Path) -> Result<Self, PackError> {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| PackError {
            source_name: name.clone(),
            pack: "<unnamed>".into(),
            field: "<file>".into(),
            problem: format!("cannot read ({e})"),
        })?;
        Self::from_json(&name, &text)
    }

    /// Validates a JSON value field by field.
    pub fn from_value(source_name: &str, value: &serde_json::Value) -> Result<Self, PackError> {
        let err = |pack: &str, field: &str, problem: String| PackError {
            source_name: source_name.to_owned(),
            pack: pack.to_owned(),
            field: field.to_owned(),
            problem,
        };
        let obj = value
            .as_object()
            .ok_or_else(|| err("<unnamed>", "<document>", "expected a JSON object".into()))?;
        for key in obj.keys() {
            if ![
                "name",
                "version",
                "namespace",
                "classes",
                "properties",
                "requires",
            ]
            .contains(&key.as_str())
            {
                let pack = obj
                    .get("name")
                    .and_then(|v| v.as_str())
                    .unwrap_or("<unnamed>");
                return Err(err(pack, key, "unknown field (expected name, version, namespace, classes, properties, requires)".into()));
            }
        }
        let name = match obj.get("name") {
            Some(serde_json::Value::String(s)) if !s.trim().is_empty() => s.clone(),
            Some(_) => {
                return Err(err(
                    "<unnamed>",
                    "name",
                    "expected a non-empty string".into(),
                ));
            }
            None => return Err(err("<unnamed>", "name", "missing".into())),
        };
        let string = |field: &str| -> Result<String, PackError> {
            match obj.get(field) {
                Some(serde_json::Value::String(s)) => Ok(s.clone()),
                Some(other) => Err(err(
                    &name,
                    field,
                    format!("expected a string, found {other}"),
                )),
                None => Err(err(&name, field, "missing".into())),
            }
        };
        let version_text = string("version")?;
        let version = Version::parse(&version_text).map_err(|e| {
            err(
                &name,
                "version",
                format!("{version_text:?} is not a semantic version MAJOR.MINOR.PATCH ({e})"),
            )
        })?;
        let namespace = string("namespace")?;
        if namespace.trim().is_empty() {
            return Err(err(&name, "namespace", "must not be empty".into()));
        }
        let list = |field: &str| -> Result<Vec<String>, PackError> {
            match obj.get(field) {
                None => Ok(Vec::new()),
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| match v.as_str() {
                        Some(s) if !s.trim().is_empty() => Ok(s.to_owned()),
                        _ => Err(err(
                            &name,
                            &format!("{field}[{i}]"),
                            format!("expected a non-empty string, found {v}"),
                        )),
                    })
                    .collect(),
                Some(other) => Err(err(
                    &name,
                    field,
                    format!("expected an array of strings, found {other}"),
                )),
            }
        };
        let classes = list("classes")?;
        let properties = list("properties")?;
        let mut requires = BTreeMap::new();
        match obj.get("requires") {
            None => {}
            Some(serde_json::Value::Object(reqs)) => {
                for (dep, req) in reqs {
                    let field = format!("requires.{dep}");
                    let text = req.as_str().ok_or_else(|| {
                        err(
                            &name,
                            &field,
                            format!("expected a version requirement string, found {req}"),
                        )
                    })?;
                    let parsed = VersionReq::parse(text).map_err(|e| {
                        err(
                            &name,
                            &field,
                            format!("{text:?} is not a version requirement like \"^1.2\" ({e})"),
                        )
                    })?;
                    requires.insert(dep.clone(), parsed);
                }
            }
            Some(other) => {
                return Err(err(
                    &name,
                    "requires",
                    format!("expected an object of name: requirement, found {other}"),
                ));
            }
        }
        Ok(Self {
            name,
            version,
            namespace,
            classes,
            properties,
            requires,
        })
    }

    /// `name@version`.
    pub fn id(&self) -> String {
        format!("{}@{}", self.name, self.version)
    }
}

/// Whether two versions of one pack can be used interchangeably (semver compatibility: the caret
/// requirement of the lower one accepts the higher one).
pub fn compatible(a: &Version, b: &Version) -> bool {
    let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
    VersionReq::parse(&format!("^{lo}")).is_ok_and(|req| req.matches(hi))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_pack() {
        let p = Pack::from_json(
            "core.json",
            r#"{"name":"core","version":"1.4.0-beta.1","namespace":"https://ex.org/","classes":["A"],"properties":["p"],"requires":{"base":"~1.2"}}"#,
        )
        .unwrap();
        assert_eq!(p.version, Version::parse("1.4.0-beta.1").unwrap());
        assert!(p.requires["base"].matches(&Version::new(1, 2, 9)));
        assert!(!p.requires["base"].matches(&Version::new(1, 3, 0)));
        assert_eq!(p.id(), "core@1.4.0-beta.1");
        let back: Pack = serde_json::from_str(&serde_json::to_string(&p).unwrap()).unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn bad_pack_json_names_the_pack_and_the_field() {
        let e = |t: &str| Pack::from_json("packs/x.json", t).unwrap_err().to_string();
        let truncated = e("{");
        assert!(
            truncated
                .starts_with("packs/x.json: pack <unnamed>: field `<document>`: not valid JSON"),
            "{truncated}"
        );
        // The parser's position is kept, so a user can find the break in a long file.
        let cut = e("{\n  \"name\": \"core\",\n  \"version\": ");
        assert!(cut.contains("line 3"), "{cut}");
        assert_eq!(
            e("[]"),
            "packs/x.json: pack <unnamed>: field `<document>`: expected a JSON object"
        );
        assert!(e(r#"{"version":"1.0.0"}"#).contains("field `name`: missing"));
        let v = e(r#"{"name":"core","version":"1.x","namespace":"n"}"#);
        assert!(
            v.contains("pack core: field `version`: \"1.x\" is not a semantic version"),
            "{v}"
        );
        let r = e(r#"{"name":"core","version":"1.0.0","namespace":"n","requires":{"base":"≥1"}}"#);
        assert!(r.contains("pack core: field `requires.base`"), "{r}");
        let c = e(r#"{"name":"core","version":"1.0.0","namespace":"n","classes":["A", 3]}"#);
        assert!(c.contains("field `classes[1]`"), "{c}");
        let u = e(r#"{"name":"core","version":"1.0.0","namespace":"n","clases":[]}"#);
        assert!(u.contains("field `clases`: unknown field"), "{u}");
        assert!(
            e(r#"{"name":"core","version":"1.0.0","namespace":" "}"#)
                .contains("`namespace`: must not be empty")
        );
        let missing = Pack::load(Path::new("/nonexistent/pack.json"))
            .unwrap_err()
            .to_string();
        assert!(
            missing.contains("/nonexistent/pack.json") && missing.contains("cannot read"),
            "{missing}"
        );
    }

    #[test]
    fn semver_rules_come_from_the_semver_crate() {
        let v = |s| Version::parse(s).unwrap();
        let req = |s| VersionReq::parse(s).unwrap();
        // Caret below 1.0 is minor-locked; tilde is patch-locked; exact; ranges.
        assert!(req("^0.3").matches(&v("0.3.9")) && !req("^0.3").matches(&v("0.4.0")));
        assert!(req("^1.2").matches(&v("1.9.0")) && !req("^1.2").matches(&v("2.0.0")));
        assert!(req("~1.2.3").matches(&v("1.2.9")) && !req("~1.2.3").matches(&v("1.3.0")));
        assert!(req("=1.2.3").matches(&v("1.2.3")) && !req("=1.2.3").matches(&v("1.2.4")));
        assert!(
            req(">=1.2, <1.5").matches(&v("1.4.99")) && !req(">=1.2, <1.5").matches(&v("1.5.0"))
        );
        // Pre-releases only match requirements that name a pre-release of the same version.
        assert!(!req("^1.2").matches(&v("1.3.0-alpha")));
        assert!(req(">=1.3.0-alpha").matches(&v("1.3.0-beta")));
        // Compatibility between two offered versions.
        assert!(compatible(&v("1.2.0"), &v("1.9.1")));
        assert!(!compatible(&v("1.2.0"), &v("2.0.0")));
        assert!(!compatible(&v("0.2.0"), &v("0.3.0")));
        assert!(compatible(&v("0.2.1"), &v("0.2.0")));
    }
}
