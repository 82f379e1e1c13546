//! bearer-rs: OAuth 2.0 JWT access token verification, with a napi-rs binding for Node.js.
//!
//! The core ([`verify::Verifier`] and the modules it uses) knows nothing of napi and is tested with
//! `cargo test`; `binding` is the only module that does.

#![deny(missing_docs)]

pub mod base64url;
mod binding;
pub mod claims;
pub mod config;
pub mod discovery;
pub mod dpop;
pub mod error;
pub mod expiring;
pub mod events;
pub mod fetch;
pub mod flight;
pub mod jitter;
pub mod json;
pub mod jwks;
pub mod keys;
pub mod refresh;
pub mod signature;
pub mod source;
pub mod token;
pub mod verify;

pub use config::{OptionError, Options};
pub use error::Error;
pub use verify::{Verified, Verifier};
