//! The three endpoints of `scenarios/default.ron`, their HTTP routes and the
//! mean CPU work each does per request in that scenario.

use std::fmt;
use std::str::FromStr;

/// One of the service's endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `GET /tenants/{tenant}/projects`: a tenant's latest projects (a database read).
    ListProjects,
    /// `GET /projects/{key}`: one project, cache-aside through L1 and Redis.
    GetProject,
    /// `PUT /projects/{key}`: a database write, then invalidation of both caches.
    UpdateProject,
}

impl Endpoint {
    /// Every endpoint, in a fixed order.
    pub const ALL: [Endpoint; 3] = [
        Endpoint::ListProjects,
        Endpoint::GetProject,
        Endpoint::UpdateProject,
    ];

    /// The scenario's name for it (`list_projects`, ...), also its metric label.
    pub const fn name(self) -> &'static str {
        match self {
            Endpoint::ListProjects => "list_projects",
            Endpoint::GetProject => "get_project",
            Endpoint::UpdateProject => "update_project",
        }
    }

    /// The mean of the scenario's `Compute(Exp(..))` step, in milliseconds.
    pub const fn default_compute_ms(self) -> f64 {
        match self {
            Endpoint::ListProjects => 4.0,
            Endpoint::GetProject => 2.0,
            Endpoint::UpdateProject => 6.0,
        }
    }

    /// The scenario's share of requests.
    pub const fn default_share(self) -> f64 {
        match self {
            Endpoint::ListProjects => 0.70,
            Endpoint::GetProject => 0.20,
            Endpoint::UpdateProject => 0.10,
        }
    }

    /// Position in [`Endpoint::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Endpoint {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Endpoint::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| {
                format!("unknown endpoint {s:?}; valid: list_projects, get_project, update_project")
            })
    }
}

/// A value per endpoint, written `list_projects=4,get_project=2,update_project=6`
/// on the command line; endpoints not named keep their default.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PerEndpoint(pub [f64; 3]);

impl PerEndpoint {
    /// The value for `e`.
    pub fn get(&self, e: Endpoint) -> f64 {
        self.0[e.index()]
    }

    /// Parses `name=value,...` over `defaults`; every value must be finite and >= 0.
    pub fn parse(text: &str, defaults: [f64; 3]) -> Result<PerEndpoint, String> {
        let mut values = defaults;
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?}: expected endpoint=value"))?;
            let e: Endpoint = name.trim().parse()?;
            let v: f64 = value
                .trim()
                .parse()
                .map_err(|_| format!("{part:?}: {value:?} is not a number"))?;
            if !v.is_finite() || v < 0.0 {
                return Err(format!("{part:?}: the value must be a finite number >= 0"));
            }
            values[e.index()] = v;
        }
        Ok(PerEndpoint(values))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Endpoint::ALL {
            assert_eq!(e.name().parse::<Endpoint>(), Ok(e));
        }
        assert!("list".parse::<Endpoint>().is_err());
    }

    #[test]
    fn per_endpoint_overrides_only_what_it_names() {
        let p = PerEndpoint::parse("get_project=3.5", [4.0, 2.0, 6.0]).unwrap();
        assert_eq!(p.0, [4.0, 3.5, 6.0]);
        assert!(PerEndpoint::parse("get_project=-1", [0.0; 3]).is_err());
        assert!(PerEndpoint::parse("get_project", [0.0; 3]).is_err());
        assert!(PerEndpoint::parse("nope=1", [0.0; 3]).is_err());
    }
}
