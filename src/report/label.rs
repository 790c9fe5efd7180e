//! Short labels that the tables and the charts of a report share.

/// Users as a short label: 1K, 10K, 1M.
pub fn users_label(u: f64) -> String {
    if u >= 1e6 && u % 1e6 == 0.0 {
        format!("{}M", u / 1e6)
    } else if u >= 1e3 && u % 1e3 == 0.0 {
        format!("{}K", u / 1e3)
    } else {
        format!("{u}")
    }
}
