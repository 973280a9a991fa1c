//! Report formats besides JSON: CSV, SARIF 2.1.0, OCSF, a terminal table and Terraform
//! remediation.

mod csv;
pub(crate) mod invisible;
pub mod ocsf;
mod sarif;
mod table;
pub mod terraform;

pub use csv::{clients_csv, to_csv};
pub use ocsf::{clients_ocsf, to_ocsf};
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
    /// OCSF 1.5.0 Compliance Finding events, one per finding (a JSON array).
    Ocsf,
    Table,
    /// CX-as-Code snippets for the clients with unused permissions or scopes.
    Terraform,
}

pub fn render(report: &Report, format: Format) -> String {
    match format {
        Format::Json => report.to_json(),
        Format::Csv => to_csv(report),
        Format::Sarif => to_sarif(report),
        Format::Ocsf => to_ocsf(report),
        Format::Table => to_table(report),
        Format::Terraform => to_terraform(report),
    }
}
