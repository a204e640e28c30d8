//! Secrets that cannot leak through `Debug`, `Display` or logs: the one type of `app`.

pub use app::ports::Secret;
