//! Genesys Cloud permissions and scopes: which operation requires what (the catalog), and what
//! roles hold (the algebra, over permissions interned as indices into the catalog's universe).

pub mod algebra;
pub mod catalog;
pub mod name;
pub mod universe;
