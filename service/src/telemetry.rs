//! Logging: one global `tracing` subscriber writing JSON lines (for log
//! collectors) or compact text (for people) to stderr.

use tracing_subscriber::EnvFilter;

use crate::server::LogFormat;

/// Installs the subscriber; `filter` uses `RUST_LOG` syntax. A second
/// call (tests start several servers) keeps the first one.
pub fn init(format: LogFormat, filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
}
