//! The `latch` binary: command line, start-up and wiring.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(name = "latch", version, about = "Latch: an OpenID Connect provider for third-party applications")]
struct Cli {
    /// Configuration file (default: ./latch.toml when it exists).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Start the server.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Print the effective configuration (secrets hidden) and exit.
    Config {
        /// Only check it: exit 0 with a one-line summary when it is valid, 2 with the offending
        /// key when it is not (for deployment pipelines).
        #[arg(long)]
        check: bool,
    },
    /// Apply a declarative TOML file of resources, roles, users and applications (idempotent).
    Import {
        /// The file to import.
        file: PathBuf,
    },
    /// Signing keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Administration helpers for scripts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand, Debug)]
enum KeysCommand {
    /// New current signing keys; the old ones stay published as previous. Running nodes switch
    /// at once when they share Redis, otherwise within their next restart.
    Rotate,
}

#[derive(Subcommand, Debug)]
enum AdminCommand {
    /// Create a machine-to-machine app holding the admin role; prints {"clientId", "clientSecret"}.
    CreateM2m {
        /// The application's name.
        #[arg(long)]
        name: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match latch::config::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("latch: {e:#}");
            return ExitCode::from(2);
        }
    };
    latch::telemetry::init(&settings.raw.log);
    let result = match cli.command {
        Command::Serve => latch::server::serve_blocking(settings),
        Command::Migrate => latch::commands::migrate(&settings),
        Command::Config { check: false } => latch::commands::print_config(&settings),
        Command::Config { check: true } => latch::commands::check_config(&settings),
        Command::Import { file } => latch::import::run_command(&settings, &file),
        Command::Admin { command: AdminCommand::CreateM2m { name } } => latch::commands::create_m2m(&settings, &name),
        Command::Keys { command: KeysCommand::Rotate } => latch::commands::rotate_keys(&settings),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("latch: {e:#}");
            ExitCode::FAILURE
        }
    }
}
