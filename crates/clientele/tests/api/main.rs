//! End-to-end API and web tests: each test starts the real server on a free port with a
//! fresh database, on SQLite and (when CLIENTELE_TEST_DATABASE_URL is set) on PostgreSQL.
//! One test binary on purpose: linking is the slow part of a test build.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

mod helpers;
mod imports;
mod inbox;
mod mail_servers;

mod activity;
mod auth;
mod automation;
mod clients;
mod conventions;
mod deals;
mod deals_list;
mod documents;
mod leads;
mod permissions;
mod products;
mod report_builder;
mod reports;
mod tasks;
mod ui;
mod ui_clients;
mod ui_imports;
mod ui_leads;
mod webhooks;
