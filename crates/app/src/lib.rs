//! passerelle's application layer: the ports (traits the adapters implement) and the use cases
//! written once over them. No HTTP, no AWS.

pub mod dossiers;
pub mod memory;
pub mod ports;
#[cfg(feature = "testing")]
pub mod testing;
pub mod usecases;
