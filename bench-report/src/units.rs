//! Quantities with units: parsing budget limits (`25ns`, `1.5µs`, `256KiB`) and formatting
//! measurements for people.

use anyhow::{Result, bail};

use crate::results::Unit;

/// Parses `"<number><unit>"`: time units `ns`, `us`/`µs`, `ms`, `s` (to nanoseconds) or size
/// units `B`, `KiB`, `MiB`, `GiB` (binary) and `kB`, `MB`, `GB` (decimal) (to bytes). Spaces between number and unit are allowed.
pub fn parse_quantity(s: &str) -> Result<(f64, Unit)> {
    let t = s.trim();
    if t.starts_with('-') {
        bail!("{s:?} is negative: a limit must be a non-negative number with a unit, e.g. 5ms");
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let value: f64 = num.replace('_', "").parse().map_err(|_| {
        anyhow::anyhow!(
            "{s:?} is not a quantity: expected a number followed by a unit, e.g. 25ns or 256KiB"
        )
    })?;
    let (factor, kind) = match unit.trim() {
        "ns" => (1.0, Unit::Ns),
        "us" | "µs" | "μs" => (1e3, Unit::Ns),
        "ms" => (1e6, Unit::Ns),
        "s" => (1e9, Unit::Ns),
        "B" => (1.0, Unit::Bytes),
        "kB" => (1e3, Unit::Bytes),
        "MB" => (1e6, Unit::Bytes),
        "GB" => (1e9, Unit::Bytes),
        "KiB" => (1024.0, Unit::Bytes),
        "MiB" => (1024.0 * 1024.0, Unit::Bytes),
        "GiB" => (1024.0 * 1024.0 * 1024.0, Unit::Bytes),
        "" => bail!("{s:?} has no unit: use ns, us, ms, s, B, KiB, MiB, GiB, kB, MB or GB"),
        other => bail!(
            "{s:?}: unknown unit {other:?}; use ns, us, ms, s, B, KiB, MiB, GiB, kB, MB or GB"
        ),
    };
    if !value.is_finite() || value < 0.0 {
        bail!("{s:?} must be a non-negative number");
    }
    Ok((value * factor, kind))
}

/// Formats a value of `unit` with a readable scale: `12.3 ns`, `4.56 µs`, `15.1 KiB`.
pub fn format(value: f64, unit: Unit) -> String {
    match unit {
        Unit::Ns => format_ns(value),
        Unit::Bytes => format_bytes(value),
    }
}

fn three_digits(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// `12.3 ns`, `4.56 µs`, `7.89 ms`, `1.23 s`.
pub fn format_ns(ns: f64) -> String {
    let (v, u) = if ns < 1e3 {
        (ns, "ns")
    } else if ns < 1e6 {
        (ns / 1e3, "µs")
    } else if ns < 1e9 {
        (ns / 1e6, "ms")
    } else {
        (ns / 1e9, "s")
    };
    format!("{} {u}", three_digits(v))
}

/// `158 B`, `15.1 KiB`, `2.00 MiB`.
pub fn format_bytes(b: f64) -> String {
    const K: f64 = 1024.0;
    if b < K {
        format!("{b:.0} B")
    } else if b < K * K {
        format!("{} KiB", three_digits(b / K))
    } else if b < K * K * K {
        format!("{} MiB", three_digits(b / K / K))
    } else {
        format!("{} GiB", three_digits(b / K / K / K))
    }
}

/// Elements per second, `1.23 Melem/s`.
pub fn format_throughput(elements: u64, ns_per_iter: f64) -> String {
    let per_sec = elements as f64 / (ns_per_iter / 1e9);
    let (v, u) = if per_sec >= 1e9 {
        (per_sec / 1e9, "Gelem/s")
    } else if per_sec >= 1e6 {
        (per_sec / 1e6, "Melem/s")
    } else if per_sec >= 1e3 {
        (per_sec / 1e3, "Kelem/s")
    } else {
        (per_sec, "elem/s")
    };
    format!("{} {u}", three_digits(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_time_and_size() {
        assert_eq!(parse_quantity("25ns").unwrap(), (25.0, Unit::Ns));
        assert_eq!(parse_quantity("1.5us").unwrap(), (1500.0, Unit::Ns));
        assert_eq!(parse_quantity("1.5 µs").unwrap(), (1500.0, Unit::Ns));
        assert_eq!(parse_quantity("1ms").unwrap(), (1e6, Unit::Ns));
        assert_eq!(parse_quantity("2s").unwrap(), (2e9, Unit::Ns));
        assert_eq!(parse_quantity("256KiB").unwrap(), (262_144.0, Unit::Bytes));
        assert_eq!(parse_quantity("1_000B").unwrap(), (1000.0, Unit::Bytes));
        assert_eq!(parse_quantity("20MB").unwrap(), (20e6, Unit::Bytes));
        assert_eq!(
            parse_quantity("8 MiB").unwrap(),
            (8.0 * 1024.0 * 1024.0, Unit::Bytes)
        );
    }

    #[test]
    fn rejects_bad_quantities_with_guidance() {
        for bad in ["", "ms", "12", "12 parsecs", "1KB", "-1ns", "1.2.3ms"] {
            let e = parse_quantity(bad).unwrap_err().to_string();
            assert!(e.contains(&format!("{bad:?}")), "{bad}: {e}");
        }
        assert!(
            parse_quantity("1KB")
                .unwrap_err()
                .to_string()
                .contains("KiB")
        );
        let e = parse_quantity("-5ms").unwrap_err().to_string();
        assert!(
            e.contains("negative") && !e.contains("not a quantity"),
            "{e}"
        );
    }

    #[test]
    fn formats_readably() {
        assert_eq!(format_ns(12.345), "12.3 ns");
        assert_eq!(format_ns(4560.0), "4.56 µs");
        assert_eq!(format_ns(7.89e6), "7.89 ms");
        assert_eq!(format_ns(1.5e9), "1.50 s");
        assert_eq!(format_bytes(158.0), "158 B");
        assert_eq!(format_bytes(15_498.0), "15.1 KiB");
        assert_eq!(format(2.0 * 1024.0 * 1024.0, Unit::Bytes), "2.00 MiB");
        assert_eq!(format_throughput(1000, 1e6), "1.00 Melem/s");
    }
}
