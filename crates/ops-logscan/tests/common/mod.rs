//! Code shared by the integration tests.

#![allow(dead_code, unreachable_pub)]

pub mod access_oracle;
pub mod auth_oracle;
