//! Human units in scenario files: durations ("250ms", "5m"), sizes
//! ("512Mi"), and Kubernetes quantities where Kubernetes users type them:
//! CPU (`0.5` or `"250m"`), memory (`512` MiB or `"512Mi"`), and integer
//! percentages (`cpu: 70`, as `averageUtilization`).

use crate::algo::Nanos;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// A duration or size that does not read: the text and what is valid.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnitError(pub String);

/// A duration written with a unit: `ns`, `us`, `ms`, `s`, `m`, `h`, `d`
/// (decimals allowed: "1.5s"). Stored as integer nanoseconds.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub Nanos);

/// A byte size: a number with an optional binary (`Ki`, `Mi`, `Gi`, `Ti`) or
/// decimal (`k`, `M`, `G`, `T`) suffix, as Kubernetes writes memory.
#[derive(Copy, Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Size(pub u64);

const DURATION_HELP: &str = "a duration with a unit, e.g. \"250ms\", \"1.5s\", \"5m\", \"1h\" (units: ns, us, ms, s, m, h, d)";
const SIZE_HELP: &str =
    "a size such as \"512Mi\", \"2Gi\" or \"1500M\" (suffixes: Ki, Mi, Gi, Ti, k, M, G, T)";

/// Splits "12.5ms" into (12.5, "ms").
fn split_number(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let end = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(text.len());
    let number: String = text[..end].chars().filter(|&c| c != '_').collect();
    if number.is_empty() {
        return None;
    }
    let value: f64 = number.parse().ok()?;
    Some((value, text[end..].trim()))
}

impl Duration {
    /// Parses "250ms"-style text.
    pub fn parse(text: &str) -> Result<Duration, UnitError> {
        let bad = || UnitError(format!("`{text}` is not {DURATION_HELP}"));
        let (value, unit) = split_number(text).ok_or_else(bad)?;
        let scale = match unit {
            "ns" => 1.0,
            "us" | "µs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" | "min" => 60e9,
            "h" => 3600e9,
            "d" => 86400e9,
            "" => {
                return Err(UnitError(format!(
                    "`{text}` has no unit: write {DURATION_HELP}"
                )))
            }
            _ => return Err(bad()),
        };
        let ns = value * scale;
        if !ns.is_finite() || ns > 1e18 {
            return Err(UnitError(format!(
                "`{text}` is too long (at most about 31 years)"
            )));
        }
        Ok(Duration(Nanos::from_nanos(ns.round() as u64)))
    }

    /// The duration as nanoseconds.
    pub fn nanos(self) -> Nanos {
        self.0
    }
}

impl Size {
    /// Parses "512Mi"-style text.
    pub fn parse(text: &str) -> Result<Size, UnitError> {
        let bad = || UnitError(format!("`{text}` is not {SIZE_HELP}"));
        let (value, unit) = split_number(text).ok_or_else(bad)?;
        let scale: f64 = match unit {
            "" | "B" => 1.0,
            "k" | "K" | "kB" => 1e3,
            "M" | "MB" => 1e6,
            "G" | "GB" => 1e9,
            "T" | "TB" => 1e12,
            "Ki" | "KiB" => 1024.0,
            "Mi" | "MiB" => 1024.0 * 1024.0,
            "Gi" | "GiB" => 1024.0 * 1024.0 * 1024.0,
            "Ti" | "TiB" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
            _ => return Err(bad()),
        };
        let bytes = value * scale;
        if !bytes.is_finite() || bytes > 1e18 {
            return Err(UnitError(format!("`{text}` is too large")));
        }
        Ok(Size(bytes.round() as u64))
    }
}

impl fmt::Display for Duration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(&str, u64); 4] = [
            ("Ti", 1 << 40),
            ("Gi", 1 << 30),
            ("Mi", 1 << 20),
            ("Ki", 1 << 10),
        ];
        for (unit, scale) in UNITS {
            if self.0 >= scale && self.0.is_multiple_of(scale) {
                return write!(f, "{}{unit}", self.0 / scale);
            }
        }
        write!(f, "{}", self.0)
    }
}

struct TextVisitor(&'static str);

impl Visitor<'_> for TextVisitor {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = d.deserialize_str(TextVisitor(DURATION_HELP))?;
        Duration::parse(&text).map_err(de::Error::custom)
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = d.deserialize_str(TextVisitor(SIZE_HELP))?;
        Size::parse(&text).map_err(de::Error::custom)
    }
}

impl Serialize for Size {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// The pattern of [`Duration::parse`]'s input (a parse can still fail on
/// e.g. "1.2.3s"); `\s` because the text is trimmed.
const DURATION_PATTERN: &str = r"^\s*[0-9_.]*[0-9][0-9_.]*\s*(ns|us|µs|ms|s|min|m|h|d)\s*$";
/// The pattern of [`Size::parse`]'s input.
const SIZE_PATTERN: &str =
    r"^\s*[0-9_.]*[0-9][0-9_.]*\s*(B|k|K|kB|M|MB|G|GB|T|TB|Ki|KiB|Mi|MiB|Gi|GiB|Ti|TiB)?\s*$";
/// The pattern of a Kubernetes quantity as [`super::quantity`] reads it.
const QUANTITY_PATTERN: &str =
    r"^\s*\+?[0-9.]*[0-9][0-9.]*(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei|[eE][+-]?[0-9]+)?\s*$";

/// A string-only schema: `name`, `pattern`, `help` as the description.
fn text_schema(pattern: &str, help: &str) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "pattern": pattern,
        "description": format!("{}{}", help[..1].to_uppercase(), &help[1..]),
    })
}

/// A number or a quantity string, what [`QuantityVisitor`] accepts.
fn quantity_schema(help: &str) -> schemars::Schema {
    schemars::json_schema!({
        "description": help,
        "anyOf": [
            { "type": "number", "minimum": 0 },
            { "type": "string", "pattern": QUANTITY_PATTERN },
        ],
    })
}

impl schemars::JsonSchema for Duration {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Duration".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        text_schema(DURATION_PATTERN, DURATION_HELP)
    }
}

impl schemars::JsonSchema for Size {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Size".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        text_schema(SIZE_PATTERN, SIZE_HELP)
    }
}

/// The JSON Schema of a field read by [`cores`] or [`cores_given`] (used
/// only through `#[schemars(with = ...)]`).
pub(crate) struct Cores;

impl schemars::JsonSchema for Cores {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Cores".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        quantity_schema(CORES_HELP)
    }
}

/// The JSON Schema of a field read by [`mib`] or [`mib_given`].
pub(crate) struct Mebibytes;

impl schemars::JsonSchema for Mebibytes {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Mebibytes".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        quantity_schema(MIB_HELP)
    }
}

/// Reads an optional number or Kubernetes quantity string, in the unit of
/// the field, through `quantity` (text to the field's unit).
struct QuantityVisitor {
    expecting: &'static str,
    quantity: fn(&str) -> Result<f64, String>,
}

impl<'de> Visitor<'de> for QuantityVisitor {
    type Value = Option<f64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        (self.quantity)(v).map(Some).map_err(de::Error::custom)
    }
}

const CORES_HELP: &str = "CPU as cores (0.5) or a Kubernetes quantity (\"250m\", \"2\")";
const MIB_HELP: &str = "memory in MiB (512) or a Kubernetes quantity (\"512Mi\", \"1Gi\", \"1G\")";

fn cores_of(text: &str) -> Result<f64, String> {
    super::quantity::cpu_millicores(text)
        .map(|m| m as f64 / 1000.0)
        .map_err(|e| e.to_string())
}

fn mib_of(text: &str) -> Result<f64, String> {
    super::quantity::memory_bytes(text)
        .map(|b| b as f64 / (1024.0 * 1024.0))
        .map_err(|e| e.to_string())
}

/// An optional CPU amount in cores: a number, or a quantity such as `"250m"`.
pub(crate) fn cores<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_option(QuantityVisitor {
        expecting: CORES_HELP,
        quantity: cores_of,
    })
}

/// A CPU amount in cores that must be given.
pub(crate) fn cores_given<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    cores(d)?.ok_or_else(|| de::Error::custom(format!("expected {CORES_HELP}")))
}

/// An optional memory amount in MiB: a number, or a quantity such as `"512Mi"`.
pub(crate) fn mib<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    d.deserialize_option(QuantityVisitor {
        expecting: MIB_HELP,
        quantity: mib_of,
    })
}

/// A memory amount in MiB that must be given.
pub(crate) fn mib_given<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    mib(d)?.ok_or_else(|| de::Error::custom(format!("expected {MIB_HELP}")))
}

/// An optional integer percentage, as Kubernetes writes utilization targets
/// (`70`); a fraction such as `0.7` is refused with the percentage meant.
pub(crate) fn percent<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u32>, D::Error> {
    struct Percent;
    impl<'de> Visitor<'de> for Percent {
        type Value = Option<u32>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a whole percentage, as Kubernetes' averageUtilization (70)")
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            u32::try_from(v)
                .map(Some)
                .map_err(|_| E::custom(format!("{v} is not a percentage")))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            u64::try_from(v)
                .map_err(|_| E::custom(format!("{v} is not a percentage (at least 0)")))
                .and_then(|v| self.visit_u64(v))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            if v > 0.0 && v <= 1.0 {
                return Err(E::custom(format!(
                    "a percentage is a whole number as in Kubernetes' averageUtilization: write {} for {v}, not {v}",
                    libm::round(v * 100.0)
                )));
            }
            Err(E::custom(format!(
                "a percentage is a whole number as in Kubernetes' averageUtilization (70), found {v}"
            )))
        }
    }
    d.deserialize_option(Percent)
}

/// A Kubernetes `IntOrString` count of pods: a whole number (`3`) or a
/// whole percentage of the desired replicas (`"25%"`), as a Deployment's
/// `maxSurge` and `maxUnavailable` are written.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum IntOrPercent {
    /// That many pods.
    Count(u32),
    /// That percentage of the desired replicas.
    Percent(u32),
}

const INT_OR_PERCENT_HELP: &str =
    "a whole number of pods (3) or a percentage of the replicas (\"25%\")";

impl IntOrPercent {
    /// The pods it stands for out of `replicas`: a percentage rounds up
    /// (`round_up`, as for `maxSurge`) or down (as for `maxUnavailable`),
    /// as the Deployment controller's `GetScaledValueFromIntOrPercent` does.
    pub fn of(self, replicas: u32, round_up: bool) -> u32 {
        match self {
            IntOrPercent::Count(n) => n,
            IntOrPercent::Percent(p) => {
                let scaled = u64::from(p) * u64::from(replicas);
                let pods = if round_up {
                    scaled.div_ceil(100)
                } else {
                    scaled / 100
                };
                u32::try_from(pods).unwrap_or(u32::MAX)
            }
        }
    }

    /// Whether it is zero pods whatever the replicas (`0` or `"0%"`).
    pub fn is_zero(self) -> bool {
        matches!(self, IntOrPercent::Count(0) | IntOrPercent::Percent(0))
    }
}

impl fmt::Display for IntOrPercent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrPercent::Count(n) => write!(f, "{n}"),
            IntOrPercent::Percent(p) => write!(f, "{p}%"),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrPercent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Pods;
        impl Visitor<'_> for Pods {
            type Value = IntOrPercent;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(INT_OR_PERCENT_HELP)
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntOrPercent, E> {
                u32::try_from(v)
                    .map(IntOrPercent::Count)
                    .map_err(|_| E::custom(format!("{v} pods is too many")))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntOrPercent, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("{v} is not {INT_OR_PERCENT_HELP}")))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntOrPercent, E> {
                let bad = || E::custom(format!("`{v}` is not {INT_OR_PERCENT_HELP}"));
                let number = v.trim().strip_suffix('%').ok_or_else(bad)?;
                number
                    .trim()
                    .parse::<u32>()
                    .map(IntOrPercent::Percent)
                    .map_err(|_| bad())
            }
        }
        d.deserialize_any(Pods)
    }
}

impl Serialize for IntOrPercent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            IntOrPercent::Count(n) => s.serialize_u32(*n),
            IntOrPercent::Percent(_) => s.serialize_str(&self.to_string()),
        }
    }
}

impl schemars::JsonSchema for IntOrPercent {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "IntOrPercent".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "description": "A whole number of pods (3) or a percentage of the replicas (\"25%\")",
            "anyOf": [
                { "type": "integer", "minimum": 0 },
                { "type": "string", "pattern": r"^\s*[0-9]+\s*%\s*$" },
            ],
        })
    }
}

/// A relative precision, written as a percentage (`"5%"`, `"2.5%"`): how wide
/// a 95% confidence interval may be on each side, over its estimate.
#[derive(Copy, Clone, Debug, PartialEq, PartialOrd)]
pub struct Precision(f64);

const PRECISION_HELP: &str =
    "a percentage such as \"5%\" or \"2.5%\" (more than 0%, less than 100%)";
const PRECISION_PATTERN: &str = r"^\s*[0-9_.]*[0-9][0-9_.]*\s*%\s*$";

impl Precision {
    /// Reads `"5%"`: a percentage above 0 and below 100.
    pub fn parse(text: &str) -> Result<Precision, UnitError> {
        let bad = || UnitError(format!("\"{text}\" is not {PRECISION_HELP}"));
        let number = text.trim().strip_suffix('%').ok_or_else(bad)?;
        let pct: f64 = number.trim().replace('_', "").parse().map_err(|_| bad())?;
        if !(pct > 0.0 && pct < 100.0) {
            return Err(bad());
        }
        Ok(Precision(pct))
    }

    /// The precision as a fraction (0.05 for 5%).
    pub fn fraction(self) -> f64 {
        self.0 / 100.0
    }

    /// The percentage as written (5 for 5%).
    pub fn percent(self) -> f64 {
        self.0
    }
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

impl<'de> Deserialize<'de> for Precision {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = d.deserialize_str(TextVisitor(PRECISION_HELP))?;
        Precision::parse(&text).map_err(de::Error::custom)
    }
}

impl Serialize for Precision {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl schemars::JsonSchema for Precision {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Precision".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        text_schema(PRECISION_PATTERN, PRECISION_HELP)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Pod {
        #[serde(default, deserialize_with = "cores")]
        cpu: Option<f64>,
        #[serde(default, deserialize_with = "mib")]
        memory: Option<f64>,
        #[serde(default, deserialize_with = "percent")]
        target: Option<u32>,
    }

    fn pod(text: &str) -> Result<Pod, String> {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str::<Pod>(text)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn quantities_as_kubernetes_writes_them_or_plain_numbers() {
        let p = pod(r#"(cpu: "250m", memory: "512Mi", target: 70)"#).unwrap();
        assert_eq!(
            (p.cpu, p.memory, p.target),
            (Some(0.25), Some(512.0), Some(70))
        );
        let p = pod(r#"(cpu: "2", memory: "1G")"#).unwrap();
        assert_eq!(p.cpu, Some(2.0));
        assert!((p.memory.unwrap() - 1e9 / 1048576.0).abs() < 1e-9);
        let p = pod("(cpu: 0.5, memory: 256)").unwrap();
        assert_eq!((p.cpu, p.memory, p.target), (Some(0.5), Some(256.0), None));
        assert!(pod(r#"(cpu: "lots")"#)
            .unwrap_err()
            .contains("not a Kubernetes quantity"));
        let e = pod("(target: 0.7)").unwrap_err();
        assert!(e.contains("write 70 for 0.7"), "{e}");
    }

    #[test]
    fn parses_durations() {
        assert_eq!(Duration::parse("250ms").unwrap().0, Nanos::from_millis(250));
        assert_eq!(Duration::parse("1.5s").unwrap().0, Nanos(1_500_000_000));
        assert_eq!(Duration::parse("5m").unwrap().0, Nanos::from_secs(300));
        assert_eq!(Duration::parse("1h").unwrap().0, Nanos::from_secs(3600));
        assert_eq!(Duration::parse("2d").unwrap().0, Nanos::from_secs(172_800));
        assert_eq!(Duration::parse("40us").unwrap().0, Nanos(40_000));
        assert!(Duration::parse("5").unwrap_err().0.contains("no unit"));
        assert!(Duration::parse("5 parsecs").is_err());
        assert!(Duration::parse("-5s").is_err());
        assert!(Duration::parse("").is_err());
    }

    #[test]
    fn parses_sizes() {
        assert_eq!(Size::parse("512Mi").unwrap().0, 512 << 20);
        assert_eq!(Size::parse("2Gi").unwrap().0, 2 << 30);
        assert_eq!(Size::parse("1500M").unwrap().0, 1_500_000_000);
        assert_eq!(Size::parse("100").unwrap().0, 100);
        assert!(Size::parse("12 bananas").is_err());
        assert_eq!(Size(512 << 20).to_string(), "512Mi");
    }

    #[test]
    fn durations_round_trip_through_text() {
        for text in ["250ms", "5m", "1.5s", "2h"] {
            let d = Duration::parse(text).unwrap();
            assert_eq!(Duration::parse(&d.to_string()).unwrap(), d);
        }
    }

    #[test]
    fn pod_counts_round_as_the_deployment_controller() {
        // GetScaledValueFromIntOrPercent: surge rounds up, unavailable down.
        let p = IntOrPercent::Percent(25);
        assert_eq!((p.of(10, true), p.of(10, false)), (3, 2));
        assert_eq!((p.of(3, true), p.of(3, false)), (1, 0));
        assert_eq!(IntOrPercent::Count(4).of(10, true), 4);
        let read = |t: &str| ron::from_str::<IntOrPercent>(t);
        assert_eq!(read("\"25%\"").unwrap(), p);
        assert_eq!(read("2").unwrap(), IntOrPercent::Count(2));
        assert!(read("\"25\"")
            .unwrap_err()
            .to_string()
            .contains("percentage"));
        assert!(read("-1").is_err());
        assert!(IntOrPercent::Percent(0).is_zero());
    }

    #[test]
    fn a_precision_is_a_percentage_between_0_and_100() {
        let p = Precision::parse(" 2.5% ").unwrap();
        assert_eq!(
            (p.percent(), p.fraction(), p.to_string()),
            (2.5, 0.025, "2.5%".to_owned())
        );
        assert_eq!(Precision::parse("5%").unwrap().to_string(), "5%");
        for bad in ["5", "0%", "100%", "-1%", "x%", "%"] {
            let e = Precision::parse(bad).unwrap_err().0;
            assert!(e.contains("more than 0%"), "{bad}: {e}");
        }
    }
}
