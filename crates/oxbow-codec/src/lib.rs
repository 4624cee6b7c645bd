//! Oxbow's protocol codec. It turns bytes into requests and responses into
//! bytes and validates record batches; it performs no IO and knows nothing
//! about tokio, sockets or stores (ARCHITECTURE.md invariant).
//!
//! Message structs come from the `kafka-protocol` crate (vendored with a
//! bounded-allocation patch); this crate adds what that crate does not do for
//! a broker: frame limits, header parsing with version checks, and record
//! batch validation that never trusts a length or a compressed size.

pub mod batch;
pub mod compression;
pub mod frame;
#[doc(hidden)]
pub mod fuzz;
#[cfg(test)]
mod test_support;

pub use kafka_protocol;
