//! Installs the pinned third-party front-end packages (assets/package.json and its lockfile)
//! with `npm ci` into OUT_DIR and exposes the files the binary embeds. Nothing third-party is
//! kept in the repository. Without npm the build still succeeds, the UI then works without
//! htmx (every form also works as a plain HTML form) and the API docs page says what is
//! missing.

use std::path::{Path, PathBuf};
use std::process::Command;

const FILES: &[(&str, &str)] = &[
    ("htmx.min.js", "htmx.org/dist/htmx.min.js"),
    ("Sortable.min.js", "sortablejs/Sortable.min.js"),
    ("swagger-ui-bundle.js", "swagger-ui-dist/swagger-ui-bundle.js"),
    ("swagger-ui.css", "swagger-ui-dist/swagger-ui.css"),
    ("echarts.min.js", "echarts/dist/echarts.min.js"),
];

fn main() {
    println!("cargo:rerun-if-changed=assets/package.json");
    println!("cargo:rerun-if-changed=assets/package-lock.json");
    println!("cargo:rerun-if-env-changed=CLIENTELE_SKIP_NPM");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()));
    let npm_dir = out.join("npm");
    let vendor = out.join("vendor");
    let _ = std::fs::create_dir_all(&npm_dir);
    let _ = std::fs::create_dir_all(&vendor);

    let installed = std::env::var_os("CLIENTELE_SKIP_NPM").is_none() && install(&npm_dir);
    let mut missing = Vec::new();
    for (name, source) in FILES {
        let src = npm_dir.join("node_modules").join(source);
        let dst = vendor.join(name);
        if installed && src.exists() {
            if let Err(e) = std::fs::copy(&src, &dst) {
                println!("cargo:warning=copying {}: {e}", src.display());
                missing.push(*name);
            }
        } else {
            missing.push(*name);
            let _ = std::fs::write(&dst, b"");
        }
    }
    let flag = if missing.is_empty() { "true" } else { "false" };
    let _ = std::fs::write(vendor.join("complete.rs"), format!("pub const VENDOR_COMPLETE: bool = {flag};\n"));
    if !missing.is_empty() {
        println!(
            "cargo:warning=front-end packages not installed ({}): install Node.js and npm and rebuild for htmx and the API docs page",
            missing.join(", ")
        );
    }
}

fn install(dir: &Path) -> bool {
    let manifest = Path::new("assets");
    for f in ["package.json", "package-lock.json"] {
        if std::fs::copy(manifest.join(f), dir.join(f)).is_err() {
            return false;
        }
    }
    let npm = if cfg!(windows) { "npm.cmd" } else { "npm" };
    match Command::new(npm)
        .args(["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(dir)
        .status()
    {
        Ok(s) if s.success() => true,
        Ok(s) => {
            println!("cargo:warning=npm ci failed ({s})");
            false
        }
        Err(e) => {
            println!("cargo:warning=npm not found ({e})");
            false
        }
    }
}
