//! `siyu bench audience`: the audience engine on synthetic customers — build, memory, count latency,
//! materialising ids, tag changes per second — and the same expressions on PostgreSQL with the best
//! indexes we could give it, side by side, as a ratio.

use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use roaring::RoaringBitmap;
use siyu_audience::{Facts, Index};
use siyu_domain::audience::parse;
use sqlx::{ConnectOptions, Connection};

use crate::bench::pct_ms;

const SUB_BRANCHES: [&str; 9] = ["SH01", "SH02", "SH03", "HZ01", "HZ02", "HZ03", "NJ01", "NJ02", "NJ03"];

/// Count runs; each varies its tags so no run repeats another.
const RUNS: u32 = 200;

/// One synthetic customer's attributes, compact (ten million of them are held for the PostgreSQL load).
#[derive(Clone, Copy)]
struct Row {
    aum_tier: u8,
    risk_grade: Option<u8>,
    age: u8,
    payday: Option<u8>,
    female: bool,
    sub: u8,
    credit_card: bool,
    wealth: bool,
    loan: bool,
}

/// The typical six-clause selection of run `run`: a product tag, value tiers, an exclusion, a life stage
/// or payday window, suitability, and a few sub-branches.
fn expression(run: u32) -> (String, u32, u32) {
    let (a, b) = (2 + run % 20, 30 + run % 100);
    let text = format!(
        r#"tag("t{a}") and aum_tier >= 2 and not tag("t{b}") and (age between 30 and 50 or payday in [5, 10]) and risk_grade >= 2 and sub_branch in ["SH01", "SH02", "HZ01"]"#
    );
    (text, a, b)
}

fn sql(a: u32, b: u32) -> String {
    format!(
        "SELECT count(*) FROM bench_audience WHERE tags @> ARRAY[{a}]::int[] AND aum_tier >= 2 AND NOT (tags @> ARRAY[{b}]::int[]) \
         AND (age BETWEEN 30 AND 50 OR payday IN (5, 10)) AND risk_grade >= 2 AND sub_branch IN ('SH01', 'SH02', 'HZ01')"
    )
}

pub async fn run(customers: u32, tags: u32, postgres: Option<&str>) -> anyhow::Result<()> {
    let mut rng = StdRng::seed_from_u64(7);
    let t = Instant::now();
    let rows: Vec<Row> = (0..customers)
        .map(|_| {
            let aum_tier = match rng.gen_range(0..100) {
                0..60 => 1,
                60..85 => 2,
                85..95 => 3,
                95..99 => 4,
                _ => 5,
            };
            Row {
                aum_tier,
                risk_grade: rng.gen_bool(0.7).then(|| rng.gen_range(1..=5)),
                age: rng.gen_range(18..=90),
                payday: rng.gen_bool(0.35).then(|| [5u8, 10, 15, 20, 25][rng.gen_range(0..5)]),
                female: rng.gen_bool(0.5),
                sub: rng.gen_range(0..SUB_BRANCHES.len() as u8),
                credit_card: rng.gen_bool(0.45),
                wealth: aum_tier >= 2 && rng.gen_bool(0.6),
                loan: rng.gen_bool(0.15),
            }
        })
        .collect();
    let mut ix = Index::new();
    ix.begin_bulk();
    let mut f = Facts::default();
    for (id, r) in rows.iter().enumerate() {
        f.id = id as u32;
        f.aum_tier = r.aum_tier;
        f.risk_grade = r.risk_grade;
        f.age = Some(r.age);
        f.payday = r.payday;
        f.gender.clear();
        f.gender.push_str(if r.female { "female" } else { "male" });
        f.sub_branch.clear();
        f.sub_branch.push_str(SUB_BRANCHES[r.sub as usize]);
        f.payroll = r.payday.is_some();
        f.credit_card = r.credit_card;
        f.wealth = r.wealth;
        f.loan = r.loan;
        ix.append(&f);
    }
    ix.finish();
    // Tag k (from 1) is held by about 50%/k of customers: a few broad tags, a long tail of narrow ones.
    let mut members_of: Vec<RoaringBitmap> = Vec::with_capacity(tags as usize);
    for k in 1..=tags {
        let p = 0.5 / f64::from(k);
        let mut members = RoaringBitmap::new();
        let mut id: f64 = -1.0;
        loop {
            // Geometric skip to the next holder.
            let u: f64 = rng.gen_range(f64::MIN_POSITIVE..1.0);
            id += 1.0 + (u.ln() / (1.0 - p).ln()).floor();
            if id >= f64::from(customers) {
                break;
            }
            members.insert(id as u32);
        }
        ix.define_tag(k - 1, &format!("t{k}"));
        ix.load_tag(k - 1, members.clone());
        members_of.push(members);
    }
    let assignments: u64 = members_of.iter().map(RoaringBitmap::len).sum();
    println!("audience.customers: {customers} customers");
    println!("audience.tag_assignments: {assignments} assignments");
    println!("audience.index.build_s: {:.2} s", t.elapsed().as_secs_f64());
    println!("audience.index.memory: {:.1} MiB", ix.size_bytes() as f64 / (1 << 20) as f64);

    let mut times = Vec::new();
    let mut counts = Vec::new();
    for run in 0..RUNS {
        let e = parse(&expression(run).0).map_err(|e| anyhow::anyhow!("{e}"))?;
        let t = Instant::now();
        counts.push(ix.count(&e)?);
        times.push(t.elapsed());
    }
    times.sort();
    let index_p50 = pct_ms(&times, 0.50);
    println!("audience.count.sample: {} customers", counts[0]);
    println!("audience.count.p50: {index_p50:.3} ms");
    println!("audience.count.p99: {:.3} ms", pct_ms(&times, 0.99));

    // The same expressions as a branch manager (three sub-branches) and a customer manager (a thousand
    // customers) count them: within their data scope.
    // (The server scopes a branch by its sub-branches as one more condition, and a manager by the
    // set of their customers.)
    let manager: RoaringBitmap = (0..customers).step_by((customers / 1000).max(1) as usize).collect();
    for who in ["branch", "manager"] {
        let mut times = Vec::new();
        for run in 0..RUNS {
            let e = parse(&expression(run).0).map_err(|e| anyhow::anyhow!("{e}"))?;
            let t = Instant::now();
            if who == "branch" {
                let codes = ["SH01", "SH02", "SH03"].map(|c| siyu_domain::audience::Value::Text(c.into()));
                let in_branch = siyu_domain::audience::Expr::Attr {
                    attr: siyu_domain::audience::Attr::SubBranch,
                    cmp: siyu_domain::audience::Cmp::In(codes.to_vec()),
                };
                ix.count_within(&siyu_domain::audience::Expr::And(vec![e, in_branch]), None)?;
            } else {
                ix.count_within(&e, Some(&manager))?;
            }
            times.push(t.elapsed());
        }
        times.sort();
        println!("audience.count.{who}_scope.p50: {:.3} ms", pct_ms(&times, 0.50));
    }

    // About a million ids: the broadest tag among customers above the mass tier.
    let e = parse(r#"tag("t1") and aum_tier >= 2"#).map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut mats = Vec::new();
    let mut n = 0;
    for _ in 0..20 {
        let t = Instant::now();
        let ids: Vec<u32> = ix.eval(&e)?.iter().collect();
        mats.push(t.elapsed());
        n = ids.len();
    }
    mats.sort();
    println!("audience.materialize.ids: {n} ids");
    println!("audience.materialize.ms: {:.2} ms", pct_ms(&mats, 0.50));

    // Tag changes: random customers gaining and losing random tags.
    let ops = 2_000_000u32;
    let changes: Vec<(u32, u32, bool)> =
        (0..ops).map(|_| (rng.gen_range(0..customers), rng.gen_range(0..tags), rng.gen_bool(0.5))).collect();
    let t = Instant::now();
    for (id, tag, add) in &changes {
        if *add {
            ix.add_tag(*id, *tag);
        } else {
            ix.remove_tag(*id, *tag);
        }
    }
    let secs = t.elapsed().as_secs_f64();
    println!("audience.updates.per_s: {:.0} /s", f64::from(ops) / secs);
    // How long after a change the next count sees it: the change is applied in place before the call
    // that made it returns, so this is one count.
    let probe = parse(r#"tag("t1")"#).map_err(|e| anyhow::anyhow!("{e}"))?;
    let before = ix.count(&probe)?;
    let t = Instant::now();
    let fresh = (0..customers).find(|c| !members_of[0].contains(*c)).unwrap_or(0);
    ix.add_tag(fresh, 0);
    let after = ix.count(&probe)?;
    println!("audience.update_visible.ms: {:.3} ms", t.elapsed().as_secs_f64() * 1000.0);
    anyhow::ensure!(after == before + 1, "a tag change was not counted");

    if let Some(url) = postgres {
        // PostgreSQL gets the data as generated (before the tag changes above), and must agree with the
        // index's counts of it.
        match postgres_side(url, &rows, &members_of, customers, &counts).await {
            Ok(pg_p50) => {
                println!("audience.postgres.count.p50: {pg_p50:.1} ms");
                println!("audience.vs_postgres.speedup: {:.0} x", pg_p50 / index_p50);
            }
            Err(e) => println!("audience.vs_postgres.skipped: {e}"),
        }
    }
    Ok(())
}

/// Loads the same customers into PostgreSQL (once; later runs reuse the table), indexes every column the
/// expression tests plus a GIN index on the tag array, and times the same expressions.
async fn postgres_side(
    url: &str,
    rows: &[Row],
    tags: &[RoaringBitmap],
    customers: u32,
    index_counts: &[u64],
) -> anyhow::Result<f64> {
    // Index builds and a bank-wide count are slow statements by design here: no warnings for them.
    let opts =
        url.parse::<sqlx::postgres::PgConnectOptions>()?.log_slow_statements(log::LevelFilter::Off, Duration::ZERO);
    let mut conn = sqlx::PgConnection::connect_with(&opts).await?;
    sqlx::query("CREATE SCHEMA IF NOT EXISTS siyu_bench").execute(&mut conn).await?;
    sqlx::query("SET search_path TO siyu_bench").execute(&mut conn).await?;
    let have: Option<i64> = sqlx::query_scalar(
        "SELECT (SELECT count(*) FROM bench_audience) WHERE EXISTS (SELECT 1 FROM pg_tables WHERE schemaname = 'siyu_bench' AND tablename = 'bench_audience')",
    )
    .fetch_optional(&mut conn)
    .await
    .ok()
    .flatten();
    if have != Some(i64::from(customers)) {
        let t = Instant::now();
        load(&mut conn, rows, tags).await?;
        println!("audience.postgres.load_s: {:.1} s", t.elapsed().as_secs_f64());
    }
    // Warm the cache and let the planner see fresh statistics.
    sqlx::query(&sql(2, 30)).execute(&mut conn).await?;
    let mut times: Vec<Duration> = Vec::new();
    // Fewer runs than the index: each takes long enough that 20 give a steady median.
    for run in (0..RUNS).step_by(10) {
        let (_, a, b) = expression(run);
        let t = Instant::now();
        let n: i64 = sqlx::query_scalar(&sql(a - 1, b - 1)).fetch_one(&mut conn).await?;
        times.push(t.elapsed());
        anyhow::ensure!(
            u64::try_from(n).ok() == Some(index_counts[run as usize]),
            "PostgreSQL counted {n}, the index {} (run {run})",
            index_counts[run as usize]
        );
    }
    times.sort();
    Ok(pct_ms(&times, 0.50))
}

async fn load(conn: &mut sqlx::PgConnection, rows: &[Row], tags: &[RoaringBitmap]) -> anyhow::Result<()> {
    sqlx::query("DROP TABLE IF EXISTS bench_audience").execute(&mut *conn).await?;
    sqlx::query(
        "CREATE UNLOGGED TABLE bench_audience (id int PRIMARY KEY, aum_tier smallint NOT NULL, risk_grade smallint, \
         age smallint, payday smallint, gender text NOT NULL, sub_branch text NOT NULL, payroll boolean NOT NULL, \
         credit_card boolean NOT NULL, wealth boolean NOT NULL, loan boolean NOT NULL, tags int[] NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    // Each customer's tags, gathered per customer from the per-tag bitmaps (tag k is number k - 1, as
    // in the index).
    let mut starts = vec![0u32; rows.len() + 1];
    for b in tags {
        for id in b {
            starts[id as usize + 1] += 1;
        }
    }
    for i in 1..starts.len() {
        starts[i] += starts[i - 1];
    }
    let mut fill = starts.clone();
    let mut flat = vec![0u16; starts[rows.len()] as usize];
    for (k, b) in tags.iter().enumerate() {
        for id in b {
            flat[fill[id as usize] as usize] = k as u16;
            fill[id as usize] += 1;
        }
    }
    let mut copy = conn.copy_in_raw("COPY bench_audience FROM STDIN").await?;
    let opt = |v: Option<u8>| v.map_or_else(|| "\\N".to_owned(), |v| v.to_string());
    let mut buf = String::with_capacity(8 << 20);
    for (id, r) in rows.iter().enumerate() {
        let t = &flat[starts[id] as usize..starts[id + 1] as usize];
        let list: Vec<String> = t.iter().map(u16::to_string).collect();
        buf.push_str(&format!(
            "{id}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{{{}}}\n",
            r.aum_tier,
            opt(r.risk_grade),
            r.age,
            opt(r.payday),
            if r.female { "female" } else { "male" },
            SUB_BRANCHES[r.sub as usize],
            r.payday.is_some(),
            r.credit_card,
            r.wealth,
            r.loan,
            list.join(",")
        ));
        if buf.len() > (8 << 20) - 512 {
            copy.send(buf.as_bytes()).await?;
            buf.clear();
        }
    }
    copy.send(buf.as_bytes()).await?;
    copy.finish().await?;
    for stmt in [
        "CREATE INDEX ON bench_audience USING gin (tags)",
        "CREATE INDEX ON bench_audience (aum_tier)",
        "CREATE INDEX ON bench_audience (risk_grade)",
        "CREATE INDEX ON bench_audience (age)",
        "CREATE INDEX ON bench_audience (payday)",
        "CREATE INDEX ON bench_audience (sub_branch)",
        "CREATE INDEX ON bench_audience (sub_branch, aum_tier, risk_grade, age)",
        "ANALYZE bench_audience",
    ] {
        sqlx::query(stmt).execute(&mut *conn).await?;
    }
    Ok(())
}
