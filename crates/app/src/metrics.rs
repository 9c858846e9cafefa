//! Prometheus metrics through `prometheus-client`: request counts and latencies per route, plus
//! counters the rest of the code bumps. The exposition is Prometheus' text format 0.0.4 (what every
//! Prometheus scrapes, with the `_total` names on the `# HELP`/`# TYPE` lines as before), not
//! OpenMetrics, so the sample names and the content type stay what scrapers were set up for.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};

/// The `Content-Type` of what [`Metrics::render`] writes.
/// What `/metrics` is served as: Prometheus text 0.0.4, exactly as before the move to
/// `prometheus-client` (whose own constant adds a charset) so scrapers matching the header see no change.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// Latency bucket bounds in seconds.
const BUCKETS: [f64; 10] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0];

/// A request's labels. Every one is bounded: the route is a pattern the router declares (or
/// `unmatched`), the method one of a fixed set (`'static`: the web picks it from its own list), the
/// status one the server chose.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    route: String,
    method: &'static str,
    status: u16,
}

/// A latency's labels: as a request's, without the status (one histogram per route and method).
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    route: String,
    method: &'static str,
}

fn latency_histogram() -> Histogram {
    Histogram::new(BUCKETS)
}

/// The registry and the handles that code bumps. Counters are cheap to clone and safe to share.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pub logins_failed: Counter,
    pub pii_reveals: Counter,
    pub jobs_succeeded: Counter,
    pub jobs_failed: Counter,
    pub import_rows_committed: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram, fn() -> Histogram>::new_with_constructor(latency_histogram);
        let [logins_failed, pii_reveals, jobs_succeeded, jobs_failed, import_rows_committed] =
            std::array::from_fn(|_| Counter::default());
        // Names are registered without `_total` and help without its full stop: the encoder adds
        // both (a counter `siyu_logins_failed` is exposed as `siyu_logins_failed_total`).
        let mut registry = Registry::default();
        registry.register("siyu_http_requests", "HTTP requests by route, method and status", requests.clone());
        registry.register_with_unit(
            "siyu_http_request_duration",
            "HTTP request latency",
            Unit::Seconds,
            latency.clone(),
        );
        let counters = [
            ("siyu_logins_failed", "Failed sign-ins", &logins_failed),
            ("siyu_pii_reveals", "Personal numbers shown in clear", &pii_reveals),
            ("siyu_jobs_succeeded", "Jobs that succeeded", &jobs_succeeded),
            ("siyu_jobs_failed", "Job attempts that failed", &jobs_failed),
            ("siyu_import_rows_committed", "Customer rows committed by imports", &import_rows_committed),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        Self {
            registry,
            requests,
            latency,
            logins_failed,
            pii_reveals,
            jobs_succeeded,
            jobs_failed,
            import_rows_committed,
        }
    }
}

impl Metrics {
    /// Counts one request and its latency.
    pub fn observe(&self, route: &str, method: &'static str, status: u16, secs: f64) {
        self.requests.get_or_create(&RequestLabels { route: route.to_owned(), method, status }).inc();
        self.latency.get_or_create(&RouteLabels { route: route.to_owned(), method }).observe(secs);
    }

    /// The Prometheus text exposition format (served as [`CONTENT_TYPE`]).
    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry)
            .expect("writing to a String cannot fail");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names, help, labels and bucket bounds scrapers and dashboards were built on.
    #[test]
    fn the_exposition_keeps_its_names_labels_and_buckets() {
        let m = Metrics::default();
        m.observe("/customers/{id}", "GET", 200, 0.003);
        m.observe("/customers/{id}", "GET", 404, 2.0);
        m.pii_reveals.inc();
        m.import_rows_committed.inc_by(500);
        let text = m.render();
        let expected = [
            "# HELP siyu_http_requests_total HTTP requests by route, method and status.",
            "# TYPE siyu_http_requests_total counter",
            "siyu_http_requests_total{route=\"/customers/{id}\",method=\"GET\",status=\"200\"} 1",
            "siyu_http_requests_total{route=\"/customers/{id}\",method=\"GET\",status=\"404\"} 1",
            "# HELP siyu_http_request_duration_seconds HTTP request latency.",
            "# TYPE siyu_http_request_duration_seconds histogram",
            "siyu_http_request_duration_seconds_bucket{route=\"/customers/{id}\",method=\"GET\",le=\"0.001\"} 0",
            "siyu_http_request_duration_seconds_bucket{route=\"/customers/{id}\",method=\"GET\",le=\"0.0025\"} 0",
            "siyu_http_request_duration_seconds_bucket{route=\"/customers/{id}\",method=\"GET\",le=\"0.005\"} 1",
            "siyu_http_request_duration_seconds_bucket{route=\"/customers/{id}\",method=\"GET\",le=\"1\"} 1",
            "siyu_http_request_duration_seconds_bucket{route=\"/customers/{id}\",method=\"GET\",le=\"5\"} 2",
            "siyu_http_request_duration_seconds_bucket{route=\"/customers/{id}\",method=\"GET\",le=\"+Inf\"} 2",
            "siyu_http_request_duration_seconds_sum{route=\"/customers/{id}\",method=\"GET\"} 2.003",
            "siyu_http_request_duration_seconds_count{route=\"/customers/{id}\",method=\"GET\"} 2",
            "# HELP siyu_logins_failed_total Failed sign-ins.\n# TYPE siyu_logins_failed_total counter\nsiyu_logins_failed_total 0",
            "# HELP siyu_pii_reveals_total Personal numbers shown in clear.\n# TYPE siyu_pii_reveals_total counter\nsiyu_pii_reveals_total 1",
            "# HELP siyu_jobs_succeeded_total Jobs that succeeded.\n# TYPE siyu_jobs_succeeded_total counter\nsiyu_jobs_succeeded_total 0",
            "# HELP siyu_jobs_failed_total Job attempts that failed.\n# TYPE siyu_jobs_failed_total counter\nsiyu_jobs_failed_total 0",
            "# HELP siyu_import_rows_committed_total Customer rows committed by imports.\n# TYPE siyu_import_rows_committed_total counter\nsiyu_import_rows_committed_total 500",
        ];
        for line in expected {
            assert!(text.contains(&format!("{line}\n")), "missing {line:?} in\n{text}");
        }
        // Ten bounds and +Inf per route and method, nothing else: no OpenMetrics `# EOF`, no `_created`.
        assert_eq!(text.matches("_bucket{").count(), 11, "{text}");
        assert!(!text.contains("# EOF") && !text.contains("_created"), "{text}");
        assert!(CONTENT_TYPE.starts_with("text/plain; version=0.0.4"));
    }
}
