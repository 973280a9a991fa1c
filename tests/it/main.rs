//! The integration tests, one binary (one link on 2 cores): the simulator over HTTP, the
//! Genesys client and audit against it, the service's API, the store on SQLite and
//! PostgreSQL, migrations, the `serve` process, and the module graph.

mod api;
mod audit;
mod frictions;
mod genesys_doc;
mod helpers;
mod hostile;
mod many_orgs;
mod memory;
mod migrations;
mod modules;
mod notify;
mod org_messages;
mod orgs;
mod replicas;
mod report_cache;
mod serve;
mod sim;
mod store;
