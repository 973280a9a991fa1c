use std::collections::BTreeMap;
use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
#[cfg(feature = "demo")]
use scopewatch::cli::run_sim;
use scopewatch::cli::{Cli, Command, run_audit, run_healthcheck, run_policy, run_serve};

fn main() -> ExitCode {
    scopewatch::memory::tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // clap's whole message: the missing arguments, the possible values, "did you mean"
            // and the usage line. `--help` and `--version` go to stdout and exit 0; every
            // other case (`scopewatch` alone included) goes to stderr and exits 2.
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::from(2),
            };
        }
    };
    let env: BTreeMap<String, String> = match scopewatch::config::environment() {
        Ok(env) => env,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    scopewatch::telemetry::init(
        &env,
        matches!(
            cli.command,
            Command::Audit(_) | Command::Policy(_) | Command::Healthcheck(_)
        ),
    );
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(3);
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => run_serve(args, &env).await.map(|()| false),
            #[cfg(feature = "demo")]
            Command::Sim(args) => run_sim(*args).await.map(|()| false),
            Command::Audit(args) => run_audit(args, &env).await,
            Command::Policy(args) => run_policy(args).map(|()| false),
            Command::Healthcheck(args) => run_healthcheck(args, &env).await.map(|()| false),
        }
    });
    match result {
        Ok(false) => ExitCode::SUCCESS,
        Ok(true) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {}", e.message());
            e.exit_code()
        }
    }
}
