//! passerelle's pure core. No I/O, no async, no AWS, no HTTP.

pub mod category;

pub use category::Category;
