//! Prometheus metrics, hand-rolled: request counts and latencies per route, plus counters the rest of
//! the code bumps. A small table behind a mutex is plenty for a console's traffic.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Latency bucket bounds in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

#[derive(Debug, Default)]
struct RouteStats {
    count: u64,
    sum_secs: f64,
    buckets: [u64; BUCKETS.len()],
}

#[derive(Debug, Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), RouteStats>>,
    pub logins_failed: AtomicU64,
    pub pii_reveals: AtomicU64,
    pub jobs_succeeded: AtomicU64,
    pub jobs_failed: AtomicU64,
    pub import_rows_committed: AtomicU64,
}

impl Metrics {
    pub fn observe(&self, route: &str, method: &str, status: u16, secs: f64) {
        let mut map = self.requests.lock().expect("metrics lock");
        let s = map.entry((route.to_owned(), method.to_owned(), status)).or_default();
        s.count += 1;
        s.sum_secs += secs;
        for (i, b) in BUCKETS.iter().enumerate() {
            if secs <= *b {
                s.buckets[i] += 1;
            }
        }
    }

    /// The Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP siyu_http_requests_total HTTP requests by route, method and status.\n");
        out.push_str("# TYPE siyu_http_requests_total counter\n");
        let map = self.requests.lock().expect("metrics lock");
        for ((route, method, status), s) in map.iter() {
            let _ = writeln!(
                out,
                "siyu_http_requests_total{{route=\"{route}\",method=\"{method}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        out.push_str("# HELP siyu_http_request_duration_seconds HTTP request latency.\n");
        out.push_str("# TYPE siyu_http_request_duration_seconds histogram\n");
        let mut per_route: BTreeMap<(&str, &str), RouteStats> = BTreeMap::new();
        for ((route, method, _), s) in map.iter() {
            let r = per_route.entry((route, method)).or_default();
            r.count += s.count;
            r.sum_secs += s.sum_secs;
            for i in 0..BUCKETS.len() {
                r.buckets[i] += s.buckets[i];
            }
        }
        for ((route, method), s) in per_route {
            let labels = format!("route=\"{route}\",method=\"{method}\"");
            for (i, b) in BUCKETS.iter().enumerate() {
                let _ =
                    writeln!(out, "siyu_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {}", s.buckets[i]);
            }
            let _ = writeln!(out, "siyu_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}", s.count);
            let _ = writeln!(out, "siyu_http_request_duration_seconds_sum{{{labels}}} {}", s.sum_secs);
            let _ = writeln!(out, "siyu_http_request_duration_seconds_count{{{labels}}} {}", s.count);
        }
        let counters = [
            ("siyu_logins_failed_total", "Failed sign-ins.", &self.logins_failed),
            ("siyu_pii_reveals_total", "Personal numbers shown in clear.", &self.pii_reveals),
            ("siyu_jobs_succeeded_total", "Jobs that succeeded.", &self.jobs_succeeded),
            ("siyu_jobs_failed_total", "Job attempts that failed.", &self.jobs_failed),
            ("siyu_import_rows_committed_total", "Customer rows committed by imports.", &self.import_rows_committed),
        ];
        for (name, help, v) in counters {
            let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", v.load(Ordering::Relaxed));
        }
        out
    }
}
