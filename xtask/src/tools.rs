//! Installs what the build and the tests need when it is missing, and skips what is already
//! there at the right version, so a second run on the same machine starts building at once.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::{banner, root, run_command};

/// cargo-leptos 0.3.11 needs rustc 1.96; this machine class has 1.95.
const CARGO_LEPTOS_VERSION: &str = "0.3.10";
const WASM_TARGET: &str = "wasm32-unknown-unknown";
const CHROMIUM: &str = "/usr/bin/chromium";

/// What child processes need: a PATH with cargo's and npm's tool folders first.
pub struct ToolEnv {
    pub path: OsString,
    pub chromium: PathBuf,
}

fn cargo_bin_dir() -> PathBuf {
    std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from(".cargo"))
        .join("bin")
}

fn tool_path() -> Result<OsString> {
    let mut dirs = vec![root().join("node_modules/.bin"), cargo_bin_dir()];
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    Ok(std::env::join_paths(dirs)?)
}

/// The first line a command prints, if it runs at all.
fn version_of(program: &str, args: &[&str], path: &OsString) -> Option<String> {
    let out = Command::new(program).args(args).env("PATH", path).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).lines().next().unwrap_or_default().to_owned())
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Installs Debian packages when running as root; otherwise says exactly what to run.
pub fn apt_install(packages: &[&str], why: &str) -> Result<()> {
    if !is_root() {
        bail!("{why} is missing: run `sudo apt-get install -y {}` and try again", packages.join(" "));
    }
    banner(&format!("installing {} with apt ({why})", packages.join(" ")));
    run_command(Command::new("apt-get").arg("update").env("DEBIAN_FRONTEND", "noninteractive"))?;
    run_command(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(packages)
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// The wasm-bindgen version pinned in Cargo.lock: the CLI must match it exactly.
fn locked_wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).context("cannot read Cargo.lock")?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(version) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(version.trim_end_matches('"').to_owned());
            }
        }
    }
    bail!("Cargo.lock has no wasm-bindgen entry")
}

/// npm packages of a folder, installed from its lock file when the lock changed since last time.
fn npm_ci(dir: &Path, path: &OsString) -> Result<()> {
    let lock = dir.join("package-lock.json");
    let stamp = dir.join("node_modules/.package-lock.json");
    let fresh = match (std::fs::metadata(&lock), std::fs::metadata(&stamp)) {
        (Ok(lock), Ok(stamp)) => stamp.modified()? >= lock.modified()?,
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    let shown = dir.strip_prefix(root()).ok().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("the repository root"));
    banner(&format!("installing npm packages in {}", shown.display()));
    run_command(
        Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(dir)
            .env("PATH", path)
            .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1"),
    )
}

fn ensure_node(path: &OsString) -> Result<()> {
    if version_of("npm", &["--version"], path).is_none() {
        apt_install(&["nodejs", "npm"], "Node.js and npm (for ECharts, wasm-opt and Playwright)")?;
    }
    Ok(())
}

/// Everything `cargo leptos build` needs, installed if missing.
pub fn ensure_build_tools(release: bool) -> Result<ToolEnv> {
    let path = tool_path()?;

    let targets = Command::new("rustup").args(["target", "list", "--installed"]).output();
    let has_wasm = targets.as_ref().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l == WASM_TARGET));
    if !has_wasm {
        banner("adding the wasm32 target");
        run_command(Command::new("rustup").args(["target", "add", WASM_TARGET]))?;
    }

    let leptos = version_of("cargo-leptos", &["--version"], &path).unwrap_or_default();
    if !leptos.contains(CARGO_LEPTOS_VERSION) {
        banner(&format!("installing cargo-leptos {CARGO_LEPTOS_VERSION} (takes ~15 min once)"));
        run_command(Command::new("cargo").args(["install", "cargo-leptos", "--locked", "--version", CARGO_LEPTOS_VERSION]))?;
    }

    // Not --locked: one of its locked dependencies is gone from the registry.
    let bindgen = locked_wasm_bindgen_version()?;
    let installed = version_of("wasm-bindgen", &["--version"], &path).unwrap_or_default();
    if !installed.ends_with(&format!(" {bindgen}")) {
        banner(&format!("installing wasm-bindgen-cli {bindgen} (matches Cargo.lock)"));
        run_command(Command::new("cargo").args(["install", "wasm-bindgen-cli", "--version", &bindgen]))?;
    }

    // ECharts for the browser, and npm's binaryen: Debian's wasm-opt breaks release bundles.
    ensure_node(&path)?;
    npm_ci(&root(), &path)?;
    let vendor = root().join("public/vendor");
    std::fs::create_dir_all(&vendor)?;
    let echarts_src = root().join("node_modules/echarts/dist/echarts.min.js");
    let echarts_dst = vendor.join("echarts.min.js");
    let differs = std::fs::read(&echarts_src).ok() != std::fs::read(&echarts_dst).ok();
    if differs {
        std::fs::copy(&echarts_src, &echarts_dst)
            .with_context(|| format!("cannot copy {} into public/vendor", echarts_src.display()))?;
    }
    if release && version_of("wasm-opt", &["--version"], &path).is_none() {
        bail!("wasm-opt from npm's binaryen is missing from node_modules/.bin");
    }
    Ok(ToolEnv { path, chromium: PathBuf::from(CHROMIUM) })
}

/// What the server's report tests read PDFs with: poppler's `pdftotext` and `pdftoppm`.
pub fn ensure_pdf_tools() -> Result<()> {
    let found = Command::new("pdftotext").arg("-v").output().is_ok_and(|o| o.status.success() || !o.stderr.is_empty());
    if !found {
        apt_install(&["poppler-utils"], "pdftotext and pdftoppm (the report tests read the PDFs with them)")?;
    }
    Ok(())
}

/// What the end-to-end tests need besides the build: Chromium and Playwright.
pub fn ensure_test_tools() -> Result<ToolEnv> {
    let path = tool_path()?;
    let chromium = std::env::var_os("CHROMIUM_PATH").map(PathBuf::from).unwrap_or_else(|| PathBuf::from(CHROMIUM));
    if !chromium.exists() {
        apt_install(&["chromium"], "Chromium (the browser Playwright drives)")?;
    }
    ensure_node(&path)?;
    npm_ci(&root().join("end2end"), &path)?;
    Ok(ToolEnv { path, chromium })
}
