//! For machines without a container registry or a Kubernetes cluster (our
//! CI machines): stand-ins for what such a machine lacks, each announced
//! loudly when used instead of the real thing. A user with a registry and a
//! cluster never needs this crate; `cargo xtask` runs its binary only for
//! `chart --on-docker` and `ci --base local`, and no crate depends on it.
//!
//! - [`base_images`]: the builder, distroless-like runtime and PostgreSQL
//!   images made from Debian's packages (debootstrap), so the real
//!   Dockerfile still builds and the chart's database contract still holds.
//! - [`kubelet`]: the rendered chart run on Docker as a kubelet would
//!   (security context, probes, Services on loopback, Helm test Pods), so
//!   everything a cluster would run is exercised here.

pub mod base_images;
mod docker;
mod http;
pub mod kubelet;
mod process;
