//! `swipesavvy`: the one binary. All logic lives in the library; see `cli.rs`.

fn main() -> std::process::ExitCode {
    server::cli::main()
}
