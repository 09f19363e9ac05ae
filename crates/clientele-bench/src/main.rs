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
    if what != "platform" {
        bail!("usage: clientele-bench platform");
    }
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
