//! Genesys Cloud permissions and scopes: which operation requires what (the catalog), what roles
//! hold (the algebra), and the least a client needs for the endpoints it called.

pub mod algebra;
pub mod catalog;
pub mod least;
