//! Prometheus metrics in the text exposition format, kept in process. Each node exposes its
//! own; Prometheus sums them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Duration;

const BUCKETS: [f64; 12] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct RouteStats {
    count_by_status: BTreeMap<u16, u64>,
    buckets: [u64; BUCKETS.len()],
    sum_seconds: f64,
    count: u64,
}

#[derive(Default)]
pub struct Metrics {
    routes: Mutex<BTreeMap<(String, String), RouteStats>>,
}

impl Metrics {
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let Ok(mut routes) = self.routes.lock() else {
            return;
        };
        let stats = routes.entry((method.to_owned(), route.to_owned())).or_default();
        *stats.count_by_status.entry(status).or_default() += 1;
        let secs = elapsed.as_secs_f64();
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                stats.buckets[i] += 1;
            }
        }
        stats.sum_seconds += secs;
        stats.count += 1;
    }

    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# HELP clientele_http_requests_total HTTP requests by route and status.");
        let _ = writeln!(out, "# TYPE clientele_http_requests_total counter");
        let Ok(routes) = self.routes.lock() else {
            return out;
        };
        for ((method, route), s) in routes.iter() {
            for (status, n) in &s.count_by_status {
                let _ = writeln!(
                    out,
                    "clientele_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                    escape(route)
                );
            }
        }
        let _ = writeln!(out, "# HELP clientele_http_request_duration_seconds Time to answer HTTP requests.");
        let _ = writeln!(out, "# TYPE clientele_http_request_duration_seconds histogram");
        for ((method, route), s) in routes.iter() {
            let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ = writeln!(
                    out,
                    "clientele_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}",
                    s.buckets[i]
                );
            }
            let _ = writeln!(out, "clientele_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "clientele_http_request_duration_seconds_sum{{{labels}}} {}", s.sum_seconds);
            let _ = writeln!(out, "clientele_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        for (name, help, value) in extra {
            let _ = writeln!(out, "# HELP {name} {help}");
            let _ = writeln!(out, "# TYPE {name} gauge");
            let _ = writeln!(out, "{name} {value}");
        }
        out
    }
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_histograms() {
        let m = Metrics::default();
        m.observe("GET", "/api/v1/users", 200, Duration::from_millis(3));
        m.observe("GET", "/api/v1/users", 200, Duration::from_millis(30));
        m.observe("GET", "/api/v1/users", 404, Duration::from_millis(1));
        let text = m.render(&[("clientele_up", "Process up.", 1.0)]);
        assert!(text.contains(r#"clientele_http_requests_total{method="GET",route="/api/v1/users",status="200"} 2"#));
        assert!(text.contains(r#"le="0.005"} 2"#));
        assert!(text.contains(r#"le="+Inf"} 3"#));
        assert!(text.contains("clientele_up 1"));
    }
}
