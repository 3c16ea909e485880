//! `ggen`: the command line over the swarm libraries. Every command is a synchronous `main`
//! calling async library code through the process-wide runtime (`ggen_core::runtime::execute`),
//! the design the `runtime_overhead` suite measures.
//!
//! Exit status: 0 success; 1 the work ran but did not succeed (a stage failed, the hive did not
//! accept the configuration); 2 bad input (one line on stderr naming the file and the field or
//! cycle; no output file is written).

#![forbid(unsafe_code)]

mod dag;
mod files;
mod generate;
mod hive;
mod pipeline;
mod swarm;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// ggen: resolve ontology packs, run agent pipelines, drive the swarm.
#[derive(Debug, Parser)]
#[command(name = "ggen", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The hive: resolve a set of packs into one configuration.
    #[command(subcommand)]
    Hive(HiveCommand),
    /// Pipelines of the built-in deterministic agents.
    #[command(subcommand)]
    Pipeline(PipelineCommand),
    /// The sustained swarm: many pipelines at once, sharing one semaphore.
    #[command(subcommand)]
    Swarm(SwarmCommand),
    /// Write a valid input file from the seeded generators.
    Gen {
        /// What to generate.
        #[arg(value_enum)]
        kind: generate::Kind,
        /// Number of packs or stages.
        #[arg(long, default_value_t = 10)]
        size: usize,
        /// Seed: the same seed gives the same file.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Write here (atomically) instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum HiveCommand {
    /// Resolve PACKS (a JSON array of packs) and print the resolved configuration as JSON.
    Resolve {
        /// The packs file.
        packs: PathBuf,
        /// Write the configuration here (atomically) instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum PipelineCommand {
    /// Run the DAG in DAG (a JSON file) and print each stage's status and timing.
    Run {
        /// The DAG file.
        dag: PathBuf,
        /// Agents allowed to run at once.
        #[arg(long, default_value_t = 2)]
        permits: usize,
        /// Input text given to the first stages.
        #[arg(long, default_value = "ggen")]
        input: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
enum SwarmCommand {
    /// Run the 6-stage generate pipeline with N agents at once for S seconds.
    Run {
        /// Concurrent agents (each one runs pipelines back to back).
        #[arg(long, default_value_t = 2)]
        agents: usize,
        /// How long to run, in seconds (fractions allowed).
        #[arg(long, default_value_t = 1.0)]
        duration: f64,
        /// Print the figures as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hive(HiveCommand::Resolve { packs, output }) => {
            hive::resolve(&packs, output.as_deref())
        }
        Command::Pipeline(PipelineCommand::Run {
            dag,
            permits,
            input,
            json,
        }) => pipeline::run(&dag, permits, &input, json),
        Command::Swarm(SwarmCommand::Run {
            agents,
            duration,
            json,
        }) => swarm::run(agents, duration, json),
        Command::Gen {
            kind,
            size,
            seed,
            output,
        } => generate::run(kind, size, seed, output.as_deref()),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ggen: {e:#}");
            ExitCode::from(2)
        }
    }
}
