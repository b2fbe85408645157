//! The service kit both Todo servers (backend and frontend) are built on,
//! so the two behave alike as processes and on the wire.

pub mod client_address;
pub mod request_body;
#[cfg(feature = "testing")]
pub mod testing;
