//! Typed Kubernetes manifests for the Todo chart.
//!
//! - [`manifest`] reads a `helm template` stream into typed objects
//!   (k8s-openapi), rejecting unparsable documents and fields the types do
//!   not know (which the API server would drop or reject).
//! - [`policy`] asserts what every rendered workload must satisfy.
//! - [`plain`] writes the same typed objects back out as the plain manifests
//!   in `infra/k8s/`.

pub mod manifest;
pub mod plain;
pub mod policy;
pub mod prometheus_rule;
pub mod service_monitor;

pub use manifest::{Document, Manifest, ParseError, parse_stream};
pub use policy::{ContainerPorts, Expectations, PolicyOptions, Report, Violation};
