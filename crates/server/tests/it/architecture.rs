//! The layering, checked (ARCHITECTURE.md, "Invariants"): `siyu-app` knows no HTTP server, the web
//! reaches the store only through `siyu-app`, the domain does no IO, and every message to a customer
//! leaves through `siyu_app::outbound`. Dependencies are read from `cargo tree` (which resolves each
//! package's features on its own, as building it alone would); what the compiler cannot forbid —
//! `dyn Store` methods are callable through `AppState` without importing a trait — is found by
//! scanning the sources.

use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// `cargo tree` for one package, normal dependencies only, one entry a line without the tree drawing.
fn cargo_tree(package: &str, extra: &[&str]) -> Vec<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace())
        .args(["tree", "--locked", "--offline", "-p", package, "-e", "normal", "--prefix", "none"])
        .args(extra)
        .output()
        .expect("run cargo tree");
    assert!(out.status.success(), "cargo tree -p {package}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().lines().map(|l| l.trim_end_matches(" (*)").to_owned()).collect()
}

/// The package names on `cargo tree` lines (`name vX.Y.Z …`), feature lines left out.
fn names(lines: &[String]) -> Vec<&str> {
    lines.iter().filter(|l| !l.contains(" feature \"")).filter_map(|l| l.split(' ').next()).collect()
}

/// `siyu-app` and everything it depends on carry no HTTP server and no page templates: no axum, no
/// askama, hyper and hyper-util only as reqwest's client, tower-http only through reqwest (its
/// redirect layer). The fake WeCom server is behind `siyu-wecom`'s `fake` feature, which only the
/// binary and WeCom's own tests turn on.
#[test]
fn the_application_knows_no_http_server() {
    let lines = cargo_tree("siyu-app", &["-e", "features"]);
    let packages = names(&lines);
    assert!(packages.contains(&"siyu-wecom") && packages.contains(&"reqwest"), "the tree was read: {lines:?}");
    let servers: Vec<&&str> = packages.iter().filter(|p| p.starts_with("axum") || p.starts_with("askama")).collect();
    assert!(servers.is_empty(), "siyu-app depends on {servers:?}; HTTP belongs in siyu-web");
    for server_side in ["hyper feature \"server\"", "hyper-util feature \"server\"", "siyu-wecom feature \"fake\""] {
        assert!(!lines.iter().any(|l| l == server_side), "siyu-app's dependencies turn on {server_side}");
    }
    let through = cargo_tree("siyu-app", &["-i", "tower-http", "--depth", "1"]);
    assert_eq!(names(&through)[1..], ["reqwest"], "tower-http reaches siyu-app other than as reqwest's client");
}

/// The web's own dependencies hold no store, no store backend, no database driver and no audience
/// engine: it calls `siyu_app` only.
#[test]
fn the_web_depends_on_the_application_not_the_store() {
    let lines = cargo_tree("siyu-web", &["--depth", "1"]);
    let direct = &names(&lines)[1..];
    assert!(direct.contains(&"siyu-app"), "the tree was read: {direct:?}");
    for below in ["siyu-store", "siyu-store-sqlite", "siyu-store-postgres", "siyu-audience", "sqlx", "rusqlite"] {
        assert!(!direct.contains(&below), "siyu-web depends on {below} directly; it calls siyu_app services only");
    }
}

/// The domain does no IO: its dependencies are time, serialisation and error types, nothing else.
#[test]
fn the_domain_depends_on_nothing_that_does_io() {
    let lines = cargo_tree("siyu-domain", &["--depth", "1"]);
    let direct = &names(&lines)[1..];
    assert_eq!(direct, ["chrono", "serde", "thiserror"], "siyu-domain's dependencies changed");
}

/// The content library's rules are pure like the domain: the domain itself, serialisation and error
/// types, nothing that reaches a store, the network or the clock.
#[test]
fn the_content_rules_depend_on_nothing_that_does_io() {
    let lines = cargo_tree("siyu-content", &["--depth", "1"]);
    let direct = &names(&lines)[1..];
    assert_eq!(direct, ["serde", "siyu-domain", "thiserror"], "siyu-content's dependencies changed");
}

/// Every `.rs` file under `dir`, as (path relative to the workspace, lines).
fn sources(dir: &str) -> Vec<(String, Vec<String>)> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = workspace();
    let mut files = Vec::new();
    walk(&root.join(dir), &mut files);
    files.sort();
    assert!(!files.is_empty(), "no sources under {dir}");
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let rel = p.strip_prefix(&root).unwrap().display().to_string();
            (rel, text.lines().map(str::to_owned).collect())
        })
        .collect()
}

/// A line's code, without a `//` comment (a comment may name what the code must not do).
fn code(line: &str) -> &str {
    line.split("//").next().unwrap_or_default()
}

/// Whether `code` reads the field `.name` (not a method `.name(…)`, not a longer name).
fn reads_field(code: &str, name: &str) -> bool {
    let pat = format!(".{name}");
    code.match_indices(&pat).any(|(i, _)| {
        let next = code[i + pat.len()..].chars().next();
        !next.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '(')
    })
}

/// What in a web source line reaches past the services, if anything.
fn reaches_past_the_services(line: &str) -> Option<&'static str> {
    let code = code(line);
    if reads_field(code, "store") {
        Some("the store (`.store`)")
    } else if reads_field(code, "engine") {
        Some("the audience engine (`.engine`)")
    } else if code.contains("siyu_store") {
        Some("siyu_store")
    } else if code.contains("siyu_audience") {
        Some("siyu_audience")
    } else {
        None
    }
}

#[test]
fn the_scan_tells_a_field_from_a_method() {
    assert!(reaches_past_the_services("let c = state.store.customer(id).await?;").is_some());
    assert!(reaches_past_the_services("lookup(&*state.store, id)").is_some());
    assert!(reaches_past_the_services("let n = state.engine.count(&expr);").is_some());
    assert!(reaches_past_the_services("use siyu_store::Page;").is_some());
    assert!(reaches_past_the_services("self.deadline.passed.store(true, Ordering::Relaxed);").is_none());
    assert!(reaches_past_the_services("let s = state.stored_path;").is_none());
    assert!(reaches_past_the_services("// never `state.store` here").is_none());
}

/// The web never touches the store or the audience engine: it has no dependency on `siyu-store`,
/// but `AppState::store` is a `dyn Store` whose methods need no import, so only the sources tell.
#[test]
fn the_web_never_touches_the_store_or_the_engine() {
    let mut found = Vec::new();
    for (path, lines) in sources("crates/web/src") {
        for (i, line) in lines.iter().enumerate() {
            if let Some(what) = reaches_past_the_services(line) {
                found.push(format!("{path}:{}: reaches {what}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "the web calls siyu_app services only (ARCHITECTURE.md, Invariants):\n{}",
        found.join("\n")
    );
}

/// WeCom's sends that reach a customer: the welcome message, mass messages, Moments, and the
/// hand-over of customers to another staff member (WeCom tells the customer). The names are those
/// of `siyu_wecom`'s client methods and of the endpoints behind them.
const CUSTOMER_SENDS: [&str; 5] =
    ["send_welcome", "add_msg_template", "add_moment_task", "transfer_customer", "send_welcome_msg"];

/// Every message to a customer leaves through `siyu_app::outbound`, where the contact rules live:
/// no other module of the application calls a customer-facing send.
#[test]
fn only_the_outbound_module_sends_to_customers() {
    let mut found = Vec::new();
    let mut in_outbound = 0;
    for (path, lines) in sources("crates/app/src") {
        for (i, line) in lines.iter().enumerate() {
            let Some(send) = CUSTOMER_SENDS.iter().find(|s| code(line).contains(*s)) else { continue };
            if path.ends_with("app/src/outbound.rs") {
                in_outbound += 1;
            } else {
                found.push(format!("{path}:{}: calls {send}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(in_outbound > 0, "the scan finds the welcome's send in outbound.rs");
    assert!(
        found.is_empty(),
        "messages to customers go through siyu_app::outbound (its contact rules), not from here:\n{}",
        found.join("\n")
    );
}

/// The application runs no fake: the demo's customers come in through `wecom::demo::DemoCustomers`,
/// which the binary implements over the fake WeCom.
#[test]
fn the_application_names_no_fake_wecom() {
    let mut found = Vec::new();
    for (path, lines) in sources("crates/app/src") {
        for (i, line) in lines.iter().enumerate() {
            if code(line).contains("siyu_wecom::fake") {
                found.push(format!("{path}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    assert!(found.is_empty(), "siyu-app uses the fake WeCom (only the binary may):\n{}", found.join("\n"));
}
