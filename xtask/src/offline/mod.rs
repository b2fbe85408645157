//! Stand-ins for what some machines lack: a container registry and a
//! Kubernetes cluster. Both exist only because our CI machines have
//! neither; a user with a registry and a cluster never needs them, and
//! each says loudly when it is used instead of the real thing.
//!
//! - `base_images`: when no registry is reachable, builds the builder,
//!   distroless-like runtime and PostgreSQL base images locally from
//!   Debian's packages (debootstrap), so the real Dockerfile still builds.
//! - `kubelet`: runs the rendered chart on Docker as a kubelet would
//!   (security context, probes, Services on loopback, Helm test Pods), so
//!   everything a cluster would run is exercised here.

pub mod base_images;
pub mod kubelet;
