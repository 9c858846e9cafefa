//! A progress bar on standard error, redrawn at most ten times a second.

use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Bar {
    label: String,
    last: Mutex<Option<Instant>>,
}

impl Bar {
    pub fn new(label: &str) -> Self {
        Self { label: label.to_owned(), last: Mutex::new(None) }
    }

    /// Draws `done` of `total` (or a plain count when the total is unknown).
    pub fn set(&self, done: i64, total: Option<i64>) {
        let mut last = self.last.lock().expect("bar lock");
        let finished = total.is_some_and(|t| done >= t);
        if !finished && last.is_some_and(|t| t.elapsed() < Duration::from_millis(100)) {
            return;
        }
        *last = Some(Instant::now());
        let line = match total {
            Some(t) if t > 0 => {
                let pct = (done * 100 / t).clamp(0, 100);
                let filled = (pct / 4) as usize;
                format!("\r{} [{}{}] {pct:>3}% {done}/{t}", self.label, "#".repeat(filled), "-".repeat(25 - filled))
            }
            _ => format!("\r{} {done}", self.label),
        };
        let mut err = std::io::stderr();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
    }

    pub fn finish(&self) {
        eprintln!();
    }
}
