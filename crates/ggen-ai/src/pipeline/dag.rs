//! Building a pipeline: stage names resolved to indexes, duplicates and unknown dependencies
//! rejected, cycles found and named (Kahn's algorithm), topological levels kept for the twins.
//! Dependents are computed once here and stored with each stage.

use ggen_domain::hash::HashMap;
use std::sync::Arc;

use super::{Pipeline, PipelineError, Stage, StageSpec};
use crate::agent::Agent;

/// Builds a [`Pipeline`].
#[derive(Default)]
pub struct PipelineBuilder {
    stages: Vec<(StageSpec, Arc<dyn Agent>)>,
}

impl PipelineBuilder {
    /// Adds a stage.
    pub fn stage(mut self, spec: StageSpec, agent: Arc<dyn Agent>) -> Self {
        self.stages.push((spec, agent));
        self
    }

    /// Validates the DAG and builds the pipeline.
    pub fn build(self) -> Result<Pipeline, PipelineError> {
        let mut index: HashMap<&str, usize> = HashMap::default();
        for (i, (spec, _)) in self.stages.iter().enumerate() {
            if index.insert(spec.name.as_str(), i).is_some() {
                return Err(PipelineError::DuplicateStage(spec.name.clone()));
            }
        }
        let mut deps = Vec::with_capacity(self.stages.len());
        for (spec, _) in &self.stages {
            let mut d = Vec::new();
            for dep in &spec.deps {
                let &j =
                    index
                        .get(dep.as_str())
                        .ok_or_else(|| PipelineError::UnknownDependency {
                            stage: spec.name.clone(),
                            dep: dep.clone(),
                        })?;
                if !d.contains(&j) {
                    d.push(j);
                }
            }
            deps.push(d);
        }
        let names: Vec<&str> = self.stages.iter().map(|(s, _)| s.name.as_str()).collect();
        let mut dependents = vec![Vec::new(); deps.len()];
        for (i, d) in deps.iter().enumerate() {
            for &j in d {
                dependents[j].push(i);
            }
        }
        let levels = levels(&deps, &dependents).map_err(|cycle| {
            PipelineError::Cycle(cycle.into_iter().map(|i| names[i].to_owned()).collect())
        })?;
        let stages = self
            .stages
            .into_iter()
            .zip(deps)
            .zip(dependents)
            .map(|(((spec, agent), deps), dependents)| Stage {
                name: Arc::from(spec.name.as_str()),
                spec,
                agent,
                deps,
                dependents,
                last_ns: std::sync::atomic::AtomicU64::new(u64::MAX),
            })
            .collect();
        Ok(Pipeline {
            stages: Arc::new(stages),
            levels,
        })
    }
}

/// Topological levels (Kahn's algorithm); on a cycle, the stages of one cycle.
fn levels(deps: &[Vec<usize>], dependents: &[Vec<usize>]) -> Result<Vec<Vec<usize>>, Vec<usize>> {
    let n = deps.len();
    let mut indegree: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut levels = Vec::new();
    let mut current: Vec<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut done = 0;
    while !current.is_empty() {
        done += current.len();
        let mut next = Vec::new();
        for &i in &current {
            for &k in &dependents[i] {
                indegree[k] -= 1;
                if indegree[k] == 0 {
                    next.push(k);
                }
            }
        }
        next.sort_unstable();
        levels.push(std::mem::replace(&mut current, next));
    }
    if done == n {
        return Ok(levels);
    }
    // Every remaining stage has a remaining dependency: walk them until a stage repeats.
    let start = (0..n).find(|&i| indegree[i] > 0).expect("a stage is left");
    let mut path = vec![start];
    let mut seen = HashMap::from_iter([(start, 0usize)]);
    loop {
        let cur = *path.last().expect("non-empty");
        let next = *deps[cur]
            .iter()
            .find(|&&j| indegree[j] > 0)
            .expect("remaining stages have remaining deps");
        if let Some(&at) = seen.get(&next) {
            let mut cycle: Vec<usize> = path[at..].to_vec();
            // `path` follows dependencies; report in dependency order: a depends on b -> b first.
            cycle.reverse();
            cycle.push(cycle[0]);
            return Err(cycle);
        }
        seen.insert(next, path.len());
        path.push(next);
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::HashAgent;

    fn agent() -> Arc<dyn Agent> {
        Arc::new(HashAgent::new(1))
    }

    #[test]
    fn build_rejects_bad_dags_naming_the_stages() {
        let err = Pipeline::builder()
            .stage(StageSpec::new("a"), agent())
            .stage(StageSpec::new("a"), agent())
            .build()
            .unwrap_err();
        assert_eq!(err, PipelineError::DuplicateStage("a".into()));
        let err = Pipeline::builder()
            .stage(StageSpec::new("a").deps(&["ghost"]), agent())
            .build()
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "stage \"a\" depends on unknown stage \"ghost\""
        );
        let err = Pipeline::builder()
            .stage(StageSpec::new("root"), agent())
            .stage(StageSpec::new("a").deps(&["root", "c"]), agent())
            .stage(StageSpec::new("b").deps(&["a"]), agent())
            .stage(StageSpec::new("c").deps(&["b"]), agent())
            .build()
            .unwrap_err();
        let PipelineError::Cycle(cycle) = &err else {
            panic!("{err}")
        };
        assert_eq!(cycle.len(), 4, "{err}");
        assert_eq!(cycle.first(), cycle.last());
        let mut members = cycle[..3].to_vec();
        members.sort();
        assert_eq!(members, ["a", "b", "c"]);
        assert!(err.to_string().starts_with("dependency cycle: "));
        let err = Pipeline::builder()
            .stage(StageSpec::new("x").deps(&["x"]), agent())
            .build()
            .unwrap_err();
        assert_eq!(err, PipelineError::Cycle(vec!["x".into(), "x".into()]));
    }

    #[test]
    fn levels_follow_dependencies() {
        let p = Pipeline::builder()
            .stage(StageSpec::new("c").deps(&["a", "b"]), agent())
            .stage(StageSpec::new("a"), agent())
            .stage(StageSpec::new("b").deps(&["a"]), agent())
            .build()
            .unwrap();
        assert_eq!(p.levels(), vec![vec!["a"], vec!["b"], vec!["c"]]);
        assert_eq!(p.len(), 3);
        assert!(Pipeline::builder().build().unwrap().is_empty());
    }
}
