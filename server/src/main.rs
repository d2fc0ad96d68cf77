//! `swipesavvy`: the one binary. All logic lives in the library; see `cli.rs`.

/// See the `mimalloc` line in Cargo.toml for why.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    server::cli::main()
}
