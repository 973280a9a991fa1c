//! The least a client needs for the endpoints it called, over the permission catalog and algebra
//! of `genesys_api::permissions`.

pub(crate) mod least;
