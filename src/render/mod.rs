//! Report formats besides JSON: CSV, SARIF 2.1.0, a terminal table and Terraform remediation.

mod csv;
pub(crate) mod invisible;
mod sarif;
mod table;
pub mod terraform;

pub use csv::{clients_csv, to_csv};
pub use sarif::to_sarif;
pub use table::to_table;
pub use terraform::to_terraform;

use crate::audit::report::Report;

/// `--format` of `scopewatch audit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Json,
    Csv,
    Sarif,
    Table,
    /// CX-as-Code snippets for the clients with unused permissions or scopes.
    Terraform,
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Json => report.to_json(),
        Format::Csv => to_csv(report),
        Format::Sarif => to_sarif(report),
        Format::Table => to_table(report),
        Format::Terraform => to_terraform(report),
    }
}
