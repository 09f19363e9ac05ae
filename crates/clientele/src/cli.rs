//! Command-line interface. Command and flag names are stable: scripts rely on them.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use clientele_core::authz::{Actor, ActorKind};
use clientele_core::domain::page::PageRequest;
use clientele_core::domain::secret::random_password;
use clientele_core::service::{CreateTokenRequest, CreateUserRequest, Services};

use crate::config::{Config, FlagOverrides};
use crate::{demo, startup};

#[derive(Debug, Parser)]
#[command(name = "clientele", version, about = "Clientele: a self-hosted CRM server in one binary")]
pub struct Cli {
    /// Configuration file (default: ./clientele.toml when present).
    #[arg(long, global = true, env = "CLIENTELE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Database URL: sqlite://FILE or postgres://USER@HOST/DB [env: CLIENTELE_DATABASE_URL].
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Log filter such as info or debug [env: CLIENTELE_LOG].
    #[arg(long, global = true)]
    pub log: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (and, unless --no-worker, the background worker).
    Serve(ServeArgs),
    /// Run only the background worker.
    Worker,
    /// Bring the database schema to this release's version, then exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Fill the database with demo data and print the demo logins.
    Demo(DemoArgs),
    /// Import contacts or companies from a CSV, XLSX, XLS, ODS or vCard file.
    Import(crate::transfer::ImportArgs),
    /// Export contacts or companies to CSV, XLSX or vCard.
    Export(crate::transfer::ExportArgs),
    /// Automation as code: export or import rules and distribution policies.
    #[command(subcommand)]
    Automation(AutomationCommand),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many contacts to generate (with a company for about every five).
    #[arg(long, default_value_t = 300)]
    pub scale: usize,
    /// Random seed, for reproducible data sets.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// Open deals to generate in the first pipeline as well (for the board benchmark).
    #[arg(long, default_value_t = 0)]
    pub deals: usize,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080] [env: CLIENTELE_LISTEN].
    #[arg(long)]
    pub listen: Option<String>,
    /// Fill the database with demo data and print demo logins.
    #[arg(long)]
    pub demo: bool,
    /// Do not run background work in this process.
    #[arg(long)]
    pub no_worker: bool,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. The password is asked for, or read from standard input.
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, head, manager or readonly.
        #[arg(long, default_value = "manager")]
        role: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (signs them out everywhere).
    Passwd {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create an API token for a user and print it (shown once).
    Create {
        /// The user's e-mail.
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// Days until the token expires (default: never).
        #[arg(long)]
        expires_days: Option<i64>,
    },
}

impl Cli {
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut flags =
            FlagOverrides { database_url: self.database_url.clone(), log: self.log.clone(), ..Default::default() };
        if let Command::Serve(s) = &self.command {
            flags.listen = s.listen.clone();
            flags.demo = s.demo.then_some(true);
            flags.no_worker = s.no_worker.then_some(true);
        }
        Config::load(self.config.clone(), flags)
    }
}

pub fn init_tracing(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cfg.log));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let cfg = cli.config()?;
    init_tracing(&cfg);
    match cli.command {
        Command::Serve(_) => serve(cfg).await,
        Command::Worker => worker(cfg).await,
        Command::Import(a) => crate::transfer::import(cfg, a).await,
        Command::Export(a) => crate::transfer::export(cfg, a).await,
        Command::Migrate => {
            let store = startup::open_store(&cfg).await?;
            let version = clientele_store::migrate::migrate(store.db()).await?.to_version;
            println!("database is at schema version {version}");
            Ok(())
        }
        Command::User(cmd) => user(cfg, cmd).await,
        Command::Token(cmd) => token(cfg, cmd).await,
        Command::Automation(cmd) => automation(cfg, cmd).await,
        Command::Demo(args) => {
            let store = startup::open_store(&cfg).await?;
            let services = startup::services(&cfg, store.clone());
            demo::seed(&services).await?;
            demo::seed_catalogue(&services).await?;
            let started = std::time::Instant::now();
            let (companies, contacts) =
                demo::generate_clients(&services, &store, args.scale, &cfg.default_region, args.seed).await?;
            let deals = demo::generate_bulk_deals(&services, &store, args.deals).await?;
            println!(
                "demo data ready: {contacts} contacts, {companies} companies and {deals} deals in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            print_demo_logins();
            Ok(())
        }
    }
}

async fn serve(mut cfg: Config) -> anyhow::Result<()> {
    startup::pin_port(&mut cfg)?;
    let store = startup::open_store(&cfg).await?;
    let services = startup::services(&cfg, store.clone());
    if cfg.demo {
        demo::seed(&services).await?;
        demo::seed_catalogue(&services).await?;
        if !demo::has_clients(&services).await? {
            demo::generate_clients(&services, &store, 300, &cfg.default_region, 2026).await?;
        }
        demo::generate_deals(&services, 60).await?;
        demo::generate_activity(&services, 40).await?;
    } else if services.count_users().await? == 0 {
        let password = random_password();
        let email = "admin@clientele.test";
        services
            .create_user(
                &Actor::system("first start"),
                CreateUserRequest {
                    email: email.into(),
                    name: "Administrator".into(),
                    role: "admin".into(),
                    password: password.clone(),
                    team_id: None,
                    locale: None,
                    time_zone: None,
                },
            )
            .await?;
        println!();
        println!("  First start: an administrator was created. This login is shown only once:");
        println!("    e-mail:   {email}");
        println!("    password: {password}");
        println!("  Change the e-mail and password under Settings after signing in.");
    }
    let server = startup::Server::bind(&cfg, services.clone()).await?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let worker = (!cfg.no_worker).then(|| {
        let jobs = tokio::spawn({
            let s = services.clone();
            let stop = stop_rx.clone();
            async move { s.run_worker(startup::worker_id(), Duration::from_secs(1), stop).await }
        });
        let upkeep = tokio::spawn(startup::maintenance_loop(services.clone(), Duration::from_secs(300), stop_rx));
        (jobs, upkeep)
    });
    println!();
    println!("  Clientele is running at http://{}  ({} database)", server.addr, services.backend());
    if cfg.demo {
        print_demo_logins();
    }
    println!("  API reference: http://{}/api/docs", server.addr);
    println!("  Press Ctrl-C to stop.");
    println!();
    server.run(startup::shutdown_signal()).await?;
    let _ = stop_tx.send(true);
    if let Some((jobs, upkeep)) = worker {
        let _ = jobs.await;
        let _ = upkeep.await;
    }
    Ok(())
}

async fn worker(cfg: Config) -> anyhow::Result<()> {
    let services = startup::services(&cfg, startup::open_store(&cfg).await?);
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let jobs = tokio::spawn({
        let s = services.clone();
        let stop = stop_rx.clone();
        async move { s.run_worker(startup::worker_id(), Duration::from_secs(1), stop).await }
    });
    let handle = tokio::spawn(startup::maintenance_loop(services, Duration::from_secs(300), stop_rx));
    tracing::info!("worker running; Ctrl-C to stop");
    startup::shutdown_signal().await;
    let _ = stop_tx.send(true);
    let _ = jobs.await;
    let _ = handle.await;
    Ok(())
}

fn print_demo_logins() {
    println!("  Demo logins (password for all: {}):", demo::DEMO_PASSWORD);
    for d in demo::DEMO_USERS {
        println!("    {:<24} {:<16} {}", d.email, d.role, d.name);
    }
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line).context("reading the password from standard input")?;
        return Ok(line.trim_end_matches(['\r', '\n']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("no terminal to ask for the password: pass --password-stdin and pipe it in");
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Repeat:   ")?;
    if first != second {
        anyhow::bail!("the two passwords differ");
    }
    Ok(first)
}

/// Turns validation errors into one readable line per field.
pub(crate) fn explain(e: clientele_core::Error) -> anyhow::Error {
    match e {
        clientele_core::Error::Validation(v) => {
            anyhow::anyhow!(v.iter().map(|f| format!("{}: {}", f.field, f.message)).collect::<Vec<_>>().join("\n"))
        }
        other => anyhow::Error::new(other),
    }
}

async fn user(cfg: Config, cmd: UserCommand) -> anyhow::Result<()> {
    let services: Services = startup::services(&cfg, startup::open_store(&cfg).await?);
    let actor = Actor::system("cli");
    match cmd {
        UserCommand::Add { email, name, role, password_stdin } => {
            let password = read_password(password_stdin)?;
            let u = services
                .create_user(
                    &actor,
                    CreateUserRequest { email, name, role, password, team_id: None, locale: None, time_zone: None },
                )
                .await
                .map_err(explain)?;
            println!("created {} <{}> ({}), id {}", u.name, u.email, u.role, u.id);
        }
        UserCommand::Passwd { email, password_stdin } => {
            let u = services.find_user_by_email(&actor, &email).await.map_err(explain)?;
            let password = read_password(password_stdin)?;
            services.reset_password(&actor, u.id, &password).await.map_err(explain)?;
            println!("password set for {}", u.email);
        }
        UserCommand::List => {
            let mut cursor: Option<String> = None;
            loop {
                let page = PageRequest::parse(Some(500), cursor.as_deref(), Some("name"), &["name"], "name")
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
                let users = services.list_users(&actor, &page, None).await.map_err(explain)?;
                for u in &users.data {
                    println!("{}\t{}\t{}\t{}", u.email, u.role, if u.active { "active" } else { "inactive" }, u.name);
                }
                match users.next_cursor {
                    Some(c) => cursor = Some(c),
                    None => break,
                }
            }
        }
    }
    Ok(())
}

async fn token(cfg: Config, cmd: TokenCommand) -> anyhow::Result<()> {
    let services = startup::services(&cfg, startup::open_store(&cfg).await?);
    match cmd {
        TokenCommand::Create { user, name, expires_days } => {
            let u = services.find_user_by_email(&Actor::system("cli"), &user).await.map_err(explain)?;
            // The token belongs to the user; the audit log records that the CLI made it.
            let actor = Actor {
                user_id: u.id,
                name: format!("cli for {}", u.email),
                role: u.role,
                teams: vec![],
                kind: ActorKind::System,
            };
            let created = services
                .create_token(&actor, CreateTokenRequest { name, expires_in_days: expires_days })
                .await
                .map_err(explain)?;
            println!("{}", created.secret);
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum AutomationCommand {
    /// Print the rules and distribution policies as one versioned JSON document (or write it to --output).
    Export {
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Create or update rules and policies (by name) from a document made by `export`.
    Import { file: std::path::PathBuf },
}

async fn automation(cfg: Config, cmd: AutomationCommand) -> anyhow::Result<()> {
    let services = startup::services(&cfg, startup::open_store(&cfg).await?);
    let actor = Actor::system("cli");
    match cmd {
        AutomationCommand::Export { output } => {
            let doc = services.export_automation(&actor).await.map_err(explain)?;
            let text = serde_json::to_string_pretty(&doc)?;
            match output {
                Some(path) => std::fs::write(&path, text + "\n")?,
                None => println!("{text}"),
            }
        }
        AutomationCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)?;
            let doc: serde_json::Value = serde_json::from_str(&text)?;
            let (rules, policies) = services.import_automation(&actor, doc).await.map_err(explain)?;
            println!(
                "rules: {} created, {} updated, {} unchanged; policies: {} created, {} updated, {} unchanged",
                rules.created.len(),
                rules.updated.len(),
                rules.unchanged.len(),
                policies.created.len(),
                policies.updated.len(),
                policies.unchanged.len()
            );
        }
    }
    Ok(())
}
