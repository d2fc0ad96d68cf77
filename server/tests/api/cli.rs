//! The built binary, run as a user would.

use std::process::Command;

use migrations::MigratorTrait;

fn swipesavvy() -> Command {
    let mut cmd = crate::support::swipesavvy();
    for var in ["DATABASE_URL", "SWIPESAVVY_CONFIG", "SWIPESAVVY_ADDR", "SWIPESAVVY_LOG", "SWIPESAVVY_LOG_FORMAT", "SWIPESAVVY_SITE_ROOT"] {
        cmd.env_remove(var);
    }
    cmd
}

#[test]
fn a_bad_database_url_is_one_clear_line_and_a_failure_exit() {
    let out = swipesavvy().args(["serve", "--database-url", "nonsense://x"]).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "exactly one line: {stderr}");
    assert!(stderr.contains("nonsense://x"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn migrate_up_then_status_lists_every_migration_as_applied() {
    let dir = std::env::temp_dir().join(format!("swipesavvy-cli-{}", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}/cli.db", dir.display());
    let up = swipesavvy().args(["migrate", "up", "--database-url", &url]).output().unwrap();
    assert!(up.status.success(), "{}", String::from_utf8_lossy(&up.stderr));

    let status = swipesavvy().args(["migrate", "status"]).env("DATABASE_URL", &url).output().unwrap();
    assert!(status.status.success());
    let listing = String::from_utf8(status.stdout).unwrap();
    let lines: Vec<&str> = listing.lines().collect();
    assert_eq!(lines.len(), migrations::Migrator::migrations().len());
    assert!(lines.iter().all(|l| l.starts_with("applied")), "{listing}");

    let down = swipesavvy().args(["migrate", "down", "--database-url", &url]).output().unwrap();
    assert!(down.status.success());
    let status = swipesavvy().args(["migrate", "status", "--database-url", &url]).output().unwrap();
    let listing = String::from_utf8(status.stdout).unwrap();
    assert!(listing.lines().last().unwrap().starts_with("pending"), "{listing}");
    std::fs::remove_dir_all(dir).ok();
}

/// The `addr` that `serve` reports in its first (JSON) log line, run in `dir`.
fn reported_addr(dir: &std::path::Path, env_addr: Option<&str>, flag_addr: Option<&str>) -> String {
    let mut cmd = swipesavvy();
    cmd.current_dir(dir).args(["serve", "--log-format", "json"]);
    if let Some(addr) = env_addr {
        cmd.env("SWIPESAVVY_ADDR", addr);
    }
    if let Some(addr) = flag_addr {
        cmd.args(["--addr", addr]);
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let first: serde_json::Value = serde_json::from_str(stderr.lines().next().unwrap_or_default())
        .unwrap_or_else(|_| panic!("not JSON: {stderr}"));
    first["addr"].as_str().unwrap_or_default().to_owned()
}

#[test]
fn settings_come_from_the_flag_then_the_environment_then_the_file_then_the_default() {
    let dir = std::env::temp_dir().join(format!("swipesavvy-precedence-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    // The unusable database makes `serve` stop right after logging its settings.
    std::fs::write(&dir.join("swipesavvy.toml"), "addr = \"127.0.0.1:4002\"\ndatabase_url = \"sqlite:///proc/forbidden/x.db\"\n")
        .unwrap();
    assert_eq!(reported_addr(&dir, None, None), "127.0.0.1:4002", "the file beats the default");
    assert_eq!(reported_addr(&dir, Some("127.0.0.1:4001"), None), "127.0.0.1:4001", "the environment beats the file");
    assert_eq!(reported_addr(&dir, Some("127.0.0.1:4001"), Some("127.0.0.1:4003")), "127.0.0.1:4003", "the flag wins");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_log_format_flag_switches_to_json_lines() {
    let out = swipesavvy()
        .args(["serve", "--log-format", "json", "--addr", "127.0.0.1:1", "--database-url", "sqlite:///proc/forbidden/x.db"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).unwrap();
    let first = stderr.lines().next().unwrap_or_default();
    let parsed: serde_json::Value = serde_json::from_str(first).unwrap_or_else(|_| panic!("not JSON: {first}"));
    assert!(parsed["message"].as_str().is_some_and(|m| m.contains("starting")), "{first}");
}

/// Runs `swipesavvy` with `args` against `url`, feeding `stdin`; returns (success, stdout).
fn run_with_stdin(url: &str, args: &[&str], stdin: &str) -> (bool, String) {
    use std::io::Write;
    let mut child = swipesavvy()
        .args(args)
        .args(["--database-url", url])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The command may exit before reading (a bad flag): a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[test]
fn the_user_commands_manage_accounts_and_print_secrets_only_when_generated() {
    let dir = std::env::temp_dir().join(format!("swipesavvy-users-{}", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}/users.db", dir.display());

    let (ok, out) = run_with_stdin(&url, &["user", "add", "--email", "Ana@Example.com", "--role", "cmo"], "a-long-password-1\n");
    assert!(ok, "{out}");
    assert!(out.contains("created ana@example.com (cmo)") && !out.contains("a-long-password-1"), "{out}");

    let (ok, out) = run_with_stdin(&url, &["user", "add", "--email", "bo@example.com", "--role", "admin", "--generate-password"], "");
    assert!(ok, "{out}");
    let generated = out.lines().find_map(|l| l.strip_prefix("password (shown once): ")).expect("a generated password");
    assert_eq!(generated.len(), 20);

    let (ok, out) = run_with_stdin(&url, &["user", "add", "--email", "cy@example.com", "--role", "ceo"], "x\n");
    assert!(!ok && out.contains("'ceo'"), "an unknown role is named: {out}");
    let (ok, out) = run_with_stdin(&url, &["user", "add", "--email", "cy@example.com", "--role", "cmo"], "short\n");
    assert!(!ok && out.contains("12 characters"), "a weak password is refused: {out}");

    assert!(run_with_stdin(&url, &["user", "set-role", "--email", "ana@example.com", "--role", "compliance"], "").0);
    assert!(run_with_stdin(&url, &["user", "disable", "--email", "bo@example.com"], "").0);
    let (_, listing) = run_with_stdin(&url, &["user", "list"], "");
    assert!(listing.lines().any(|l| l.contains("compliance") && l.contains("active") && l.ends_with("ana@example.com")), "{listing}");
    assert!(listing.lines().any(|l| l.contains("disabled") && l.ends_with("bo@example.com")), "{listing}");

    let (ok, out) = run_with_stdin(&url, &["user", "token", "--email", "ana@example.com", "--name", "notebook"], "");
    assert!(ok, "{out}");
    assert!(out.lines().any(|l| l.contains("(shown once): sspt_")), "{out}");

    let (ok, out) = run_with_stdin(&url, &["apikey", "create", "--name", "mobile", "--scope", "events,backfill"], "");
    assert!(ok && out.contains("key (shown once): sskey_") && out.contains("scopes events,backfill"), "{out}");
    let (ok, out) = run_with_stdin(&url, &["apikey", "create", "--name", "bad", "--scope", "events,root"], "");
    assert!(!ok && out.contains("'root'"), "{out}");
    std::fs::remove_dir_all(dir).ok();
}

#[test]
fn a_simulation_from_a_fixed_start_day_gives_the_same_truth_on_any_day() {
    let dir = std::env::temp_dir().join(format!("swipesavvy-sim-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = |name: &str| {
        let truth = dir.join(format!("{name}.json"));
        let url = format!("sqlite://{}/{name}.db", dir.display());
        let out = swipesavvy()
            .args(["simulate", "--to-db", "--seed", "9", "--users", "60", "--days", "10", "--campaigns", "2", "--start", "2026-01-05"])
            .args(["--database-url", &url, "--truth", &truth.display().to_string()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::read(&truth).unwrap()
    };
    let (first, second) = (run("a"), run("b"));
    assert!(!first.is_empty());
    assert_eq!(first, second, "byte-identical truth");
    let truth: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert!(truth.to_string().contains("2026-01-05"), "the world starts on the given day");

    let future = swipesavvy().args(["simulate", "--to-db", "--start", "2999-01-01", "--database-url", &format!("sqlite://{}/c.db", dir.display())]).output().unwrap();
    assert!(!future.status.success());
    assert!(String::from_utf8_lossy(&future.stderr).contains("--start"), "{}", String::from_utf8_lossy(&future.stderr));
}

#[test]
fn the_directory_is_loaded_from_csv_and_a_person_erased_from_the_command_line() {
    // Each run starts in a folder of its own: one key for all of them, as an operator would set.
    const KEY: &str = "cli-test-audit-key-of-at-least-32-characters";
    let dir = std::env::temp_dir().join(format!("swipesavvy-cli-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}/cli.db", dir.display());
    let file = dir.join("customers.csv");
    std::fs::write(&file, "user_id,email,phone,name\ncli-1,one@example.org,+15550100,One\ncli-2,two@example.org,,\n").unwrap();
    let out = swipesavvy().env("SWIPESAVVY_AUDIT_KEY", KEY).args(["import-customers", file.to_str().unwrap(), "--database-url", &url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 added, 0 updated"));

    std::fs::write(&file, "user_id,email\ncli-3,not-an-email\n").unwrap();
    let out = swipesavvy().env("SWIPESAVVY_AUDIT_KEY", KEY).args(["import-customers", file.to_str().unwrap(), "--database-url", &url]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("customers[0].email") && !stderr.contains("not-an-email"), "{stderr}");

    let out = swipesavvy().env("SWIPESAVVY_AUDIT_KEY", KEY).args(["privacy", "erase", "--email", "one@example.org", "--reference", "DSR-9", "--database-url", &url]).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains("1 directory entry deleted") && !stdout.contains("one@example.org"), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let out = swipesavvy().env("SWIPESAVVY_AUDIT_KEY", KEY).args(["privacy", "erase", "--user", "cli-2", "--database-url", &url]).output().unwrap();
    assert!(!out.status.success(), "a reference is required");
    let out = swipesavvy().env("SWIPESAVVY_AUDIT_KEY", KEY).args(["audit", "verify", "--database-url", &url]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // Without the key, a run refuses to make a new one for a log that has entries.
    let out = swipesavvy().env_remove("SWIPESAVVY_AUDIT_KEY").args(["import-customers", file.to_str().unwrap(), "--database-url", &url]).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && stderr.contains("no audit key"), "{stderr}");
    std::fs::remove_dir_all(dir).ok();
}
