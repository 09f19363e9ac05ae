use reqwest::StatusCode;

use crate::both;
use crate::helpers::{PASSWORD, TestApp};

fn login_csrf(html: &str) -> String {
    let marker = "name=\"_csrf\" value=\"";
    let start = html.find(marker).expect("csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

both!(web_sign_in_shell_and_sign_out);
async fn web_sign_in_shell_and_sign_out(app: TestApp) {
    app.user("admin", "web@example.com").await;
    let c = app.client();
    // Not signed in: every page sends you to sign in, remembering where you were going.
    let r = c.get(format!("{}/settings/users", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers().get("location").unwrap(), "/login?next=/settings/users");

    let page = c.get(format!("{}/login?next=/settings/users", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Sign in to Clientele"));
    let csrf = login_csrf(&page);
    // A wrong password shows an error on the form.
    let r = c
        .post(format!("{}/login", app.url))
        .form(&[
            ("email", "web@example.com"),
            ("password", "wrong password"),
            ("_csrf", &csrf),
            ("next", "/settings/users"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let body = r.text().await.unwrap();
    assert!(body.contains("Wrong e-mail or password."));
    let csrf = login_csrf(&body);
    // The right one lands on the page asked for, with a session cookie.
    let r = c
        .post(format!("{}/login", app.url))
        .form(&[("email", "web@example.com"), ("password", PASSWORD), ("_csrf", &csrf), ("next", "/settings/users")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers().get("location").unwrap(), "/settings/users");
    let cookies: Vec<String> =
        r.headers().get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("clientele_session=") && c.contains("HttpOnly") && c.contains("SameSite=Lax"))
    );

    let home = c.get(format!("{}/", app.url)).send().await.unwrap().text().await.unwrap();
    for nav in ["Contacts", "Companies", "Deals", "Tasks", "Inbox", "Reports", "Settings"] {
        assert!(home.contains(&format!("<span>{nav}</span>")), "navigation has {nav}");
    }
    assert!(home.contains("Welcome, admin web@example.com"));
    let users = c.get(format!("{}/settings/users", app.url)).send().await.unwrap().text().await.unwrap();
    assert!(users.contains("web@example.com"));
    // Unknown pages are a 404 page inside the shell.
    let r = c.get(format!("{}/nowhere", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("Page not found"));

    // Sign out: the session is gone.
    let csrf = {
        let marker = "name=\"_csrf\" value=\"";
        let start = home.find(marker).unwrap() + marker.len();
        home[start..].split('"').next().unwrap().to_owned()
    };
    let r = c.post(format!("{}/logout", app.url)).form(&[("_csrf", &csrf)]).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c.get(format!("{}/", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
}

both!(web_forbidden_pages_and_forms);
async fn web_forbidden_pages_and_forms(app: TestApp) {
    app.user("manager", "wm@example.com").await;
    let s = app.login("wm@example.com").await;
    let r = s.client.get(format!("{}/settings/audit", app.url)).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = s
        .client
        .post(format!("{}/settings/users", app.url))
        .form(&[
            ("_csrf", s.csrf.as_str()),
            ("email", "n@example.com"),
            ("name", "N"),
            ("role", "admin"),
            ("password", "long enough password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A form with bad input answers 422 with the errors beside the fields.
    let r = s
        .client
        .post(format!("{}/settings/password", app.url))
        .form(&[
            ("_csrf", s.csrf.as_str()),
            ("current_password", PASSWORD),
            ("new_password", "short"),
            ("confirm_password", "short"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("at least 10 characters"));
    // Creating an API token from the web shows the secret once.
    let r = s
        .client
        .post(format!("{}/settings/tokens", app.url))
        .form(&[("_csrf", s.csrf.as_str()), ("name", "Zapier"), ("expires_in_days", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let body = r.text().await.unwrap();
    assert!(body.contains("data-testid=\"new-token\">clt_"));
}

async fn login_page_in(app: &TestApp, accept_language: &str) -> String {
    let r = app.client().get(format!("{}/login", app.url)).header("accept-language", accept_language).send().await;
    r.unwrap().text().await.unwrap()
}

both!(web_speaks_the_browser_language);
async fn web_speaks_the_browser_language(app: TestApp) {
    let ru = login_page_in(&app, "ru-RU,ru;q=0.9,en;q=0.5").await;
    assert!(ru.contains("lang=\"ru\""));
    assert!(!ru.contains("Sign in to Clientele"), "the Russian page is translated");
    let ko = login_page_in(&app, "ko").await;
    assert!(ko.contains("lang=\"ko\""));
    // A user's own setting wins over the browser.
    let u = app.user("manager", "fr@example.com").await;
    app.services
        .update_user(
            &clientele_core::authz::Actor::system("t"),
            u.id,
            clientele_core::service::UpdateUserRequest { locale: Some(Some("fr".into())), ..Default::default() },
            None,
        )
        .await
        .unwrap();
    let s = app.login("fr@example.com").await;
    let home = s
        .client
        .get(format!("{}/", app.url))
        .header("accept-language", "ko")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("lang=\"fr\""));
}
