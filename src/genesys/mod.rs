//! The Genesys Cloud Platform API: wire types shared by the client and the simulator.

pub mod models;
