//! ggen-core
