//! Genesys Cloud permissions and scopes: which operation requires what (the catalog), what roles
//! hold (the algebra, over permissions interned as indices into the catalog's universe), and the
//! least a client needs for the endpoints it called.

pub mod algebra;
pub mod catalog;
pub mod least;
pub mod name;
pub mod universe;
