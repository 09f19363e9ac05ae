//! `cargo run --release -p clientele-bench -- platform`
//!
//! Starts the release `clientele` binary against a fresh SQLite database (or the PostgreSQL
//! URL in CLIENTELE_BENCH_DATABASE_URL), and measures what SPEC §5 budgets for the platform:
//! binary size, cold start, idle memory, and request latency/throughput of representative
//! API endpoints. Prints a Markdown table to paste into docs/PERFORMANCE.md.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use std::io::{BufRead, BufReader};

const PASSWORD: &str = "bench-password-123";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn binary() -> PathBuf {
    if let Ok(p) = std::env::var("CLIENTELE_BIN") {
        return PathBuf::from(p);
    }
    let target = std::env::var("CARGO_TARGET_DIR").map(PathBuf::from).unwrap_or_else(|_| repo_root().join("target"));
    target.join("release").join("clientele")
}

struct Env {
    bin: PathBuf,
    dir: PathBuf,
    db_url: String,
}

impl Env {
    /// A benchmark's environment and whether its database is `(kept, reused)`. With
    /// CLIENTELE_BENCH_DIR the database stays there for the next run (generation takes minutes at
    /// scale), and a run that finds one measures it again; otherwise a fresh temporary
    /// directory. CLIENTELE_BENCH_DATABASE_URL points it at PostgreSQL instead of `db_file`.
    fn for_bench(name: &str, db_file: &str) -> anyhow::Result<(Env, bool, bool)> {
        let bin = binary();
        if !bin.exists() {
            bail!("{} not found: run `cargo build --release` first (or set CLIENTELE_BIN)", bin.display());
        }
        let keep = std::env::var("CLIENTELE_BENCH_DIR").ok().map(PathBuf::from);
        let kept = keep.is_some();
        let dir =
            keep.unwrap_or_else(|| std::env::temp_dir().join(format!("clientele-bench-{name}-{}", std::process::id())));
        std::fs::create_dir_all(&dir)?;
        let db_url = std::env::var("CLIENTELE_BENCH_DATABASE_URL")
            .unwrap_or_else(|_| format!("sqlite://{}", dir.join(db_file).display()));
        let reuse = kept && dir.join(db_file).exists();
        Ok((Env { bin, dir, db_url }, kept, reuse))
    }

    /// Removes the temporary directory of a benchmark whose database is not kept.
    fn clean_up(&self, kept: bool) {
        if !kept {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn backend(&self) -> &'static str {
        if self.db_url.starts_with("postgres") { "PostgreSQL" } else { "SQLite" }
    }

    /// A new API token of the user with this e-mail.
    fn token(&self, email: &str) -> anyhow::Result<String> {
        Ok(self.cli(&["token", "create", "--user", email, "--name", "bench"], None)?.trim().to_owned())
    }

    fn cli(&self, args: &[&str], stdin: Option<&str>) -> anyhow::Result<String> {
        use std::io::Write;
        let mut child = Command::new(&self.bin)
            .args(args)
            .current_dir(&self.dir)
            .env("CLIENTELE_DATABASE_URL", &self.db_url)
            .env("CLIENTELE_LOG", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        if let (Some(input), Some(mut pipe)) = (stdin, child.stdin.take()) {
            pipe.write_all(input.as_bytes())?;
        }
        let out = child.wait_with_output()?;
        if !out.status.success() {
            bail!("clientele {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    /// Starts `serve` on a free port; returns the child, its URL and the time until the URL
    /// answered /readyz.
    async fn serve(&self) -> anyhow::Result<(Child, String, Duration)> {
        let started = Instant::now();
        let mut child = Command::new(&self.bin)
            .args(["serve", "--listen", "127.0.0.1:0", "--no-worker"])
            .current_dir(&self.dir)
            .env("CLIENTELE_DATABASE_URL", &self.db_url)
            .env("CLIENTELE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let stdout = child.stdout.take().context("stdout")?;
        // The address is printed once; a thread reads it (and drains the rest) off the pipe.
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("running at ").nth(1) {
                    let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_owned());
                }
            }
        });
        let url = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(30)))
            .await?
            .context("server did not print its address within 30 s")?;
        let client = reqwest::Client::new();
        loop {
            if client.get(format!("{url}/readyz")).send().await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        Ok((child, url, started.elapsed()))
    }
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

struct LoadResult {
    requests: usize,
    errors: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl LoadResult {
    fn pct(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        self.latencies[i].as_secs_f64() * 1000.0
    }
}

/// `concurrency` clients hammer `url` for `duration`.
async fn load(url: &str, token: &str, concurrency: usize, duration: Duration) -> LoadResult {
    let client = reqwest::Client::builder().pool_max_idle_per_host(concurrency).build().unwrap_or_default();
    let deadline = Instant::now() + duration;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let client = client.clone();
        let url = url.to_owned();
        let auth = format!("Bearer {token}");
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let mut errors = 0;
            while Instant::now() < deadline {
                let t = Instant::now();
                match client.get(&url).header("authorization", &auth).send().await {
                    Ok(r) if r.status().is_success() => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut latencies = Vec::new();
    let mut errors = 0;
    for t in tasks {
        if let Ok((l, e)) = t.await {
            latencies.extend(l);
            errors += e;
        }
    }
    latencies.sort();
    LoadResult { requests: latencies.len(), errors, elapsed: started.elapsed(), latencies }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let what = std::env::args().nth(1).unwrap_or_else(|| "platform".into());
    match what.as_str() {
        "platform" => platform().await,
        "clients" => {
            let scale = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000usize);
            clients(scale).await
        }
        "import" => {
            let xlsx = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(50_000usize);
            let csv = std::env::args().nth(3).and_then(|s| s.parse().ok()).unwrap_or(1_000_000usize);
            import(xlsx, csv)
        }
        "board" => {
            let deals = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(100_000usize);
            board(deals).await
        }
        "reports" => {
            let deals = std::env::args().nth(2).map(|s| s.parse()).transpose()?.unwrap_or(1_000_000);
            reports(deals).await
        }
        "report-builder" => {
            let deals = std::env::args().nth(2).and_then(|s| s.parse().ok()).unwrap_or(1_000_000usize);
            report_builder(deals).await
        }
        _ => bail!(
            "usage: clientele-bench platform | clients [SCALE] | import [XLSX_ROWS] [CSV_ROWS] | board [DEALS] | reports [DEALS] | report-builder [DEALS]"
        ),
    }
}

/// Percentiles (ms) of a set of latencies.
fn pcts(mut lat: Vec<Duration>) -> (f64, f64, f64) {
    lat.sort();
    let at = |p: f64| {
        if lat.is_empty() {
            return f64::NAN;
        }
        lat[((lat.len() as f64 - 1.0) * p).round() as usize].as_secs_f64() * 1000.0
    };
    (at(0.5), at(0.95), at(0.99))
}

/// Runs `queries` one after another (search-as-you-type is one person typing).
async fn sequential(client: &reqwest::Client, token: &str, urls: &[String]) -> (Vec<Duration>, usize) {
    let mut lat = Vec::with_capacity(urls.len());
    let mut errors = 0;
    for u in urls {
        let t = Instant::now();
        match client.get(u).bearer_auth(token).send().await {
            Ok(r) if r.status().is_success() => {
                let _ = r.bytes().await;
                lat.push(t.elapsed());
            }
            _ => errors += 1,
        }
    }
    (lat, errors)
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Client base at scale: generate `scale` contacts, then measure search-as-you-type and
/// list pages through the API.
async fn clients(scale: usize) -> anyhow::Result<()> {
    let (env, kept, reuse) = Env::for_bench("clients", "bench.db")?;
    let started = Instant::now();
    if !reuse {
        env.cli(&["demo", "--scale", &scale.to_string()], None)?;
    }
    let generate_s = started.elapsed().as_secs_f64();
    let admin = env.token("admin@clientele.test")?;
    let manager = env.token("maria@clientele.test")?;
    let (mut child, url, _) = env.serve().await?;
    let client = reqwest::Client::new();

    // Sample real records to build realistic queries from.
    let mut sample: Vec<serde_json::Value> = Vec::new();
    for sort in ["name", "-name", "created_at", "-updated_at"] {
        let page: serde_json::Value = client
            .get(format!("{url}/api/v1/contacts?limit=250&sort={sort}"))
            .bearer_auth(&admin)
            .send()
            .await?
            .json()
            .await?;
        sample.extend(page["data"].as_array().cloned().unwrap_or_default());
    }
    let mut searches: Vec<String> = Vec::new();
    for (i, c) in sample.iter().enumerate() {
        let name = c["display_name"].as_str().unwrap_or("");
        let chars: Vec<char> = name.chars().collect();
        let q = match i % 5 {
            // Typing a name: 2, 3, 4 letters of it.
            0 => chars.iter().take(2).collect::<String>(),
            1 => chars.iter().take(4).collect::<String>(),
            2 => c["last_name"].as_str().unwrap_or(name).chars().take(3).collect::<String>(),
            // A phone as the user typed it.
            3 => c["phones"][0]["number"].as_str().unwrap_or("+7 495").to_owned(),
            _ => c["emails"][0]["address"].as_str().unwrap_or("info").split('@').next().unwrap_or("info").to_owned(),
        };
        searches.push(format!("{url}/api/v1/search?q={}", enc(&q)));
    }
    // Warm up caches the way a running server is warm.
    let _ = sequential(&client, &admin, &searches[..100.min(searches.len())]).await;
    let (search_lat, search_err) = sequential(&client, &admin, &searches).await;
    // Per kind of query (the i-th query is of kind i % 5).
    let kinds = [
        "2 letters of a name",
        "4 letters of a name",
        "3 letters of a surname",
        "a phone as typed",
        "an e-mail's local part",
    ];
    let mut by_kind: Vec<Vec<Duration>> = vec![Vec::new(); 5];
    if search_err == 0 {
        for (i, d) in search_lat.iter().enumerate() {
            by_kind[i % 5].push(*d);
        }
    }
    let (s50, s95, s99) = pcts(search_lat);

    // List pages: first pages and deep pages (following cursors), several sorts and filters.
    let mut pages: Vec<String> = Vec::new();
    for sort in ["-updated_at", "name", "created_at"] {
        let mut cursor: Option<String> = None;
        for _ in 0..30 {
            let u = match &cursor {
                Some(c) => format!("{url}/api/v1/contacts?limit=50&sort={sort}&cursor={c}"),
                None => format!("{url}/api/v1/contacts?limit=50&sort={sort}"),
            };
            pages.push(u.clone());
            let p: serde_json::Value = client.get(&u).bearer_auth(&admin).send().await?.json().await?;
            cursor = p["next_cursor"].as_str().map(str::to_owned);
            if cursor.is_none() {
                break;
            }
        }
    }
    let lifecycle = enc(r#"{"field":"lifecycle","op":"eq","value":"customer"}"#);
    pages.push(format!("{url}/api/v1/contacts?limit=50&filter={lifecycle}"));
    let (l50, l95, l99) = pcts(sequential(&client, &admin, &pages).await.0);
    let (m50, m95, m99) = pcts(sequential(&client, &manager, &pages[..30.min(pages.len())]).await.0);
    let first_id = sample.first().and_then(|c| c["id"].as_str()).unwrap_or_default().to_owned();

    let concurrency = 16;
    let secs = Duration::from_secs(10);
    let list_load = load(&format!("{url}/api/v1/contacts?limit=50"), &admin, concurrency, secs).await;
    let get_load = load(&format!("{url}/api/v1/contacts/{first_id}"), &admin, concurrency, secs).await;
    let rss = rss_mb(child.id());
    child.kill()?;
    child.wait()?;
    let db_mb = std::fs::metadata(env.dir.join("bench.db")).map(|m| m.len() as f64 / 1_048_576.0).unwrap_or(f64::NAN);
    env.clean_up(kept);

    let backend = env.backend();
    println!("Client base at {scale} contacts ({backend}).");
    println!();
    println!("| metric | value |");
    println!("| --- | --- |");
    println!(
        "| generate and load (`clientele demo --scale {scale}`) | {generate_s:.1} s ({:.0} contacts/s) |",
        scale as f64 / generate_s
    );
    println!("| database size (SQLite file) | {db_mb:.0} MB |");
    println!(
        "| search-as-you-type, {} queries one after another (names, phones as typed, e-mails): p50 / p95 / p99 | {s50:.2} / {s95:.2} / {s99:.2} ms ({search_err} errors) |",
        searches.len()
    );
    for (k, lat) in kinds.iter().zip(by_kind) {
        let (a, b, c) = pcts(lat);
        println!("| search: {k}: p50 / p95 / p99 | {a:.2} / {b:.2} / {c:.2} ms |");
    }
    println!(
        "| list page of 50, {} pages (first and deep pages, 3 sorts, a filter), admin: p50 / p95 / p99 | {l50:.2} / {l95:.2} / {l99:.2} ms |",
        pages.len()
    );
    println!("| list page of 50, a manager (own records only): p50 / p95 / p99 | {m50:.2} / {m95:.2} / {m99:.2} ms |");
    println!(
        "| GET /api/v1/contacts?limit=50 under load ({concurrency} clients, {} s) | {:.0} req/s, p99 {:.2} ms, {} errors |",
        secs.as_secs(),
        list_load.requests as f64 / list_load.elapsed.as_secs_f64(),
        list_load.pct(0.99),
        list_load.errors
    );
    println!(
        "| GET /api/v1/contacts/{{id}} under load ({concurrency} clients, {} s) | {:.0} req/s, p99 {:.2} ms, {} errors |",
        secs.as_secs(),
        get_load.requests as f64 / get_load.elapsed.as_secs_f64(),
        get_load.pct(0.99),
        get_load.errors
    );
    println!("| server RSS after the runs | {rss:.0} MB |");
    Ok(())
}

async fn platform() -> anyhow::Result<()> {
    let bin = binary();
    if !bin.exists() {
        bail!("{} not found: run `cargo build --release` first (or set CLIENTELE_BIN)", bin.display());
    }
    let dir = std::env::temp_dir().join(format!("clientele-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let db_url = std::env::var("CLIENTELE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.join("bench.db").display()));
    let env = Env { bin: bin.clone(), dir: dir.clone(), db_url };
    let size_mb = std::fs::metadata(&bin)?.len() as f64 / 1_048_576.0;

    // Cold start on an empty database (includes creating the schema), then on an existing one.
    let (mut child, _, first_start) = env.serve().await?;
    child.kill()?;
    child.wait()?;
    let mut warm = Vec::new();
    for _ in 0..5 {
        let (mut child, _, t) = env.serve().await?;
        warm.push(t);
        child.kill()?;
        child.wait()?;
    }
    warm.sort();
    let cold_start = warm[warm.len() / 2];

    // Data: 50 users (a full list page; the first an administrator, who may read the audit
    // log) and an API token.
    for i in 0..50 {
        env.cli(
            &[
                "user",
                "add",
                "--email",
                &format!("u{i:02}@bench.test"),
                "--name",
                &format!("Bench User {i:02}"),
                "--role",
                if i == 0 { "admin" } else { "manager" },
                "--password-stdin",
            ],
            Some(&format!("{PASSWORD}\n")),
        )?;
    }
    let token = env.cli(&["token", "create", "--user", "u00@bench.test", "--name", "bench"], None)?.trim().to_owned();

    let (mut child, url, _) = env.serve().await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = rss_mb(child.id());
    let me: serde_json::Value =
        reqwest::Client::new().get(format!("{url}/api/v1/auth/me")).bearer_auth(&token).send().await?.json().await?;
    let user_id = me["user"]["id"].as_str().context("user id")?.to_owned();

    let concurrency = 16;
    let secs = Duration::from_secs(5);
    let cases = [
        ("GET /healthz", format!("{url}/healthz")),
        ("GET /api/v1/users/{id}", format!("{url}/api/v1/users/{user_id}")),
        ("GET /api/v1/users?limit=50", format!("{url}/api/v1/users?limit=50")),
        ("GET /api/v1/audit?limit=50", format!("{url}/api/v1/audit?limit=50")),
    ];
    let mut rows = Vec::new();
    for (name, u) in &cases {
        let r = load(u, &token, concurrency, secs).await;
        rows.push((name.to_string(), r));
    }
    let loaded_rss = rss_mb(child.id());
    child.kill()?;
    child.wait()?;
    let _ = std::fs::remove_dir_all(&dir);

    println!("| metric | value |");
    println!("| --- | --- |");
    println!("| binary size (release, stripped) | {size_mb:.1} MB |");
    println!("| first start on an empty database (schema created) | {:.0} ms |", first_start.as_secs_f64() * 1000.0);
    println!("| cold start to /readyz (median of 5) | {:.0} ms |", cold_start.as_secs_f64() * 1000.0);
    println!("| idle RSS after start | {idle_rss:.1} MB |");
    println!("| RSS after the load below | {loaded_rss:.1} MB |");
    println!();
    println!(
        "Load: {concurrency} concurrent clients, {} s per endpoint, bearer API token, same machine.",
        secs.as_secs()
    );
    println!();
    println!("| endpoint | req/s | p50 ms | p95 ms | p99 ms | errors |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (name, r) in rows {
        println!(
            "| {name} | {:.0} | {:.2} | {:.2} | {:.2} | {} |",
            r.requests as f64 / r.elapsed.as_secs_f64(),
            r.pct(0.50),
            r.pct(0.95),
            r.pct(0.99),
            r.errors
        );
    }
    Ok(())
}

/// Peak resident memory (VmHWM) of a process, in MiB.
fn peak_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// A realistic contact row: Russian, French and Korean names and phones in local notation,
/// company, e-mail, city, tags. Deterministic in `i`.
fn import_row(i: usize) -> Vec<String> {
    const FIRST: [&str; 8] = ["Иван", "Мария", "Élodie", "Jean", "민준", "서연", "Олег", "Camille"];
    const LAST: [&str; 8] = ["Иванов", "Смирнова", "Dupont", "Martin", "김", "이", "Петров", "Bernard"];
    const CITY: [&str; 4] = ["Москва", "Paris", "서울", "Санкт-Петербург"];
    let n = i % 8;
    // Numbers valid in their country, written the way people type them (region RU default).
    let phone = match i % 3 {
        0 => format!("8 (495) {:03}-{:02}-{:02}", 100 + (i / 10_000) % 900, (i / 100) % 100, i % 100),
        1 => format!(
            "+33 6 {:02} {:02} {:02} {:02}",
            10 + (i / 1_000_000) % 90,
            (i / 10_000) % 100,
            (i / 100) % 100,
            i % 100
        ),
        _ => format!("+82 10-{:04}-{:04}", 1000 + (i / 10_000) % 9000, i % 10_000),
    };
    vec![
        FIRST[n].to_owned(),
        LAST[n].to_owned(),
        phone,
        format!("person{i}@example{}.test", i % 97),
        format!("Компания {}", i / 7),
        CITY[i % 4].to_owned(),
        if i.is_multiple_of(5) { "vip, import".to_owned() } else { "import".to_owned() },
    ]
}

const IMPORT_HEADERS: [&str; 7] = ["Имя", "Фамилия", "Телефон", "E-mail", "Компания", "Город", "Теги"];

/// Imports a generated file with `clientele import` into a fresh database; wall time and peak RSS.
fn run_import(env: &Env, file: &Path) -> anyhow::Result<(f64, f64, String)> {
    let started = Instant::now();
    let mut child = Command::new(&env.bin)
        .args(["import", &file.display().to_string(), "--region", "RU", "--duplicates", "create"])
        .current_dir(&env.dir)
        .env("CLIENTELE_DATABASE_URL", &env.db_url)
        .env("CLIENTELE_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let mut peak = 0.0_f64;
    loop {
        let m = peak_mb(pid);
        if m.is_finite() {
            peak = peak.max(m);
        }
        if child.try_wait()?.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let secs = started.elapsed().as_secs_f64();
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("import of {} failed", file.display());
    }
    Ok((secs, peak, String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_owned()))
}

fn import(xlsx_rows: usize, csv_rows: usize) -> anyhow::Result<()> {
    let bin = binary();
    if !bin.exists() {
        bail!("{} not found: run `cargo build --release` first (or set CLIENTELE_BIN)", bin.display());
    }
    let dir = std::env::temp_dir().join(format!("clientele-bench-import-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    println!("| measure | figure |\n|---|---|");
    for (name, rows) in [("contacts.xlsx", xlsx_rows), ("contacts.csv", csv_rows)] {
        if rows == 0 {
            continue;
        }
        let file = dir.join(name);
        if name.ends_with(".xlsx") {
            let mut w = clientele_io::XlsxOut::new("Contacts")?;
            w.write_header(&IMPORT_HEADERS)?;
            for i in 0..rows {
                w.write_row(import_row(i))?;
            }
            std::fs::write(&file, w.finish()?)?;
        } else {
            let f = std::io::BufWriter::new(std::fs::File::create(&file)?);
            let mut w = clientele_io::CsvOut::new(f, b';', false);
            w.write_row(IMPORT_HEADERS)?;
            for i in 0..rows {
                w.write_row(import_row(i))?;
            }
            w.finish()?;
        }
        let size = std::fs::metadata(&file)?.len() as f64 / 1_048_576.0;
        let db = dir.join(format!("{name}.db"));
        let db_url =
            std::env::var("CLIENTELE_BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}", db.display()));
        let env = Env { bin: bin.clone(), dir: dir.clone(), db_url };
        env.cli(&["migrate"], None)?;
        env.cli(
            &["user", "add", "--email", "admin@bench.test", "--name", "Bench", "--role", "admin", "--password-stdin"],
            Some(PASSWORD),
        )?;
        let (secs, peak, summary) = run_import(&env, &file)?;
        println!(
            "| import {rows} contacts from {name} ({size:.1} MiB) | {secs:.1} s ({:.0} rows/s), peak RSS {peak:.0} MiB |",
            rows as f64 / secs
        );
        eprintln!("{summary}");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

/// The kanban board of a pipeline with `deals` open deals: the API board (first page of every
/// column with counts and sums) and the web page that renders it, for an administrator and for
/// a manager (own deals only), one after another and under load.
async fn board(deals: usize) -> anyhow::Result<()> {
    let (env, kept, reuse) = Env::for_bench("board", "board.db")?;
    let started = Instant::now();
    if !reuse {
        env.cli(&["demo", "--scale", "2000", "--deals", &deals.to_string()], None)?;
    }
    let generate_s = started.elapsed().as_secs_f64();
    let admin = env.token("admin@clientele.test")?;
    let manager = env.token("maria@clientele.test")?;
    let (mut child, url, _) = env.serve().await?;
    let client = reqwest::Client::new();
    let pipelines: serde_json::Value =
        client.get(format!("{url}/api/v1/pipelines")).bearer_auth(&admin).send().await?.json().await?;
    let pid =
        pipelines["data"][0]["id"].as_str().or_else(|| pipelines[0]["id"].as_str()).context("no pipeline")?.to_owned();
    let api = format!("{url}/api/v1/pipelines/{pid}/board?limit=20");
    let first: serde_json::Value = client.get(&api).bearer_auth(&admin).send().await?.json().await?;
    let total = first["total_count"].as_i64().unwrap_or(0);

    // The web page, signed in as the demo administrator (session cookie).
    let web = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build()?;
    let form = web.get(format!("{url}/login")).send().await?.text().await?;
    let csrf = form
        .split("name=\"_csrf\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .context("the sign-in form has no CSRF token")?
        .to_owned();
    let login = web
        .post(format!("{url}/login"))
        .form(&[("email", "admin@clientele.test"), ("password", "demo-password"), ("_csrf", csrf.as_str())])
        .send()
        .await?;
    if !login.status().is_redirection() {
        bail!("signing in to the web UI failed: {}", login.status());
    }
    let page_url = format!("{url}/deals?pipeline={pid}");
    let page_bytes = web.get(&page_url).send().await?.bytes().await?.len();

    let rounds = 200;
    let api_urls: Vec<String> = (0..rounds).map(|_| api.clone()).collect();
    let _ = sequential(&client, &admin, &api_urls[..20]).await;
    let (api_lat, api_err) = sequential(&client, &admin, &api_urls).await;
    let (m_lat, m_err) = sequential(&client, &manager, &api_urls).await;
    let mut page_lat = Vec::with_capacity(rounds);
    let mut page_err = 0;
    for i in 0..rounds + 20 {
        let t = Instant::now();
        match web.get(&page_url).send().await {
            Ok(r) if r.status().is_success() => {
                let _ = r.bytes().await;
                if i >= 20 {
                    page_lat.push(t.elapsed());
                }
            }
            _ => page_err += 1,
        }
    }
    let under_load = load(&api, &admin, 16, Duration::from_secs(10)).await;
    let rss = rss_mb(child.id());
    let _ = child.kill();
    let _ = child.wait();
    env.clean_up(kept);

    let backend = env.backend();
    let (a50, a95, a99) = pcts(api_lat);
    let (m50, m95, m99) = pcts(m_lat);
    let (p50, p95, p99) = pcts(page_lat);
    println!("Kanban board with {total} open deals ({backend}).\n");
    println!("| metric | value |\n| --- | --- |");
    if !reuse {
        println!("| generate 2,000 contacts and {deals} deals (`clientele demo --deals`) | {generate_s:.1} s |");
    }
    println!(
        "| GET /api/v1/pipelines/{{id}}/board (4 columns of 20, counts and sums), admin, {rounds} one after another: p50 / p95 / p99 | {a50:.2} / {a95:.2} / {a99:.2} ms ({api_err} errors) |"
    );
    println!(
        "| the same board for a manager (own deals only): p50 / p95 / p99 | {m50:.2} / {m95:.2} / {m99:.2} ms ({m_err} errors) |"
    );
    println!(
        "| web page /deals (server render, {} KB), admin: p50 / p95 / p99 | {p50:.2} / {p95:.2} / {p99:.2} ms ({page_err} errors) |",
        page_bytes / 1024
    );
    println!(
        "| API board under load (16 clients, 10 s) | {:.0} req/s, p99 {:.2} ms, {} errors |",
        under_load.requests as f64 / under_load.elapsed.as_secs_f64(),
        under_load.pct(0.99),
        under_load.errors
    );
    println!("| server RSS after the runs | {rss:.0} MB |");
    Ok(())
}

/// The standard reports over `deals` deals with their stage history (generated in bulk by the
/// store: paths that skip stages, move back, are lost, reopened and won again), each asked
/// for by an administrator through the API over the whole year of data and over the last 30
/// days: the first answer, then the median and the slowest of five more
/// (`CLIENTELE_BENCH_RUNS` changes how many).
async fn reports(deals: usize) -> anyhow::Result<()> {
    let (env, kept, reuse) = Env::for_bench("reports", "reports.db")?;
    let mut generate_s = None;
    if !reuse {
        env.cli(&["demo", "--scale", "2000"], None)?;
        let store = clientele_store::connect(
            &clientele_store::DatabaseUrl::new(env.db_url.clone()),
            &clientele_store::PoolSettings::default(),
        )
        .await?;
        let started = Instant::now();
        store.generate_report_deals(deals).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
        generate_s = Some(started.elapsed().as_secs_f64());
        store.db().close().await;
    }
    let admin = env.token("admin@clientele.test")?;
    let (mut child, url, _) = env.serve().await?;
    let client = reqwest::Client::new();
    let today = chrono::Utc::now().date_naive();
    let year = format!("from={}&to={today}&tz=UTC", today - chrono::Duration::days(400));
    let month = format!("from={}&to={today}&tz=UTC", today - chrono::Duration::days(29));
    let cases: Vec<(&str, String)> = vec![
        ("funnel (whole data)", format!("/reports/funnel?{year}")),
        ("funnel, last 30 days", format!("/reports/funnel?{month}")),
        ("funnel by source, last 30 days", format!("/reports/funnel?{month}&slice=source")),
        ("sales (whole data)", format!("/reports/sales?{year}")),
        ("sales, last 30 days", format!("/reports/sales?{month}")),
        ("dynamics by day, last 30 days", format!("/reports/sales/dynamics?{month}")),
        ("dynamics by month (whole data)", format!("/reports/sales/dynamics?{year}&granularity=month")),
        ("managers' daily payments", "/reports/managers/daily".to_owned()),
        ("managers' activity, last 30 days", format!("/reports/managers/activity?{month}")),
        ("plan/fact, last 30 days", format!("/reports/plan-fact?{month}")),
        ("ABC/XYZ of clients by month (whole data)", format!("/reports/abc-xyz?{year}&limit=10")),
        ("churn, last 30 days", format!("/reports/churn?{month}")),
        ("segments by source (whole data)", format!("/reports/segments?{year}")),
        ("head-of-sales dashboard, last 30 days", format!("/dashboards/head-of-sales/data?{month}")),
    ];
    let backend = env.backend();
    println!("Standard reports over {deals} deals with stage history ({backend}).\n");
    if let Some(s) = generate_s {
        println!("Generating the deals and their history took {s:.1} s.\n");
    }
    let runs: usize = std::env::var("CLIENTELE_BENCH_RUNS").ok().and_then(|s| s.parse().ok()).unwrap_or(5).max(1);
    println!("| report | first | median of {runs} | slowest of {runs} |\n| --- | --- | --- | --- |");
    for (name, path) in cases {
        let u = format!("{url}/api/v1{path}");
        let mut times = Vec::new();
        for _ in 0..=runs {
            let t = Instant::now();
            let r = client.get(&u).bearer_auth(&admin).send().await?;
            let status = r.status();
            let _ = r.bytes().await?;
            if !status.is_success() {
                bail!("{path}: {status}");
            }
            times.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        let first = times[0];
        let mut rest = times[1..].to_vec();
        rest.sort_by(|a, b| a.total_cmp(b));
        println!("| {name} | {first:.0} ms | {:.0} ms | {:.0} ms |", rest[rest.len() / 2], rest[rest.len() - 1]);
    }
    let _ = child.kill();
    let _ = child.wait();
    env.clean_up(kept);
    Ok(())
}

/// `report-builder [DEALS]`: grouped deal reports of the report builder over a generated set
/// (`clientele demo --deals`), through `POST /api/v1/report-builder/run`, as the administrator
/// (every deal) and as a manager (own deals, the scope in the same query).
async fn report_builder(deals: usize) -> anyhow::Result<()> {
    let (env, kept, reuse) = Env::for_bench("rb", "report-builder.db")?;
    let started = Instant::now();
    if !reuse {
        env.cli(&["demo", "--scale", "2000", "--deals", &deals.to_string()], None)?;
    }
    let generate_s = started.elapsed().as_secs_f64();
    let admin = env.token("admin@clientele.test")?;
    let manager = env.token("maria@clientele.test")?;
    let (mut child, url, _) = env.serve().await?;
    let client = reqwest::Client::new();
    let run = format!("{url}/api/v1/report-builder/run");
    let reports: Vec<(&str, serde_json::Value)> = vec![
        (
            "deals by month × owner: count, sum, median of the amount (Europe/Paris buckets)",
            serde_json::json!({"entity": "deal", "time_zone": "Europe/Paris",
                "group_by": [{"field": "created_at", "bucket": "month"}, {"field": "owner.name"}],
                "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}, {"fn": "median", "field": "amount"}],
                "limit": 10000}),
        ),
        (
            "deals by company industry (a lookup) × status: count, avg amount",
            serde_json::json!({"entity": "deal", "group_by": [{"field": "company.industry"}, {"field": "status"}],
                "aggregates": [{"fn": "count"}, {"fn": "avg", "field": "amount"}]}),
        ),
        (
            "open deals by stage, filtered: count, sum, max amount",
            serde_json::json!({"entity": "deal", "group_by": [{"field": "stage.name"}],
                "filter": {"field": "status", "op": "eq", "value": "open"},
                "aggregates": [{"fn": "count"}, {"fn": "sum", "field": "amount"}, {"fn": "max", "field": "amount"}]}),
        ),
    ];
    let mut lines = Vec::new();
    for (name, def) in &reports {
        for (who, token) in [("admin", &admin), ("manager", &manager)] {
            let mut times = Vec::new();
            let mut groups = 0;
            for _ in 0..5 {
                let t = Instant::now();
                let r = client.post(&run).bearer_auth(token).json(def).send().await?;
                if !r.status().is_success() {
                    bail!("{name}: {} {}", r.status(), r.text().await.unwrap_or_default());
                }
                let body: serde_json::Value = r.json().await?;
                times.push(t.elapsed());
                groups = body["rows"].as_array().map(|a| a.len()).unwrap_or(0);
            }
            times.sort();
            lines.push(format!(
                "| {name}, {who} | {groups} | {:.0} / {:.0} ms |",
                times[0].as_secs_f64() * 1000.0,
                times[times.len() / 2].as_secs_f64() * 1000.0
            ));
        }
    }
    let rss = rss_mb(child.id());
    let _ = child.kill();
    let _ = child.wait();
    env.clean_up(kept);
    let backend = env.backend();
    println!("Report builder over {deals} deals ({backend}).\n");
    if !reuse {
        println!("Generating 2,000 contacts and {deals} deals took {generate_s:.1} s.\n");
    }
    println!("| report (POST /api/v1/report-builder/run), viewer | groups | best / median of 5 |\n| --- | --- | --- |");
    for l in lines {
        println!("{l}");
    }
    println!("\nServer RSS after the runs: {rss:.0} MB.");
    Ok(())
}
