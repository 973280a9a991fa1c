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
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::DisplayHelp
                    | ErrorKind::DisplayVersion
                    | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
            ) =>
        {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // One line naming the problem, not clap's usage block.
            let rendered = e.render().to_string();
            let first = rendered
                .lines()
                .next()
                .unwrap_or("error: invalid arguments");
            eprintln!("{first}");
            return ExitCode::from(2);
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
