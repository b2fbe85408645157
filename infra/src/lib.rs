//! Typed Kubernetes manifests for the Todo chart.
//!
//! - [`manifest`] reads a `helm template` stream into typed objects
//!   (k8s-openapi), rejecting unparsable documents and fields the types do
//!   not know (which the API server would drop or reject).
//! - [`policy`] asserts what every rendered workload must satisfy.
//! - [`plain`] writes the same typed objects back out as the plain manifests
//!   in `infra/k8s/`.
//! - [`rendered`] is the chart check's typed step on one rendered case,
//!   [`image_ports`] its check that the images listen where the chart says,
//!   [`database_image`] what the chart relies on in its database image.
//! - [`custom_resources`] validates operators' custom objects (CloudNativePG's)
//!   against the operators' own CRD schemas, as the API server would.
//! - [`diagnosis`] holds `cargo xtask doctor`'s rules on what kubectl and
//!   helm report about a release.
//!
//! The `todo-infra` binary (`src/bin/todo-infra/`) runs the chart's checks
//! and these rules for `cargo xtask`, which runs it as a process, so an
//! xtask build never compiles k8s-openapi.

pub mod custom_resources;
pub mod database_image;
pub mod diagnosis;
pub mod image_ports;
pub mod manifest;
pub mod plain;
pub mod policy;
pub mod prometheus_rule;
pub mod rendered;
pub mod service_monitor;

pub use manifest::{Document, Manifest, ParseError, parse_stream};
pub use policy::{ContainerPorts, Expectations, PolicyOptions, Report, Violation};
