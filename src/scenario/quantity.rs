//! Kubernetes resource quantities ("250m", "1.5", "256Mi", "1G", "5e3"),
//! as `resource.Quantity` parses them, into exact integer units.

/// CPU in millicores: "250m" -> 250, "2" -> 2000, "0.5" -> 500 (rounded up
/// to a whole millicore, as Kubernetes does).
pub fn cpu_millicores(text: &str) -> Result<u64, QuantityError> {
    let value = parse(text)?;
    Ok((value * 1000.0 - 1e-9).ceil().max(0.0) as u64)
}

/// Memory in bytes: "256Mi" -> 268435456, "1G" -> 10^9, "128974848" (rounded
/// up to a whole byte).
pub fn memory_bytes(text: &str) -> Result<u64, QuantityError> {
    let value = parse(text)?;
    Ok((value - 1e-9).ceil().max(0.0) as u64)
}

/// The quantity in base units (cores, bytes).
fn parse(text: &str) -> Result<f64, QuantityError> {
    let bad = || QuantityError(text.to_owned());
    let t = text.trim();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(t.len());
    let (number, suffix) = t.split_at(end);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let scale = match suffix {
        "" => 1.0,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exponent: i32 = s[1..].parse().map_err(|_| bad())?;
            10f64.powi(exponent)
        }
        _ => return Err(bad()),
    };
    let value = number * scale;
    if !value.is_finite() || value < 0.0 {
        return Err(bad());
    }
    Ok(value)
}

/// A text that is not a Kubernetes quantity.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{0}` is not a Kubernetes quantity (a number with an optional suffix: \
     m, k, M, G, T, P, E, Ki, Mi, Gi, Ti, Pi, Ei, or an exponent such as 5e3)"
)]
pub struct QuantityError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_quantities() {
        assert_eq!(cpu_millicores("250m"), Ok(250));
        assert_eq!(cpu_millicores("2"), Ok(2000));
        assert_eq!(cpu_millicores("0.5"), Ok(500));
        assert_eq!(cpu_millicores("1.0001"), Ok(1001));
        assert_eq!(cpu_millicores("1e3"), Ok(1_000_000));
        assert!(cpu_millicores("lots").is_err());
        assert!(cpu_millicores("-1").is_err());
    }

    #[test]
    fn memory_quantities() {
        assert_eq!(memory_bytes("256Mi"), Ok(256 << 20));
        assert_eq!(memory_bytes("1G"), Ok(1_000_000_000));
        assert_eq!(memory_bytes("128974848"), Ok(128_974_848));
        assert_eq!(memory_bytes("129e6"), Ok(129_000_000));
        assert_eq!(memory_bytes("1.5Gi"), Ok(3 << 29));
        assert!(memory_bytes("12 bananas").is_err());
    }
}
