use std::sync::Arc;

use clientele::config::Config;
use clientele::startup;
use clientele_core::authz::Actor;
use clientele_core::domain::user::User;
use clientele_core::service::{CreateUserRequest, Services};
use clientele_store::testing::{TestDb, postgres_url};
use reqwest::{Client, Method, Response, StatusCode, redirect};
use serde_json::{Value, json};

pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates `name::sqlite` and `name::postgres` tests from `async fn name(app: TestApp)`.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await.unwrap();
                super::$name(app).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some(app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await else {
                    eprintln!("CLIENTELE_TEST_DATABASE_URL not set: skipped on PostgreSQL");
                    return;
                };
                super::$name(app).await;
            }
        }
    };
}

pub struct TestApp {
    pub url: String,
    pub services: Services,
    /// The test database, for a second set of services on it (another app node).
    pub database_url: String,
    _db: Arc<TestDb>,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    /// `None` for PostgreSQL when no test database is configured.
    pub async fn spawn(backend: Backend) -> Option<Self> {
        let db = match backend {
            Backend::Sqlite => TestDb::sqlite().await.ok()?,
            Backend::Postgres => TestDb::postgres(&postgres_url()?).await.expect("test schema"),
        };
        let mut cfg = Config {
            listen: "127.0.0.1:0".into(),
            database_url: db.url.expose().to_owned(),
            db_max_connections: 5,
            default_region: "RU".into(),
            ..Config::default()
        };
        // E-mails carry links to this server (tracking, unsubscribe): its port is known first.
        startup::pin_port(&mut cfg).expect("a free port");
        let store = startup::open_store(&cfg).await.expect("store");
        let services = startup::services(&cfg, store);
        let server = startup::Server::bind(&cfg, services.clone()).await.expect("bind");
        let url = format!("http://{}", server.addr);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(server.run(async move {
            let _ = rx.await;
        }));
        Some(Self { url, services, database_url: db.url.expose().to_owned(), _db: Arc::new(db), _stop: tx })
    }

    /// Another app node on the same database: its own services, pools and caches.
    pub async fn another_node(&self) -> Services {
        let cfg = Config {
            database_url: self.database_url.clone(),
            db_max_connections: 5,
            default_region: "RU".into(),
            ..Config::default()
        };
        startup::services(&cfg, startup::open_store(&cfg).await.expect("store"))
    }

    /// Creates a user directly through the services.
    pub async fn user(&self, role: &str, email: &str) -> User {
        self.services
            .create_user(
                &Actor::system("test"),
                CreateUserRequest {
                    email: email.into(),
                    name: format!("{role} {email}"),
                    role: role.into(),
                    password: PASSWORD.into(),
                    team_id: None,
                    locale: None,
                    time_zone: None,
                },
            )
            .await
            .expect("create user")
    }

    pub fn client(&self) -> Client {
        Client::builder().cookie_store(true).redirect(redirect::Policy::none()).build().expect("client")
    }

    pub fn api(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.url)
    }

    /// Signs in through the API; the returned client carries the session cookie.
    pub async fn login(&self, email: &str) -> Session {
        let client = self.client();
        let r = client
            .post(self.api("/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "login of {email}");
        let body: Value = r.json().await.unwrap();
        Session {
            client,
            token: body["token"].as_str().unwrap().to_owned(),
            csrf: body["csrf_token"].as_str().unwrap().to_owned(),
        }
    }

    /// An admin signed in through the API.
    pub async fn admin(&self) -> Session {
        self.user("admin", "root@example.com").await;
        self.login("root@example.com").await
    }
}

/// A signed-in client: cookie session plus its bearer token and CSRF token.
pub struct Session {
    pub client: Client,
    pub token: String,
    pub csrf: String,
}

impl Session {
    /// A fresh client (no cookies) authenticating with the session token as bearer.
    pub fn bearer(&self) -> Client {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::AUTHORIZATION, format!("Bearer {}", self.token).parse().unwrap());
        Client::builder().default_headers(h).redirect(redirect::Policy::none()).build().unwrap()
    }
}

pub fn bearer_client(token: &str) -> Client {
    let mut h = reqwest::header::HeaderMap::new();
    h.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().unwrap());
    Client::builder().default_headers(h).redirect(redirect::Policy::none()).build().unwrap()
}

/// Asserts an RFC 9457 problem response and returns its body.
pub async fn problem(r: Response, status: u16) -> Value {
    assert_eq!(r.status().as_u16(), status, "status");
    let ct = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    assert_eq!(ct, "application/problem+json", "content type");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], status);
    assert!(body["type"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["detail"].as_str().is_some());
    body
}

/// The field names listed in a problem's `errors`.
pub fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|a| a.iter().map(|e| e["field"].as_str().unwrap_or("").to_owned()).collect())
        .unwrap_or_default()
}

/// A JSON API request in a signed-in session (with its CSRF token).
pub async fn send(s: &Session, app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Response {
    let mut r = s.client.request(method, app.api(path)).header("x-csrf-token", &s.csrf);
    if let Some(b) = body {
        r = r.json(&b);
    }
    r.send().await.unwrap()
}

/// The JSON body of a response that must have `status`.
pub async fn ok(r: Response, status: StatusCode) -> Value {
    let got = r.status();
    let body: Value = r.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

/// POST that must create (201); its JSON body.
pub async fn post_created(s: &Session, app: &TestApp, path: &str, body: Value) -> Value {
    ok(send(s, app, Method::POST, path, Some(body)).await, StatusCode::CREATED).await
}

/// GET that must succeed; its JSON body.
pub async fn get_ok(s: &Session, app: &TestApp, path: &str) -> Value {
    ok(send(s, app, Method::GET, path, None).await, StatusCode::OK).await
}

/// The `id` of a JSON record.
pub fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

/// A web page in a signed-in session: its status and HTML.
pub async fn page(s: &Session, app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = s.client.get(format!("{}{path}", app.url)).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

/// A web form posted in a signed-in session (with its CSRF field).
pub async fn form(s: &Session, app: &TestApp, path: &str, fields: &[(&str, &str)]) -> Response {
    let mut all: Vec<(&str, &str)> = vec![("_csrf", s.csrf.as_str())];
    all.extend_from_slice(fields);
    s.client.post(format!("{}{path}", app.url)).form(&all).send().await.unwrap()
}

/// Where a redirect points.
pub fn location(r: &Response) -> String {
    r.headers().get("location").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default()
}

/// Runs queued jobs (exports, imports) until none is left.
pub async fn drain(app: &TestApp) {
    for _ in 0..50 {
        match app.services.work_once("test").await.unwrap() {
            Some(_) => continue,
            None => return,
        }
    }
    panic!("the job queue did not drain");
}
